//! A stand-in for the ingress, written for these tests only: it verifies every protocol with the
//! partners' own verification code, deduplicates by idempotency id (a repeat gets the stored
//! answer), and refuses bodies over its limit with 413 — the behaviour the harness checks. It
//! produces nothing; the topic verification is tested on its own.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::{Json, Router};
use chrono::Utc;
use secrecy::SecretString;
use serde_json::{json, Value};
use switchyard_loadtest::mix::{Credentials, TEST_DSTORE_PRIVATE_KEY};
use switchyard_partners::daojia::{DaojiaPushForm, PushAnswer, PushVerifier};
use switchyard_partners::dstore::{verify_message, DstorePrivateKey, MessageKind};
use switchyard_partners::dujiao::{
    AuthHeaders, DujiaoAuthError, DujiaoVerifier, CALLBACK_SIGNED_PATH,
};

struct Reference {
    credentials: Credentials,
    dujiao: DujiaoVerifier,
    daojia: PushVerifier,
    answers: Mutex<HashMap<String, (StatusCode, Value)>>,
    next_id: AtomicU64,
}

type Shared = Arc<Reference>;

impl Reference {
    /// The stored answer for `id`, or the one `make` builds (then stored).
    fn once(&self, id: String, make: impl FnOnce(u64) -> (StatusCode, Value)) -> Response {
        let mut answers = self.answers.lock().expect("answers lock");
        let (status, body) = answers
            .entry(id)
            .or_insert_with(|| make(self.next_id.fetch_add(1, Ordering::SeqCst) + 1))
            .clone();
        (status, Json(body)).into_response()
    }

    fn dujiao_auth(
        &self,
        headers: &HeaderMap,
        path: &str,
        body: &[u8],
        key: &str,
        secret: &SecretString,
    ) -> Result<(), DujiaoAuthError> {
        let secret = secret.clone();
        self.dujiao
            .verify_with(
                &AuthHeaders::from_headers(headers),
                "POST",
                path,
                body,
                Utc::now().timestamp(),
                |api_key| {
                    if api_key == key {
                        Ok(secret)
                    } else {
                        Err(DujiaoAuthError::InvalidApiKey)
                    }
                },
            )
            .map(|_| ())
    }
}

async fn dujiao_order(State(site): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let credentials = &site.credentials;
    if let Err(error) = site.dujiao_auth(
        &headers,
        "/api/v1/upstream/orders",
        &body,
        &credentials.dujiao_api_key,
        &credentials.dujiao_api_secret,
    ) {
        let status = StatusCode::from_u16(error.http_status()).expect("status");
        let body =
            json!({"ok": false, "error_code": error.error_code(), "error_message": "refused"});
        return (status, Json(body)).into_response();
    }
    let order: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = order["downstream_order_no"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    site.once(id, |order_id| {
        let answer = json!({"ok": true, "order_id": order_id, "order_no": format!("SY{order_id}"),
            "status": "paid", "amount": "1.50", "currency": "CNY"});
        (StatusCode::OK, answer)
    })
}

async fn dujiao_callback(State(site): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let credentials = &site.credentials;
    let verdict = site.dujiao_auth(
        &headers,
        CALLBACK_SIGNED_PATH,
        &body,
        &credentials.callback_api_key,
        &credentials.callback_api_secret,
    );
    let answer = match verdict {
        Ok(()) => json!({"ok": true, "message": "received"}),
        Err(error) => json!({"ok": false, "message": error.to_string()}),
    };
    Json(answer).into_response()
}

async fn dstore_create(State(site): State<Shared>, headers: HeaderMap, body: Bytes) -> Response {
    let public = DstorePrivateKey::from_pkcs8_pem(TEST_DSTORE_PRIVATE_KEY)
        .expect("test key")
        .public_key();
    let verdict = verify_message(
        &public,
        MessageKind::Request,
        Some(&site.credentials.dstore_client_id),
        "POST",
        "/v2/pos/createOrder",
        &headers,
        &body,
    );
    if let Err(error) = verdict {
        let result = json!({"resultStatus": "F", "resultCode": error.result_code(), "resultMessage": "refused"});
        return Json(json!({ "result": result })).into_response();
    }
    let order: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    let id = order["requestOrderId"]
        .as_str()
        .unwrap_or_default()
        .to_string();
    site.once(id, |n| {
        let result =
            json!({"resultStatus": "S", "resultCode": "SUCCESS", "resultMessage": "success"});
        (
            StatusCode::OK,
            json!({"result": result, "posOrderId": format!("POS{n}"), "autoAccept": true}),
        )
    })
}

async fn daojia_push(State(site): State<Shared>, body: Bytes) -> Response {
    let form: DaojiaPushForm = serde_urlencoded::from_bytes(&body).unwrap_or_default();
    match site.daojia.verify(&form, Utc::now()) {
        Ok(push) => {
            let id = push.order_id().to_string();
            let answer = serde_json::to_value(PushAnswer::received(&id)).expect("answer");
            site.once(id, |_| (StatusCode::OK, answer))
        }
        Err(rejection) => {
            Json(serde_json::to_value(PushAnswer::rejected(&rejection)).expect("answer"))
                .into_response()
        }
    }
}

async fn vending_notify(_body: Bytes) -> Response {
    Json(json!({"code": 0, "message": "ok"})).into_response()
}

/// A running stand-in; aborted on drop.
pub struct ReferenceIngress {
    pub addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for ReferenceIngress {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl ReferenceIngress {
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Serves on 127.0.0.1:0 with the harness's test credentials and `body_limit`.
    pub async fn spawn(body_limit: usize) -> Self {
        let credentials = Credentials::test_defaults().expect("test credentials");
        let state = Arc::new(Reference {
            daojia: PushVerifier::new(credentials.daojia_secret.clone(), Duration::from_secs(600)),
            credentials,
            dujiao: DujiaoVerifier::default(),
            answers: Mutex::new(HashMap::new()),
            next_id: AtomicU64::new(0),
        });
        let app = Router::new()
            .route("/api/v1/upstream/orders", post(dujiao_order))
            .route("/api/v1/upstream/callback", post(dujiao_callback))
            .route("/v2/pos/createOrder", post(dstore_create))
            .route("/daojia/notify", post(daojia_push))
            .route("/vending/notify", post(vending_notify))
            .layer(DefaultBodyLimit::max(body_limit))
            .with_state(state);
        let listener = tokio::net::TcpListener::bind(("127.0.0.1", 0))
            .await
            .expect("bind");
        let addr = listener.local_addr().expect("addr");
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Self { addr, task }
    }
}

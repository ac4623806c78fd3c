//! Who is calling a D-Store endpoint, and how we sign what we answer.
//!
//! Contract: the `Client-Id` header names an active `dstore` connection (its `api_key`); the
//! request must verify under that connection's D-Store public key (`settings.dstore_public_key`,
//! PEM or base64 SPKI) over `POST {path}\n{Client-Id}.{Request-Time}.{body}`. Refusals are
//! `resultStatus` `F` with D-Store's codes (`ACCESS_DENIED`, `INVALID_SIGNATURE`,
//! `PARAM_ILLEGAL`) and never reach a topic. A request that did not verify gets its refusal
//! unsigned: the `Client-Id` travels in clear, so signing would hand anyone a private-key
//! operation (CPU, and a timing oracle) per request. Every answer to a verified request — success
//! or failure — is signed with the POS private key (the connection's secret) and `Response-Time`,
//! by the [`sign_answers`] route layer on the blocking pool; the signer is constant-time
//! (`ring`, see `switchyard_partners::dstore::keys`).

use std::sync::Arc;

use axum::body::Body;
use axum::extract::Request;
use axum::middleware::Next;
use axum::response::Response;
use chrono::{SecondsFormat, Utc};
use http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use prometheus_client::metrics::counter::Counter;
use switchyard_connections::DstoreKeys;
use switchyard_partners::dstore::signature::CLIENT_ID_HEADER;
use switchyard_partners::dstore::wire::DstoreResult;
use switchyard_partners::dstore::{sign_message, verify_message, MessageKind};
use switchyard_store::connections::ConnectionKind;

use crate::answer::{dstore_plain, Partner};
use crate::deliver::json_response;
use crate::state::AppState;

/// A verified D-Store call on one of our connections.
pub(crate) struct DstoreCaller {
    pub(crate) connection_id: i64,
    client_id: String,
    keys: Arc<DstoreKeys>,
    path: &'static str,
    signed: Counter,
}

impl DstoreCaller {
    /// A JSON answer (HTTP 200: D-Store reads `result`, not the status), signed by
    /// [`sign_answers`] on its way out.
    pub(crate) fn answer(&self, body: Vec<u8>) -> Response {
        let mut response = json_response(StatusCode::OK, body, Vec::new());
        if self.keys.private.is_some() {
            response.extensions_mut().insert(PendingSignature {
                keys: Arc::clone(&self.keys),
                client_id: self.client_id.clone(),
                path: self.path,
                signed: self.signed.clone(),
            });
        }
        response
    }

    /// A signed answer carrying only `result`.
    pub(crate) fn result(&self, result: DstoreResult) -> Response {
        let body = serde_json::to_vec(&serde_json::json!({ "result": result })).unwrap_or_default();
        self.answer(body)
    }

    /// Signed `F` with `code`.
    pub(crate) fn failed(&self, code: &str, message: &str) -> Response {
        self.result(DstoreResult::failed(code, message))
    }

    /// Signed `U`: D-Store retries with identical parameters.
    pub(crate) fn unknown(&self) -> Response {
        self.result(DstoreResult::unknown("temporarily unavailable, retry"))
    }
}

/// An answer still to be signed with the connection's POS key.
#[derive(Clone)]
struct PendingSignature {
    keys: Arc<DstoreKeys>,
    client_id: String,
    path: &'static str,
    signed: Counter,
}

impl PendingSignature {
    /// `Client-Id`, `Response-Time` and `Signature` for `body`, signed now.
    fn headers(&self, body: &[u8]) -> Vec<(&'static str, String)> {
        let Some(signer) = &self.keys.private else {
            return Vec::new();
        };
        let time = Utc::now().to_rfc3339_opts(SecondsFormat::Millis, true);
        self.signed.inc();
        sign_message(
            signer,
            MessageKind::Response,
            &self.client_id,
            &time,
            "POST",
            self.path,
            body,
        )
    }
}

/// Route layer of the D-Store endpoints: signs every answer [`DstoreCaller::answer`] marked, on
/// the blocking pool. A 2048-bit RSA signature costs about a millisecond of CPU, too long to
/// hold a runtime worker that is also serving every other partner's requests.
pub(crate) async fn sign_answers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let Some(pending) = response.extensions_mut().remove::<PendingSignature>() else {
        return response;
    };
    let (mut parts, body) = response.into_parts();
    let Ok(body) = axum::body::to_bytes(body, usize::MAX).await else {
        return Partner::Dstore.unavailable();
    };
    let signed = tokio::task::spawn_blocking(move || {
        let headers = pending.headers(&body);
        (body, headers)
    })
    .await;
    let Ok((body, headers)) = signed else {
        tracing::error!("signing a D-Store answer failed");
        return Partner::Dstore.unavailable();
    };
    for (name, value) in headers {
        if let (Ok(name), Ok(value)) = (HeaderName::try_from(name), HeaderValue::try_from(value)) {
            parts.headers.insert(name, value);
        }
    }
    Response::from_parts(parts, Body::from(body))
}

/// Verifies a D-Store request on `path` or returns the refusal to send.
pub(crate) async fn verify(
    state: &AppState,
    endpoint: &'static str,
    path: &'static str,
    headers: &HeaderMap,
    body: &[u8],
) -> Result<DstoreCaller, Response> {
    let refuse = |code: &str, message: &str| {
        state.metrics.count(endpoint, "rejected");
        dstore_plain(StatusCode::OK, DstoreResult::failed(code, message))
    };
    let Some(client_id) = headers
        .get(CLIENT_ID_HEADER)
        .and_then(|value| value.to_str().ok())
        .map(str::to_owned)
    else {
        return Err(refuse("ACCESS_DENIED", "missing Client-Id header"));
    };
    let connections = match state.connections.active(ConnectionKind::Dstore).await {
        Ok(connections) => connections,
        Err(error) => {
            tracing::warn!(%error, "connection lookup failed");
            state.metrics.count(endpoint, "unavailable");
            return Err(Partner::Dstore.unavailable());
        }
    };
    let Some(connection) = connections
        .iter()
        .find(|c| c.connection().api_key.as_deref() == Some(client_id.as_str()))
    else {
        return Err(refuse("ACCESS_DENIED", "unknown Client-Id"));
    };
    let keys = connection.dstore_keys();
    let Some(public_key) = &keys.public else {
        tracing::error!(
            connection = connection.id(),
            "dstore connection has no usable public key"
        );
        return Err(refuse("ACCESS_DENIED", "connection not configured"));
    };
    let verified = verify_message(
        public_key,
        MessageKind::Request,
        Some(&client_id),
        "POST",
        path,
        headers,
        body,
    );
    match verified {
        Ok(_) => Ok(DstoreCaller {
            connection_id: connection.id(),
            client_id,
            keys: Arc::clone(&keys),
            path,
            signed: state.metrics.dstore_signed.clone(),
        }),
        // Not verified: answered in D-Store's format, unsigned (no private-key operation).
        Err(error) => Err(refuse(error.result_code(), &error.to_string())),
    }
}

/// A body that does not parse: `F`/`PARAM_ILLEGAL` naming the problem's category, not its value.
pub(crate) fn param_illegal(
    state: &AppState,
    endpoint: &'static str,
    caller: &DstoreCaller,
    error: &serde_json::Error,
) -> Response {
    state.metrics.count(endpoint, "rejected");
    let message = match error.to_string() {
        text if text.starts_with("missing field") => text,
        _ => format!("{:?} error at column {}", error.classify(), error.column()),
    };
    caller.failed("PARAM_ILLEGAL", &message)
}

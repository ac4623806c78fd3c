//! The D-Store gateway side: `syncProduct` and `notifyOrderChange`, verified, recorded, signed.
//!
//! `syncProduct` honours our `syncType` extension: `FULL` (or absent) replaces the store's
//! catalog, `INCREMENTAL` upserts the listed products by `posProductId`. Both calls are idempotent
//! by `requestId`: a repeat of an applied request is answered as the first time and not applied
//! again (a request answered `U` or `F` was not applied, so its retry is).

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::{Arc, Mutex, MutexGuard};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::post;
use axum::Router;
use serde::Serialize;
use switchyard_partners::dstore::wire::{
    paths, DstoreResult, NotifyOrderChangeAnswer, NotifyOrderChangeRequest, SyncProductAnswer,
    SyncProductRequest, SyncType,
};
use switchyard_partners::dstore::{
    sign_message, verify_message, DstorePrivateKey, DstorePublicKey, MessageKind,
};

use crate::faults::{spawn, FaultPlan, SimulatorHandle};

/// Keys and identity of the simulated D-Store.
#[derive(Debug, Clone)]
pub struct DstoreSimulatorConfig {
    /// The Client-Id D-Store assigned to the POS.
    pub client_id: String,
    /// D-Store's private key: signs answers and calls to the POS.
    pub dstore_private_key: DstorePrivateKey,
    /// The POS's public key: verifies the POS's calls and answers.
    pub pos_public_key: DstorePublicKey,
}

/// One verified `syncProduct` call, as it arrived (repeats and scripted refusals included).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SyncCall {
    /// Its `requestId`.
    pub request_id: String,
    /// The store.
    pub pos_store_id: String,
    /// Full or incremental.
    pub sync_type: SyncType,
    /// Products listed.
    pub products: usize,
    /// Whether this call changed the catalog (false for a repeat or a scripted answer).
    pub applied: bool,
}

#[derive(Default)]
struct Recorded {
    catalogs: HashMap<String, SyncProductRequest>,
    synced_ids: HashSet<String>,
    sync_calls: Vec<SyncCall>,
    notifications: Vec<NotifyOrderChangeRequest>,
    notified_ids: HashSet<String>,
    scripted: VecDeque<DstoreResult>,
    rejected: Vec<String>,
    request_times: Vec<String>,
}

pub(crate) struct Shared {
    pub(crate) config: DstoreSimulatorConfig,
    recorded: Mutex<Recorded>,
    pub(crate) http: reqwest::Client,
}

/// A simulated D-Store. Cheap to clone; clones share state.
#[derive(Clone)]
pub struct DstoreSimulator {
    pub(crate) shared: Arc<Shared>,
    faults: FaultPlan,
}

impl std::fmt::Debug for DstoreSimulator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("DstoreSimulator")
            .field("client_id", &self.shared.config.client_id)
            .finish_non_exhaustive()
    }
}

impl DstoreSimulator {
    /// A simulator with an empty record and no faults.
    pub fn new(config: DstoreSimulatorConfig) -> Self {
        Self {
            shared: Arc::new(Shared {
                config,
                recorded: Mutex::new(Recorded::default()),
                http: reqwest::Client::new(),
            }),
            faults: FaultPlan::new(),
        }
    }

    fn recorded(&self) -> MutexGuard<'_, Recorded> {
        // Handlers never panic while holding the lock; a poisoned lock is still consistent.
        self.shared
            .recorded
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// The fault plan (latency, 5xx, 429, hangs, malformed bodies).
    pub fn faults(&self) -> &FaultPlan {
        &self.faults
    }

    /// The gateway routes behind the fault plan.
    pub fn router(&self) -> Router {
        let routes = Router::new()
            .route(paths::SYNC_PRODUCT, post(sync_product))
            .route(paths::NOTIFY_ORDER_CHANGE, post(notify_order_change))
            .with_state(self.clone());
        self.faults.wrap(routes)
    }

    /// Serves the gateway on 127.0.0.1, port chosen by the OS.
    pub async fn spawn(&self) -> std::io::Result<SimulatorHandle> {
        spawn(self.router()).await
    }

    /// The next answers to give instead of success, in order (e.g. `U` twice, or one `F`),
    /// after signature verification.
    pub fn script_answers(&self, answers: impl IntoIterator<Item = DstoreResult>) {
        self.recorded().scripted.extend(answers);
    }

    /// A store's catalog: the last request that synced it, its `products` being the whole
    /// catalog after every full replace and incremental upsert so far (in first-listed order).
    pub fn catalog(&self, pos_store_id: &str) -> Option<SyncProductRequest> {
        self.recorded().catalogs.get(pos_store_id).cloned()
    }

    /// Every verified `syncProduct` call, in arrival order.
    pub fn sync_calls(&self) -> Vec<SyncCall> {
        self.recorded().sync_calls.clone()
    }

    /// Accepted notifications, one per `requestId`, in arrival order.
    pub fn notifications(&self) -> Vec<NotifyOrderChangeRequest> {
        self.recorded().notifications.clone()
    }

    /// The `resultCode` of every call refused for authentication, in order.
    pub fn rejections(&self) -> Vec<String> {
        self.recorded().rejected.clone()
    }

    /// The verbatim `Request-Time` of every verified call, in order (a retry with identical
    /// parameters repeats the same value).
    pub fn request_times(&self) -> Vec<String> {
        self.recorded().request_times.clone()
    }

    /// Signs and builds an answer.
    pub(crate) fn signed_answer<T: Serialize>(&self, path: &str, answer: &T) -> Response {
        let Ok(body) = serde_json::to_vec(answer) else {
            return StatusCode::INTERNAL_SERVER_ERROR.into_response();
        };
        let time = chrono::Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Millis, false);
        let config = &self.shared.config;
        let signing = sign_message(
            &config.dstore_private_key,
            MessageKind::Response,
            &config.client_id,
            &time,
            "POST",
            path,
            &body,
        );
        let mut headers = HeaderMap::new();
        headers.insert(
            axum::http::header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        for (name, value) in signing {
            if let Ok(value) = HeaderValue::from_str(&value) {
                headers.insert(HeaderName::from_static(name), value);
            }
        }
        (StatusCode::OK, headers, body).into_response()
    }

    /// Verifies a POS call and takes the next scripted answer; on failure returns the result
    /// to answer with.
    fn check(&self, path: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), DstoreResult> {
        self.verify(path, headers, body)?;
        self.recorded().scripted.pop_front().map_or(Ok(()), Err)
    }

    /// Verifies a POS call's signature; on failure returns the `F` result to answer with.
    fn verify(&self, path: &str, headers: &HeaderMap, body: &[u8]) -> Result<(), DstoreResult> {
        let config = &self.shared.config;
        let verified = verify_message(
            &config.pos_public_key,
            MessageKind::Request,
            Some(&config.client_id),
            "POST",
            path,
            headers,
            body,
        );
        match verified {
            Ok(sender) => {
                self.recorded().request_times.push(sender.time);
                Ok(())
            }
            Err(err) => {
                self.recorded().rejected.push(err.result_code().to_string());
                Err(DstoreResult::failed(err.result_code(), &err.to_string()))
            }
        }
    }
}

async fn sync_product(
    State(sim): State<DstoreSimulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = paths::SYNC_PRODUCT;
    if let Err(result) = sim.verify(path, &headers, &body) {
        return sim.signed_answer(path, &SyncProductAnswer { result });
    }
    let Ok(request) = serde_json::from_slice::<SyncProductRequest>(&body) else {
        let result = DstoreResult::failed("PARAM_ILLEGAL", "body is not a syncProduct request");
        return sim.signed_answer(path, &SyncProductAnswer { result });
    };
    let mut recorded = sim.recorded();
    let scripted = recorded.scripted.pop_front();
    let repeat = recorded.synced_ids.contains(&request.request_id);
    let applied = scripted.is_none() && !repeat;
    recorded.sync_calls.push(SyncCall {
        request_id: request.request_id.clone(),
        pos_store_id: request.store.pos_store_id.clone(),
        sync_type: request.sync_type(),
        products: request.products.len(),
        applied,
    });
    if let Some(result) = scripted {
        drop(recorded);
        return sim.signed_answer(path, &SyncProductAnswer { result });
    }
    if applied {
        recorded.synced_ids.insert(request.request_id.clone());
        apply_sync(&mut recorded.catalogs, request);
    }
    drop(recorded);
    let result = DstoreResult::success();
    sim.signed_answer(path, &SyncProductAnswer { result })
}

/// A full sync replaces the store's catalog; an incremental one upserts its products.
fn apply_sync(catalogs: &mut HashMap<String, SyncProductRequest>, request: SyncProductRequest) {
    let store = request.store.pos_store_id.clone();
    let previous = match (request.sync_type(), catalogs.remove(&store)) {
        (SyncType::Incremental, Some(previous)) => previous.products,
        _ => Vec::new(),
    };
    let mut products = previous;
    let mut at: HashMap<String, usize> = products
        .iter()
        .enumerate()
        .map(|(n, known)| (known.pos_product_id.clone(), n))
        .collect();
    for item in &request.products {
        match at.get(&item.pos_product_id) {
            Some(&n) => products[n] = item.clone(),
            None => {
                at.insert(item.pos_product_id.clone(), products.len());
                products.push(item.clone());
            }
        }
    }
    catalogs.insert(
        store,
        SyncProductRequest {
            products,
            ..request
        },
    );
}

async fn notify_order_change(
    State(sim): State<DstoreSimulator>,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = paths::NOTIFY_ORDER_CHANGE;
    let result = match sim.check(path, &headers, &body) {
        Err(result) => result,
        Ok(()) => match serde_json::from_slice::<NotifyOrderChangeRequest>(&body) {
            Ok(request) => {
                let mut recorded = sim.recorded();
                // requestId is the idempotency key: a repeat is answered S and not applied twice.
                if recorded.notified_ids.insert(request.request_id.clone()) {
                    recorded.notifications.push(request);
                }
                DstoreResult::success()
            }
            Err(_) => {
                DstoreResult::failed("PARAM_ILLEGAL", "body is not a notifyOrderChange request")
            }
        },
    };
    sim.signed_answer(path, &NotifyOrderChangeAnswer { result })
}

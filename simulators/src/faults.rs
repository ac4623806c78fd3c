//! Fault injection and server lifecycle shared by every simulator.
//!
//! Contract: a [`FaultPlan`] is changed at run time, in-process ([`FaultPlan::set`]) or over HTTP
//! (`POST /_faults` with a JSON [`FaultSettings`], `GET /_faults`, `GET /_faults/hits`,
//! `DELETE /_faults` to reset). [`FaultPlan::wrap`] puts a simulator's router behind the plan: each
//! request is counted per path, then delayed by `latency_ms`, then (while a "next N" budget lasts,
//! in this order) hung, answered 5xx, answered 429 with `Retry-After`, or handled and answered
//! with a malformed body. The control routes themselves are never faulted or counted.
//! [`spawn`] serves a router on 127.0.0.1 and returns a [`SimulatorHandle`] that stops the server
//! when dropped.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::middleware::{self, Next};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use tokio::sync::oneshot;
use tokio::task::JoinHandle;

/// The faults to inject, as set through `POST /_faults`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct FaultSettings {
    /// Delay added before every faulted-path request is handled.
    pub latency_ms: u64,
    /// The next N requests hang (no answer for `hang_ms`), so the client times out.
    pub hang_next: u32,
    /// How long a hung request waits before the connection is answered 504.
    pub hang_ms: u64,
    /// The next N requests are answered `fail_status` without reaching the handler.
    pub fail_next: u32,
    /// The status for `fail_next` answers (a 5xx).
    pub fail_status: u16,
    /// The next N requests are answered 429 with `Retry-After: retry_after_secs`.
    pub throttle_next: u32,
    /// The `Retry-After` seconds sent with 429 answers.
    pub retry_after_secs: u64,
    /// The next N requests are handled, but their answer body is replaced by broken JSON.
    pub malformed_next: u32,
    /// Only requests whose path starts with this are faulted (all paths when absent).
    pub path_prefix: Option<String>,
}

impl Default for FaultSettings {
    fn default() -> Self {
        FaultSettings {
            latency_ms: 0,
            hang_next: 0,
            hang_ms: 60_000,
            fail_next: 0,
            fail_status: 503,
            throttle_next: 0,
            retry_after_secs: 1,
            malformed_next: 0,
            path_prefix: None,
        }
    }
}

#[derive(Debug, Default)]
struct PlanState {
    settings: FaultSettings,
    hits: HashMap<String, u64>,
}

/// The decision for one request, taken under the lock and acted on after it is released.
enum Injection {
    Hang(Duration),
    Fail(StatusCode),
    Throttle(u64),
    Malformed,
    None,
}

/// Shared, run-time-settable fault plan and per-path request counter of one simulator.
#[derive(Debug, Clone, Default)]
pub struct FaultPlan {
    state: Arc<Mutex<PlanState>>,
}

/// The body sent instead of the real one when a malformed answer is injected.
pub const MALFORMED_BODY: &[u8] = b"{\"ok\":tru<<not json";

/// Path of the fault control endpoint.
pub const CONTROL_PATH: &str = "/_faults";

impl FaultPlan {
    /// A plan with no faults.
    pub fn new() -> Self {
        FaultPlan::default()
    }

    fn lock(&self) -> MutexGuard<'_, PlanState> {
        // A panic while holding this lock cannot leave the counters inconsistent in a way that
        // matters to a simulator, so a poisoned lock is simply reused.
        self.state
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    /// Replaces the fault settings.
    pub fn set(&self, settings: FaultSettings) {
        self.lock().settings = settings;
    }

    /// Changes the fault settings in place.
    pub fn update(&self, change: impl FnOnce(&mut FaultSettings)) {
        change(&mut self.lock().settings);
    }

    /// The current settings (budgets already used are gone).
    pub fn settings(&self) -> FaultSettings {
        self.lock().settings.clone()
    }

    /// Requests seen on `path` (faulted or not).
    pub fn hits(&self, path: &str) -> u64 {
        self.lock().hits.get(path).copied().unwrap_or(0)
    }

    /// Every path's request count.
    pub fn all_hits(&self) -> HashMap<String, u64> {
        self.lock().hits.clone()
    }

    /// Clears the faults and the counters.
    pub fn reset(&self) {
        let mut state = self.lock();
        state.settings = FaultSettings::default();
        state.hits.clear();
    }

    /// Puts `router` behind this plan and adds the `/_faults` control routes.
    pub fn wrap(&self, router: Router) -> Router {
        let control = Router::new()
            .route(
                CONTROL_PATH,
                get(get_faults).post(post_faults).delete(delete_faults),
            )
            .route("/_faults/hits", get(get_hits))
            .with_state(self.clone());
        router
            .layer(middleware::from_fn_with_state(self.clone(), inject))
            .merge(control)
    }

    fn decide(&self, path: &str) -> (Duration, Injection) {
        let mut state = self.lock();
        *state.hits.entry(path.to_owned()).or_insert(0) += 1;
        let settings = &mut state.settings;
        if let Some(prefix) = &settings.path_prefix {
            if !path.starts_with(prefix.as_str()) {
                return (Duration::ZERO, Injection::None);
            }
        }
        let latency = Duration::from_millis(settings.latency_ms);
        let injection = if take(&mut settings.hang_next) {
            Injection::Hang(Duration::from_millis(settings.hang_ms))
        } else if take(&mut settings.fail_next) {
            Injection::Fail(
                StatusCode::from_u16(settings.fail_status)
                    .unwrap_or(StatusCode::SERVICE_UNAVAILABLE),
            )
        } else if take(&mut settings.throttle_next) {
            Injection::Throttle(settings.retry_after_secs)
        } else if take(&mut settings.malformed_next) {
            Injection::Malformed
        } else {
            Injection::None
        };
        (latency, injection)
    }
}

/// Uses one unit of a "next N" budget, if any is left.
fn take(budget: &mut u32) -> bool {
    if *budget == 0 {
        return false;
    }
    *budget -= 1;
    true
}

async fn inject(State(plan): State<FaultPlan>, request: Request, next: Next) -> Response {
    let (latency, injection) = plan.decide(request.uri().path());
    if !latency.is_zero() {
        tokio::time::sleep(latency).await;
    }
    match injection {
        Injection::Hang(duration) => {
            tokio::time::sleep(duration).await;
            StatusCode::GATEWAY_TIMEOUT.into_response()
        }
        Injection::Fail(status) => {
            (status, Json(serde_json::json!({"error": "injected fault"}))).into_response()
        }
        Injection::Throttle(seconds) => {
            let mut response = (
                StatusCode::TOO_MANY_REQUESTS,
                Json(serde_json::json!({"error": "injected throttle"})),
            )
                .into_response();
            response
                .headers_mut()
                .insert(header::RETRY_AFTER, HeaderValue::from(seconds));
            response
        }
        Injection::Malformed => {
            let (mut parts, _body) = next.run(request).await.into_parts();
            parts.headers.remove(header::CONTENT_LENGTH);
            Response::from_parts(parts, Body::from(MALFORMED_BODY))
        }
        Injection::None => next.run(request).await,
    }
}

async fn get_faults(State(plan): State<FaultPlan>) -> Json<FaultSettings> {
    Json(plan.settings())
}

async fn post_faults(
    State(plan): State<FaultPlan>,
    Json(settings): Json<FaultSettings>,
) -> Json<FaultSettings> {
    plan.set(settings.clone());
    Json(settings)
}

async fn delete_faults(State(plan): State<FaultPlan>) -> StatusCode {
    plan.reset();
    StatusCode::NO_CONTENT
}

async fn get_hits(State(plan): State<FaultPlan>) -> Json<HashMap<String, u64>> {
    Json(plan.all_hits())
}

/// A running simulator server; dropping it stops the server.
#[derive(Debug)]
pub struct SimulatorHandle {
    /// The bound address (127.0.0.1 and the chosen port).
    pub addr: SocketAddr,
    stop: Option<oneshot::Sender<()>>,
    task: Option<JoinHandle<()>>,
}

impl SimulatorHandle {
    /// `http://127.0.0.1:PORT`, without a trailing slash.
    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting, lets in-flight requests finish for up to five seconds, then aborts.
    pub async fn shutdown(mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(mut task) = self.task.take() {
            if tokio::time::timeout(Duration::from_secs(5), &mut task)
                .await
                .is_err()
            {
                task.abort();
            }
        }
    }
}

impl Drop for SimulatorHandle {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(task) = self.task.take() {
            task.abort();
        }
    }
}

/// Serves `router` on 127.0.0.1 with an OS-chosen port.
pub async fn spawn(router: Router) -> std::io::Result<SimulatorHandle> {
    spawn_on(SocketAddr::from(([127, 0, 0, 1], 0)), router).await
}

/// Serves `router` on `addr` (load tests pick fixed ports).
pub async fn spawn_on(addr: SocketAddr, router: Router) -> std::io::Result<SimulatorHandle> {
    let listener = tokio::net::TcpListener::bind(addr).await?;
    let addr = listener.local_addr()?;
    let (stop, stopped) = oneshot::channel::<()>();
    let task = tokio::spawn(async move {
        let served = axum::serve(listener, router)
            .with_graceful_shutdown(async {
                let _ = stopped.await;
            })
            .await;
        if let Err(err) = served {
            tracing::warn!(error = %err, "simulator server stopped with an error");
        }
    });
    Ok(SimulatorHandle {
        addr,
        stop: Some(stop),
        task: Some(task),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn budgets_are_used_in_order_and_counted() {
        let plan = FaultPlan::new();
        plan.set(FaultSettings {
            fail_next: 1,
            throttle_next: 1,
            ..FaultSettings::default()
        });
        assert!(
            matches!(plan.decide("/a").1, Injection::Fail(s) if s == StatusCode::SERVICE_UNAVAILABLE)
        );
        assert!(matches!(plan.decide("/a").1, Injection::Throttle(1)));
        assert!(matches!(plan.decide("/a").1, Injection::None));
        assert_eq!(plan.hits("/a"), 3);
        assert_eq!(plan.settings().fail_next, 0);
    }

    #[test]
    fn path_prefix_limits_faults() {
        let plan = FaultPlan::new();
        plan.set(FaultSettings {
            malformed_next: 1,
            path_prefix: Some("/orders".into()),
            ..FaultSettings::default()
        });
        assert!(matches!(plan.decide("/ping").1, Injection::None));
        assert!(matches!(plan.decide("/orders/1").1, Injection::Malformed));
        plan.reset();
        assert_eq!(plan.hits("/ping"), 0);
    }
}

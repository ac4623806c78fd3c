use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use axum::body::Body;
use axum::http::Request;
use prometheus_client::metrics::counter::Counter;
use tower::ServiceExt;

use super::*;
use crate::readiness::{Probe, ProbeFuture};

struct Switch(Arc<AtomicBool>);

impl Probe for Switch {
    fn name(&self) -> &'static str {
        "broker"
    }
    fn check(&self) -> ProbeFuture<'_> {
        let up = self.0.load(Ordering::SeqCst);
        Box::pin(async move {
            if up {
                Ok(())
            } else {
                Err("connection refused".to_owned())
            }
        })
    }
}

async fn get(router: Router, path: &str) -> (StatusCode, String) {
    let response = router
        .oneshot(Request::get(path).body(Body::empty()).unwrap())
        .await
        .unwrap();
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 20)
        .await
        .unwrap();
    (status, String::from_utf8(bytes.to_vec()).unwrap())
}

#[tokio::test]
async fn an_advisory_probe_is_shown_but_never_makes_the_process_unready() {
    let down = Arc::new(AtomicBool::new(false));
    let readiness = Readiness::new(Duration::from_millis(200)).advise(Switch(down));
    let server = AdminServer::new(readiness, Arc::new(Registry::default()));

    let (status, body) = get(server.router(), "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let body: serde_json::Value = serde_json::from_str(&body).unwrap();
    assert_eq!(body["ready"], true, "{body}");
    assert_eq!(body["checks"][0]["ok"], false, "{body}");
    assert_eq!(body["checks"][0]["required"], false, "{body}");
    assert_eq!(body["checks"][0]["error"], "connection refused", "{body}");
}

#[tokio::test]
async fn readyz_follows_the_probes() {
    let up = Arc::new(AtomicBool::new(true));
    let readiness = Readiness::new(Duration::from_millis(200)).with(Switch(up.clone()));
    let server = AdminServer::new(readiness, Arc::new(Registry::default()));

    let (status, body) = get(server.router(), "/readyz").await;
    assert_eq!(status, StatusCode::OK, "{body}");

    up.store(false, Ordering::SeqCst);
    let (status, body) = get(server.router(), "/readyz").await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert!(body.contains("connection refused"), "{body}");

    let (status, _) = get(server.router(), "/healthz").await;
    assert_eq!(
        status,
        StatusCode::OK,
        "liveness does not depend on dependencies"
    );
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let mut registry = Registry::default();
    let counter = Counter::<u64>::default();
    registry.register("switchyard_test_events", "events seen", counter.clone());
    counter.inc();
    let server = AdminServer::new(Readiness::default(), Arc::new(registry));
    let (status, body) = get(server.router(), "/metrics").await;
    assert_eq!(status, StatusCode::OK);
    assert!(body.contains("switchyard_test_events_total 1"), "{body}");
}

//! The operator's path end to end, through the guarded operator API: start a run, watch it in
//! the run list, filter its discrepancies, resolve one with a note (once).

use std::time::Duration;

use axum::body::Body;
use axum::http::{Method, Request, StatusCode};
use axum::Router;
use secrecy::SecretString;
use serde_json::{json, Value};
use switchyard_runtime::operator::{guard, AdminToken};
use switchyard_testkit::eventually;
use tower::ServiceExt;

use super::seed;
use crate::support::Hub;

const TOKEN: &str = "reconciliation-operator-token-0123456789";

async fn call(router: &Router, method: Method, path: &str, body: Value) -> (StatusCode, Value) {
    let request = Request::builder()
        .method(method)
        .uri(path)
        .header("authorization", format!("Bearer {TOKEN}"))
        .header("content-type", "application/json")
        .body(if body.is_null() {
            Body::empty()
        } else {
            Body::from(body.to_string())
        })
        .expect("request");
    let response = router.clone().oneshot(request).await.expect("answer");
    let status = response.status();
    let bytes = axum::body::to_bytes(response.into_body(), 1 << 22)
        .await
        .expect("body");
    (
        status,
        serde_json::from_slice(&bytes).unwrap_or(Value::Null),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn an_operator_starts_a_run_lists_it_and_resolves_a_discrepancy() {
    let hub = Hub::start().await;
    let routes = switchyard_workers::operator_routes(
        hub.pool().clone(),
        hub.kafka.clone(),
        hub.secrets.clone(),
        switchyard_connections::RegistrySettings {
            ttl: Duration::ZERO,
            partner_timeout: Duration::from_secs(5),
            allow_private_partner_urls: true,
        },
    );
    let token = AdminToken::parse(SecretString::from(TOKEN.to_owned())).expect("token");
    let api = guard(routes, Some(token));
    let (_sim, site) = seed::site().await;
    let connection = seed::connection(hub.pool(), &hub.secrets, &site.base_url(), 600_000).await;
    let orders = seed::orders(hub.pool(), &site.base_url(), connection, 100).await;
    let expected = seed::discrepancies(&site.base_url(), &orders, 2).await;

    let (start, end) = seed::period();
    let body = json!({"connection_id": connection, "period_start": start, "period_end": end, "run_type": "full"});
    let (status, started) = call(
        &api,
        Method::POST,
        "/admin/v1/reconciliation/runs",
        body.clone(),
    )
    .await;
    assert_eq!(status, StatusCode::CREATED, "{started}");
    let run_id = started["run"]["id"].as_i64().expect("run id");
    let (status, again) = call(&api, Method::POST, "/admin/v1/reconciliation/runs", body).await;
    assert_eq!(
        (status, again["run"]["id"].as_i64()),
        (StatusCode::OK, Some(run_id))
    );

    let path = format!("/admin/v1/reconciliation/runs/{run_id}");
    eventually(Duration::from_secs(60), "the run completes", || async {
        let (_, run) = call(&api, Method::GET, &path, Value::Null).await;
        (run["status"] == "completed").then_some(())
    })
    .await;
    let path = format!("/admin/v1/reconciliation/runs?connection_id={connection}&status=completed");
    let (status, page) = call(&api, Method::GET, &path, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let listed = page["items"]
        .as_array()
        .and_then(|runs| {
            runs.iter()
                .find(|run| run["id"].as_i64() == Some(run_id))
                .cloned()
        })
        .expect("the run is listed with its progress");
    assert_eq!(
        (
            listed["checked_count"].as_i64(),
            listed["mismatch_count"].as_i64()
        ),
        (Some(100), Some(10))
    );

    let path = format!("/admin/v1/reconciliation/discrepancies?run_id={run_id}&kind=amount");
    let (status, amounts) = call(&api, Method::GET, &path, Value::Null).await;
    assert_eq!(status, StatusCode::OK);
    let amounts = amounts["items"].as_array().expect("items").clone();
    assert_eq!(amounts.len(), 2);
    assert_eq!(
        expected.iter().filter(|(kind, _)| kind == "amount").count(),
        2
    );
    let item = amounts[0]["id"].as_i64().expect("item id");

    let resolve = format!("/admin/v1/reconciliation/discrepancies/{item}/resolve");
    let (status, refused) = call(&api, Method::POST, &resolve, json!({"note": "  "})).await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (StatusCode::BAD_REQUEST, Some("invalid"))
    );
    let note = json!({"note": "upstream refunded the difference", "resolved_by": "ops-1"});
    let (status, resolved) = call(&api, Method::POST, &resolve, note.clone()).await;
    assert_eq!(status, StatusCode::OK, "{resolved}");
    assert_eq!(
        resolved["discrepancy"]["resolution_note"],
        "upstream refunded the difference"
    );
    assert_eq!(resolved["discrepancy"]["resolved_by"], "ops-1");
    let (status, twice) = call(&api, Method::POST, &resolve, note).await;
    assert_eq!(
        (status, twice["error"].as_str()),
        (StatusCode::CONFLICT, Some("invalid_transition"))
    );
    let (status, _) = call(
        &api,
        Method::POST,
        "/admin/v1/reconciliation/discrepancies/999999/resolve",
        json!({"note": "x"}),
    )
    .await;
    assert_eq!(status, StatusCode::NOT_FOUND);

    let path = format!("/admin/v1/reconciliation/discrepancies?run_id={run_id}&resolved=false");
    let (_, open) = call(&api, Method::GET, &path, Value::Null).await;
    assert_eq!(open["items"].as_array().map(Vec::len), Some(9));
    let path = format!("/admin/v1/reconciliation/discrepancies?run_id={run_id}&resolved=true");
    let (_, closed) = call(&api, Method::GET, &path, Value::Null).await;
    assert_eq!(closed["items"][0]["id"].as_i64(), Some(item));

    let bad = json!({"connection_id": connection, "period_start": end, "period_end": start, "run_type": "full"});
    let (status, _) = call(&api, Method::POST, "/admin/v1/reconciliation/runs", bad).await;
    assert_eq!(
        status,
        StatusCode::BAD_REQUEST,
        "an empty period is refused"
    );
    let unknown = json!({"connection_id": 999_999, "period_start": start, "period_end": end, "run_type": "status"});
    let (status, _) = call(&api, Method::POST, "/admin/v1/reconciliation/runs", unknown).await;
    assert_eq!(
        status,
        StatusCode::NOT_FOUND,
        "an unknown connection is refused"
    );
    hub.stop().await;
}

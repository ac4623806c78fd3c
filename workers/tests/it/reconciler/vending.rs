//! A vending connection: orders placed through the procurer, then changed and deleted at the
//! simulated platform (over its HTTP control routes), are found as `status`, `amount` and
//! `missing_upstream`; the run notes that the platform lists no orders (`missing_local`).

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::json;
use switchyard_simulators::vending::{VendingSimConfig, VendingSimulator};
use switchyard_store::mappings::Fulfiller;
use switchyard_store::orders::OrderStatus;
use switchyard_workers::reconciler::request_run;

use super::{completed, full_run, seed};
use crate::support::{Hub, WAIT};

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn vending_orders_changed_at_the_platform_are_found() {
    let hub = Hub::start().await;
    let platform = VendingSimulator::new(VendingSimConfig::default());
    let http = platform.spawn().await.expect("platform");
    let connection = hub.vending_connection(&http.base_url()).await;
    let sku = hub.sku("SODA", 350, -1).await;
    let machine = Fulfiller::Vending {
        connection_id: connection,
        machine_no: "12345678".into(),
        product_id: "p1".into(),
    };
    hub.map(sku, machine).await;
    let mut subs = Vec::new();
    for _ in 0..4 {
        let order = hub.place_order(&[(sku, 1)]).await;
        hub.wait_for(order, OrderStatus::Delivered, WAIT).await;
        subs.push(hub.subs(order).await.remove(0));
    }
    let vending_id = |n: usize| {
        subs[n]
            .upstream_order_id
            .clone()
            .expect("platform order id")
    };
    let client = reqwest::Client::new();
    let base = http.base_url();
    let changes = [
        (0, reqwest::Method::PATCH, json!({"status": "REFUND"})),
        (1, reqwest::Method::PATCH, json!({"price": 999})),
        (2, reqwest::Method::DELETE, serde_json::Value::Null),
    ];
    for (n, method, body) in changes {
        let mut request =
            client.request(method, format!("{base}/_control/orders/{}", vending_id(n)));
        if !body.is_null() {
            request = request.json(&body);
        }
        assert!(request.send().await.expect("control").status().is_success());
    }

    let run = request_run(hub.pool(), &full_run(connection))
        .await
        .expect("run")
        .into_inner();
    let run = completed(hub.pool(), run.id, Duration::from_secs(60)).await;
    let expected: BTreeSet<(String, String)> = [
        ("status", subs[0].id),
        ("amount", subs[1].id),
        ("missing_upstream", subs[2].id),
    ]
    .into_iter()
    .map(|(kind, id)| (kind.to_owned(), id.to_string()))
    .collect();
    assert_eq!(seed::found(hub.pool(), run.id).await.0, expected);
    assert_eq!((run.checked_count, run.matched_count), (4, 1));
    assert!(
        run.note
            .as_deref()
            .is_some_and(|note| note.contains("vending")),
        "{:?}",
        run.note
    );
    hub.stop().await;
}

//! Issue 6, "Must show" 1: three live Switchyard installations A ← B ← C, each its own
//! `switchyard up` process, database, topic and group prefixes and ports, on one broker.
//!
//! A sells a SKU mapped to B's SKU, B maps it to C's SKU, C delivers from local stock. An order
//! placed at A's ingress by a signed downstream site is procured A→B→C; C's delivery content comes
//! back to A through B by callbacks (each relayer confirming by reading the order back), and the
//! downstream site is told. Every level shows the order and its sub-order delivered, and every
//! wallet was debited exactly once. B then reconciles its connection to C against C's order list.

mod support;

use std::time::Duration;

use serde_json::{json, Value};
use switchyard_testkit::broker::shared_broker;

use support::downstream::Downstream;
use support::Site;
use switchyard_testkit::eventually;

/// The order's whole trip through three installations must fit well inside a minute.
const DELIVERY_WITHIN: Duration = Duration::from_secs(45);

/// (status, fulfiller, delivery content) of every sub-order of the site's only order.
async fn sub_orders(site: &Site) -> Vec<(String, Option<String>, Option<Value>)> {
    sqlx::query_as(
        "SELECT status, fulfiller, delivery_content FROM procurement_orders ORDER BY created_at",
    )
    .fetch_all(site.pool())
    .await
    .expect("procurement orders")
}

/// (order_no, status) of every order at the site.
async fn orders(site: &Site) -> Vec<(String, String)> {
    sqlx::query_as("SELECT order_no, status FROM orders ORDER BY created_at")
        .fetch_all(site.pool())
        .await
        .expect("orders")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_order_at_a_is_procured_through_b_from_c_and_delivered_back() {
    let brokers = shared_broker().expect("a test broker");
    let c = Site::new("C", &brokers).await;
    let b = Site::new("B", &brokers).await;
    let a = Site::new("A", &brokers).await;
    let c_proc = c.spawn(&["up"]);
    let b_proc = b.spawn(&["up"]);
    let a_proc = a.spawn(&["up"]);
    let (c_op, b_op, a_op) = (
        c.operator(&c_proc),
        b.operator(&b_proc),
        a.operator(&a_proc),
    );

    // C: a card in local stock, and an account for B with 100.00 in its wallet.
    let c_sku = c_op.sku(500, 10).await;
    let b_at_c = c_op.credential("site B", 10_000).await;
    // B: its SKU bought from C with that account; an account for A.
    let b_sku = b_op.sku(800, -1).await;
    let b_to_c = b_op.dujiao_upstream(&c.ingress_url(), &b_at_c).await;
    b.map_to_upstream(b_sku, b_to_c, c_sku).await;
    let a_at_b = b_op.credential("site A", 10_000).await;
    // A: its SKU bought from B; an account for the shop that sells to buyers.
    let a_sku = a_op.sku(1_000, -1).await;
    let a_to_b = a_op.dujiao_upstream(&b.ingress_url(), &a_at_b).await;
    a.map_to_upstream(a_sku, a_to_b, b_sku).await;
    let shop_at_a = a_op.credential("shop", 10_000).await;

    let shop = Downstream::start(&a.ingress_url(), &shop_at_a).await;
    let placed = shop.order(a_sku, 1, "SHOP-0001").await;
    assert_eq!(placed.status, "paid");

    // Poll A's database, not its provider API: identical signed reads repeated many times a
    // second would (rightly) run into the receiver's replay protection.
    eventually(DELIVERY_WITHIN, "A's order to be delivered", || async {
        let status: String = sqlx::query_scalar("SELECT status FROM orders")
            .fetch_one(a.pool())
            .await
            .expect("A's order");
        (status == "delivered").then_some(())
    })
    .await;
    let detail = shop.read(placed.order_id).await;
    assert_eq!(detail.status, "delivered");

    // C delivered from local stock: one code for the one unit, named after C's order.
    let c_orders = orders(&c).await;
    assert_eq!(c_orders.len(), 1, "B bought once at C: {c_orders:?}");
    assert_eq!(c_orders[0].1, "delivered");
    let c_subs = sub_orders(&c).await;
    assert_eq!(c_subs.len(), 1, "{c_subs:?}");
    assert_eq!(c_subs[0].0, "fulfilled");
    assert_eq!(c_subs[0].1.as_deref(), Some("local_stock"));
    let c_code = format!("{}-1-1", c_orders[0].0);
    let c_content = c_subs[0].2.clone().expect("C stored its delivery");
    assert_eq!(c_content["payload"], c_code.as_str());

    // B and A: one order each, delivered; one Dujiao-Next sub-order each, delivered with C's
    // content carried up unchanged.
    for site in [&b, &a] {
        let site_orders = orders(site).await;
        assert_eq!(site_orders.len(), 1, "{}: {site_orders:?}", site.name);
        assert_eq!(site_orders[0].1, "delivered", "{}", site.name);
        let subs = sub_orders(site).await;
        assert_eq!(subs.len(), 1, "{}: {subs:?}", site.name);
        assert!(
            matches!(subs[0].0.as_str(), "fulfilled" | "completed"),
            "{}: {subs:?}",
            site.name
        );
        assert_eq!(
            subs[0].1.as_deref(),
            Some("dujiao_upstream"),
            "{}",
            site.name
        );
        let content = subs[0].2.clone().expect("delivery stored");
        assert_eq!(content["payload"], c_code.as_str(), "{}", site.name);
        assert_eq!(
            content["delivery_data"], c_content["delivery_data"],
            "{}",
            site.name
        );
    }

    // What an operator sees at each level: one delivered sub-order, placed on the first attempt,
    // with the right fulfiller (A and B buy upstream; C delivers itself).
    for (operator, fulfiller) in [
        (&a_op, "dujiao_upstream"),
        (&b_op, "dujiao_upstream"),
        (&c_op, "local_stock"),
    ] {
        let listed = operator.get("/admin/v1/procurement/orders").await;
        let items = listed["items"].as_array().expect("items");
        assert_eq!(items.len(), 1, "{listed}");
        assert_eq!(items[0]["fulfiller"], fulfiller, "{listed}");
        assert_eq!(items[0]["delivered"], true, "{listed}");
        assert_eq!(items[0]["attempts"], 1, "{listed}");
        assert!(items[0]["last_error_code"].is_null(), "{listed}");
    }

    // The shop reads the delivery back at A…
    let fulfillment = detail.fulfillment.expect("A shows the delivery");
    assert_eq!(fulfillment.payload.expose(), &c_code);
    assert_eq!(fulfillment.status, "delivered");
    // …and A relayed the fulfilment callback to it.
    let callback = eventually(DELIVERY_WITHIN, "A's callback to the shop", || async {
        shop.callbacks()
            .into_iter()
            .find(|body| body["event"] == "order.fulfilled")
    })
    .await;
    assert_eq!(callback["downstream_order_no"], "SHOP-0001");
    assert_eq!(callback["fulfillment"]["payload"], c_code.as_str());

    // Every wallet was debited exactly once, at that level's price.
    assert_eq!(a_op.balance(shop_at_a.user_id).await, 10_000 - 1_000);
    assert_eq!(b_op.balance(a_at_b.user_id).await, 10_000 - 800);
    assert_eq!(c_op.balance(b_at_c.user_id).await, 10_000 - 500);

    // B reconciles its connection to C. C is a Switchyard site, so it serves the order list:
    // B's order agrees, and an order C holds for B's account that B never placed is missing_local.
    let by_hand = Downstream::start(&c.ingress_url(), &b_at_c).await;
    let stray = by_hand.order(c_sku, 1, "STRAY-0001").await;
    let now = chrono::Utc::now();
    let requested = b_op
        .post(
            "/admin/v1/reconciliation/runs",
            Some(json!({
                "connection_id": b_to_c, "run_type": "full",
                "period_start": now - chrono::Duration::hours(1),
                "period_end": now + chrono::Duration::minutes(1),
            })),
            201,
        )
        .await;
    let run_path = format!("/admin/v1/reconciliation/runs/{}", requested["run"]["id"]);
    let run = eventually(DELIVERY_WITHIN, "B's reconciliation run to end", || async {
        let run = b_op.get(&run_path).await;
        matches!(run["status"].as_str(), Some("completed" | "failed")).then_some(run)
    })
    .await;
    assert_eq!(run["status"], "completed", "{run}");
    assert_eq!(
        (
            &run["matched_count"],
            &run["mismatch_count"],
            &run["remote_listed_count"]
        ),
        (&json!(1), &json!(1), &json!(2)),
        "{run}"
    );
    assert!(run["note"].is_null(), "everything was checked: {run}");
    let found = b_op
        .get(&format!(
            "/admin/v1/reconciliation/discrepancies?run_id={}",
            run["id"]
        ))
        .await;
    let items = found["items"].as_array().expect("items");
    assert_eq!(items.len(), 1, "{found}");
    assert_eq!(items[0]["mismatch_kind"], "missing_local", "{found}");
    assert_eq!(
        items[0]["upstream_order_id"],
        stray.order_id.to_string().as_str(),
        "{found}"
    );

    for mut running in [a_proc, b_proc, c_proc] {
        running.assert_running();
    }
}

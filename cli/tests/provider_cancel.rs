//! Issue 13, item 4: a downstream site's cancel of an order we are already procuring asks our
//! upstream first. A live `switchyard up` buys from a simulated Dujiao-Next upstream (which
//! accepts orders and does not deliver them); the downstream site then cancels through our
//! provider API. Agreed upstream → our order, its sub-order and the upstream order are canceled
//! and the site is refunded; refused upstream → 409 `cancel_not_allowed` and nothing changed.

mod support;

use std::time::Duration;

use switchyard_partners::dujiao::{DujiaoError, DujiaoOrderStatus};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator, SimSwitches};
use switchyard_testkit::broker::shared_broker;
use switchyard_testkit::eventually;

use support::downstream::Downstream;
use support::operator::Credential;
use support::Site;

const WITHIN: Duration = Duration::from_secs(30);
/// SKU 12 of the simulator's sample catalog: 1.50, unlimited stock.
const UPSTREAM_SKU: i64 = 12;

async fn status_of(site: &Site, table: &str) -> String {
    sqlx::query_scalar(&format!("SELECT status FROM {table}"))
        .fetch_one(site.pool())
        .await
        .unwrap_or_default()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_site_cancels_a_procured_order_only_when_the_upstream_agrees() {
    let brokers = shared_broker().expect("a test broker");
    let upstream = DujiaoSimulator::new(DujiaoSimConfig::default().with_credential(
        "ak-cancel",
        "sk-cancel",
        1_000_000,
    ));
    let upstream_handle = upstream.spawn().await.expect("upstream simulator");
    let site = Site::new("A", &brokers).await;
    let proc = site.spawn(&["up"]);
    let op = site.operator(&proc);
    let sku = op.sku(300, -1).await;
    let at_upstream = Credential {
        user_id: 0,
        credential_id: 0,
        api_key: "ak-cancel".into(),
        secret: "sk-cancel".into(),
    };
    let connection = op
        .dujiao_upstream(&upstream_handle.base_url(), &at_upstream)
        .await;
    site.map_to_upstream(sku, connection, UPSTREAM_SKU).await;
    let shop_credential = op.credential("shop", 10_000).await;
    let shop = Downstream::start(&site.ingress_url(), &shop_credential).await;

    // Refused upstream: 409, and the order, the sub-order and the wallet stay as they were.
    upstream.set_switches(SimSwitches {
        refuse_cancel: true,
        ..SimSwitches::default()
    });
    let first = shop.order(sku, 1, "SHOP-C-1").await;
    eventually(WITHIN, "the sub-order accepted upstream", || async {
        (status_of(&site, "procurement_orders").await == "accepted").then_some(())
    })
    .await;
    let refused = shop.cancel(first.order_id).await.expect_err("refused");
    assert!(
        matches!(&refused, DujiaoError::Api { status: 409, .. }),
        "{refused:?}"
    );
    assert_eq!(refused.code(), Some("cancel_not_allowed"));
    assert_eq!(status_of(&site, "procurement_orders").await, "accepted");
    assert_eq!(status_of(&site, "orders").await, "procuring");
    assert_eq!(op.balance(shop_credential.user_id).await, 9_700);

    // Agreed upstream: the upstream order is canceled first, then ours, and the site refunded.
    // A retried cancel may be byte-identical to the refused one (Dujiao-Next signs whole
    // seconds): the upstream and our ingress answer it as an idempotent call, with no wait.
    upstream.set_switches(SimSwitches::default());
    let canceled = shop.cancel(first.order_id).await.expect("canceled");
    assert_eq!(canceled.status, "canceled");
    assert_eq!(status_of(&site, "procurement_orders").await, "canceled");
    assert_eq!(status_of(&site, "orders").await, "canceled");
    assert_eq!(op.balance(shop_credential.user_id).await, 10_000);
    let upstream_orders = upstream.orders();
    assert_eq!(upstream_orders.len(), 1);
    assert_eq!(upstream_orders[0].status, DujiaoOrderStatus::Canceled);

    // A repeat answers `canceled` again and refunds nothing more.
    let again = shop.cancel(first.order_id).await.expect("canceled again");
    assert_eq!(again.status, "canceled");
    assert_eq!(op.balance(shop_credential.user_id).await, 10_000);
    drop(proc);
}

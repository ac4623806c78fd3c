//! The expiry-sweeper's retention: rows past their age are purged and counted per table, young
//! ones and the ones an operator still needs stay; a purge deletes at most one batch per
//! statement.

use switchyard_store::mappings::FulfillerKind;
use switchyard_store::orders::{self, Channel, NewOrder, NewOrderItem};
use switchyard_store::procurement::{self, NewProcurement, ProcurementStatus, SourceType};
use switchyard_store::retention::{purge_batch, Purge};
use switchyard_store::Currency;
use switchyard_testkit::database::TestDatabase;
use switchyard_testkit::eventually;
use uuid::Uuid;

use crate::support::{Hub, WAIT};

/// 25 rows past every default retention (replay-guard rows past their expiry) and 5 young ones,
/// per table.
const SEED: &str = "
insert into ingress_dedupe (channel, dedupe_key, event_id, created_at)
    select 'test', 'old-' || n, gen_random_uuid(), now() - interval '8 days'
      from generate_series(1, 25) n;
insert into ingress_dedupe (channel, dedupe_key, event_id, created_at)
    select 'test', 'young-' || n, gen_random_uuid(), now() - interval '6 days'
      from generate_series(1, 5) n;
insert into processed_events (consumer_group, event_id, topic, processed_at)
    select 'test', gen_random_uuid(), 'test', now() - interval '31 days'
      from generate_series(1, 25) n;
insert into processed_events (consumer_group, event_id, topic, processed_at)
    select 'test', gen_random_uuid(), 'test', now() - interval '29 days'
      from generate_series(1, 5) n;
insert into event_outbox (event_id, topic, payload, published_at)
    select gen_random_uuid(), 'test', 'p', now() - interval '2 days'
      from generate_series(1, 25) n;
insert into event_outbox (event_id, topic, payload, published_at)
    select gen_random_uuid(), 'test', 'p', now() - interval '1 hour'
      from generate_series(1, 5) n;
insert into event_outbox (event_id, topic, payload, created_at, refused_at, refusal)
    select gen_random_uuid(), 'test', 'p', now() - interval '9 days', now() - interval '9 days', 'too large'
      from generate_series(1, 3) n;
insert into dujiao_replay_guard (api_key, signature, request_digest, expires_at)
    select 'test', sha256(('old-' || n)::bytea), sha256('r'::bytea), now() - interval '1 second'
      from generate_series(1, 25) n;
insert into dujiao_replay_guard (api_key, signature, request_digest, expires_at)
    select 'test', sha256(('live-' || n)::bytea), sha256('r'::bytea), now() + interval '1 hour'
      from generate_series(1, 5) n;
";

async fn count(pool: &sqlx::PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("test set-up")
}

/// A sub-order in `status` with `attempts` attempts made 100 days ago.
async fn sub_order_with_old_attempts(hub: &Hub, status: ProcurementStatus, attempts: i32) -> Uuid {
    let mut conn = hub.pool().acquire().await.expect("test set-up");
    let order = orders::insert(
        &mut conn,
        &NewOrder {
            id: Uuid::now_v7(),
            channel: Channel::Operator,
            channel_order_id: format!("retention-{status}"),
            source_credential_id: None,
            source_connection_id: None,
            total_minor: 100,
            currency: Currency::CNY,
            callback_url: None,
            trace_id: None,
            items: vec![NewOrderItem {
                sku_id: None,
                channel_item_id: None,
                title: None,
                quantity: 1,
                unit_price_minor: 100,
                manual_form_data: None,
            }],
            contact: None,
        },
    )
    .await
    .expect("test set-up")
    .into_inner();
    let sub = procurement::create(
        &mut conn,
        &NewProcurement {
            id: Uuid::now_v7(),
            order_id: order.id,
            source_type: SourceType::Outbound,
            fulfiller: Some(FulfillerKind::LocalStock),
            connection_id: None,
            credential_id: None,
            idempotency_key: format!("{}-L", order.order_no),
            amount_minor: 100,
            currency: Currency::CNY,
            items: Vec::new(),
        },
    )
    .await
    .expect("test set-up")
    .into_inner();
    procurement::set_status(hub.pool(), sub.id, status)
        .await
        .expect("test set-up");
    sqlx::query(
        "insert into procurement_attempts (procurement_order_id, attempt_no, attempted_at, outcome)
         select $1, n, now() - interval '100 days', 'transient_failure'
           from generate_series(1, $2) n",
    )
    .bind(sub.id)
    .bind(attempts)
    .execute(hub.pool())
    .await
    .expect("test set-up");
    sub.id
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn old_rows_are_purged_and_counted_young_ones_stay() {
    let hub = Hub::start_with(|config| {
        config.sweeper.retention_period_secs = 100; // 1 s scaled
        config.sweeper.retention_batch = 7;
        config.sweeper.retention_pause_ms = 0;
    })
    .await;
    let delivered = sub_order_with_old_attempts(&hub, ProcurementStatus::Fulfilled, 3).await;
    let failed = sub_order_with_old_attempts(&hub, ProcurementStatus::Failed, 2).await;
    sqlx::raw_sql(SEED).execute(hub.pool()).await.unwrap();

    let metrics = &hub.metrics;
    eventually(WAIT, "every old row purged", || async {
        metrics.retention_purged("ingress_dedupe") == 25
            && metrics.retention_purged("processed_events") == 25
            && metrics.retention_purged("event_outbox") == 25
            && metrics.retention_purged("procurement_attempts") == 3
            && metrics.retention_purged("dujiao_replay_guard") == 25
    })
    .await;
    let pool = hub.pool();
    let dedupe = count(
        pool,
        "select count(*) from ingress_dedupe where channel = 'test'",
    )
    .await;
    assert_eq!(dedupe, 5, "young dedupe rows stay");
    let processed = count(
        pool,
        "select count(*) from processed_events where consumer_group = 'test'",
    )
    .await;
    assert_eq!(processed, 5, "consumer dedupe younger than 30 days stays");
    let outbox = count(
        pool,
        "select count(*) from event_outbox where topic = 'test'",
    )
    .await;
    assert_eq!(outbox, 5 + 3, "young published rows and refused rows stay");
    let replay = count(pool, "select count(*) from dujiao_replay_guard").await;
    assert_eq!(replay, 5, "signatures still inside their window stay");
    let attempts = |id: Uuid| async move {
        sqlx::query_scalar::<_, i64>(
            "select count(*) from procurement_attempts where procurement_order_id = $1",
        )
        .bind(id)
        .fetch_one(pool)
        .await
        .unwrap()
    };
    assert_eq!(
        attempts(delivered).await,
        0,
        "a finished sub-order's old log goes"
    );
    assert_eq!(attempts(failed).await, 2, "an exception keeps its log");
    // The attempt log stays append-only for everyone else.
    let refused = sqlx::query("delete from procurement_attempts where procurement_order_id = $1")
        .bind(failed)
        .execute(pool)
        .await;
    assert!(refused.is_err());
    hub.stop().await;
}

#[tokio::test]
async fn a_purge_statement_deletes_at_most_one_batch() {
    let db = TestDatabase::new().await.expect("test database");
    sqlx::raw_sql(SEED).execute(db.pool()).await.unwrap();
    let cutoff = chrono::Utc::now() - chrono::Duration::days(7);
    let mut batches = Vec::new();
    loop {
        let purged = purge_batch(db.pool(), Purge::IngressDedupe, cutoff, 7)
            .await
            .unwrap();
        batches.push(purged);
        if purged < 7 {
            break;
        }
    }
    assert_eq!(batches, [7, 7, 7, 4]);
    let left = count(db.pool(), "select count(*) from ingress_dedupe").await;
    assert_eq!(left, 5);
}

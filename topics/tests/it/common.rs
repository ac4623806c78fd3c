//! Shared test fixtures: a broker-backed config with a unique prefix, a migrated database with
//! the runner's tables, sample events, and a recording handler.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use switchyard_testkit::broker::{shared_broker, unique_prefix};
use switchyard_testkit::database::TestDatabase;
use switchyard_topics::events::StockChanged;
use switchyard_topics::events::{StockChangeReason, StockSource, StockStatus};
use switchyard_topics::{
    encode, mark_processed, Delivery, EventMeta, Handler, HandlerError, KafkaConfig, ProcessedMark,
    Producer,
};

/// A config on the shared broker with a fresh topic and group prefix.
pub fn test_config() -> KafkaConfig {
    let prefix = unique_prefix();
    KafkaConfig {
        brokers: shared_broker().expect("a test broker"),
        topic_prefix: prefix.clone(),
        group_prefix: prefix,
        default_partitions: 3,
        retry_delays_ms: vec![300, 600],
        max_attempts: 3,
        retry_poll_interval_ms: 50,
        session_timeout_ms: 6_000,
        drain_timeout_ms: 10_000,
        ..KafkaConfig::default()
    }
}

/// A migrated database (the runner's retry table included) plus a test `effects` table.
pub async fn test_database() -> TestDatabase {
    let database = TestDatabase::new().await.expect("test database");
    sqlx::raw_sql(
        "create table if not exists processed_events (consumer_group text not null,
             event_id uuid not null, topic text not null,
             processed_at timestamptz not null default now(),
             primary key (consumer_group, event_id));
         create table effects (id bigserial primary key, consumer_group text not null,
             event_id uuid not null, event_key text not null, seq bigint not null,
             attempt int not null, applied_at timestamptz not null default clock_timestamp());",
    )
    .execute(database.pool())
    .await
    .unwrap();
    database
}

/// A stock event for `sku`, carrying `seq` in `quantity`.
pub fn stock_event(sku: &str, seq: i64) -> StockChanged {
    StockChanged {
        sku_id: sku.to_owned(),
        sku_code: format!("CODE-{sku}"),
        source: StockSource::Local,
        connection_id: None,
        quantity: Some(seq),
        stock_status: StockStatus::InStock,
        is_active: true,
        price: None,
        reason: StockChangeReason::Adjusted,
        observed_at: 1_700_000_000_000 + seq,
    }
}

/// Produces events in order and waits for each confirmation.
pub async fn produce_stock(config: &KafkaConfig, events: &[StockChanged]) {
    let producer = Producer::new(config).unwrap();
    for event in events {
        let encoded = encode(config, event, EventMeta::new()).unwrap();
        producer
            .send(&encoded, Duration::from_secs(10))
            .await
            .unwrap();
    }
}

/// Applies each event once: `effects` row + `processed_events` mark in one transaction.
pub async fn apply_effect(
    pool: &sqlx::PgPool,
    event: &StockChanged,
    delivery: &Delivery,
) -> Result<(), HandlerError> {
    let mut tx = pool.begin().await.map_err(HandlerError::transient)?;
    if mark_processed(&mut tx, delivery)
        .await
        .map_err(HandlerError::transient)?
        == ProcessedMark::AlreadyProcessed
    {
        return Ok(());
    }
    sqlx::query(
        "insert into effects (consumer_group, event_id, event_key, seq, attempt)
         values ($1, $2, $3, $4, $5)",
    )
    .bind(&*delivery.consumer_group)
    .bind(delivery.event_id)
    .bind(&*delivery.key)
    .bind(event.quantity.unwrap_or(-1))
    .bind(delivery.attempt as i32)
    .execute(&mut *tx)
    .await
    .map_err(HandlerError::transient)?;
    tx.commit().await.map_err(HandlerError::transient)
}

/// What a scripted handler should answer for an event.
pub type Script = Arc<dyn Fn(&StockChanged, &Delivery) -> Option<HandlerError> + Send + Sync>;

/// Every handler call: key, sequence number, attempt, when.
pub type Seen = Arc<Mutex<Vec<(String, i64, u32, Instant)>>>;

/// Applies effects unless the script returns an error for that delivery.
pub struct ScriptedHandler {
    pub pool: sqlx::PgPool,
    pub script: Script,
    pub seen: Seen,
}

impl Handler for ScriptedHandler {
    type Event = StockChanged;

    async fn handle(&self, event: StockChanged, delivery: &Delivery) -> Result<(), HandlerError> {
        self.seen.lock().unwrap().push((
            delivery.key.to_string(),
            event.quantity.unwrap_or(-1),
            delivery.attempt,
            Instant::now(),
        ));
        if let Some(error) = (self.script)(&event, delivery) {
            return Err(error);
        }
        apply_effect(&self.pool, &event, delivery).await
    }
}

/// Number of effect rows, and of distinct events among them.
pub async fn effect_counts(pool: &sqlx::PgPool) -> (i64, i64) {
    sqlx::query_as("select count(*), count(distinct event_id) from effects")
        .fetch_one(pool)
        .await
        .unwrap()
}

pub use switchyard_testkit::eventually;

//! Runner throughput against a raw rdkafka consumer reading the same topic.
//!
//! `cargo bench -p switchyard-topics --bench runner_throughput` (uses `SWITCHYARD_TEST_BROKER`
//! or spawns a private tansu; a fresh Postgres database). Prints events/s for: a raw
//! `BaseConsumer` in its own group, the runner with a no-op handler (decode included), and the
//! runner with a handler whose effect is written to Postgres in batches; plus the ratios.
//! `BENCH_EVENTS` sets the event count (default 50 000). The process uses the `switchyard`
//! binary's allocator (mimalloc) for both consumers, as the workers do in production.

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::join_all;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::ClientConfig;
use switchyard_testkit::broker::{shared_broker, unique_prefix};
use switchyard_testkit::database::TestDatabase;
use switchyard_topics::events::{StockChangeReason, StockChanged, StockSource, StockStatus};
use switchyard_topics::{
    encode, ensure_topics, Delivery, EventMeta, Handler, HandlerError, KafkaConfig, Producer,
    Runner, RunnerMetrics,
};
use tokio::sync::{mpsc, oneshot};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Counts handled events and remembers when the first and the last arrived.
#[derive(Default)]
struct Clock {
    count: AtomicU64,
    first: Mutex<Option<Instant>>,
    last: Mutex<Option<Instant>>,
}

impl Clock {
    fn tick(&self) {
        let now = Instant::now();
        self.first.lock().unwrap().get_or_insert(now);
        *self.last.lock().unwrap() = Some(now);
        self.count.fetch_add(1, Ordering::Relaxed);
    }

    fn rate(&self) -> f64 {
        let first = self.first.lock().unwrap().unwrap();
        let last = self.last.lock().unwrap().unwrap();
        self.count.load(Ordering::Relaxed) as f64 / (last - first).as_secs_f64().max(1e-6)
    }
}

struct NoOp(Arc<Clock>);

impl Handler for NoOp {
    type Event = StockChanged;
    async fn handle(&self, _event: StockChanged, _delivery: &Delivery) -> Result<(), HandlerError> {
        self.0.tick();
        Ok(())
    }
}

/// Hands each event id to a batch writer and returns once its batch is committed.
struct BatchedPostgres {
    clock: Arc<Clock>,
    writer: mpsc::Sender<(Uuid, oneshot::Sender<Result<(), String>>)>,
}

impl Handler for BatchedPostgres {
    type Event = StockChanged;
    async fn handle(&self, _event: StockChanged, delivery: &Delivery) -> Result<(), HandlerError> {
        let (done, written) = oneshot::channel();
        self.writer
            .send((delivery.event_id, done))
            .await
            .map_err(HandlerError::transient)?;
        written
            .await
            .map_err(HandlerError::transient)?
            .map_err(HandlerError::transient)?;
        self.clock.tick();
        Ok(())
    }
}

/// Collects waiting effects into batches of up to 2000 rows; up to 4 batches are written at once.
async fn batch_writer(
    pool: sqlx::PgPool,
    mut requests: mpsc::Receiver<(Uuid, oneshot::Sender<Result<(), String>>)>,
) {
    let writers = Arc::new(tokio::sync::Semaphore::new(4));
    while let Some(first) = requests.recv().await {
        let permit = Arc::clone(&writers).acquire_owned().await.unwrap();
        let mut batch = vec![first];
        while batch.len() < 2_000 {
            match requests.try_recv() {
                Ok(next) => batch.push(next),
                Err(_) => break,
            }
        }
        let pool = pool.clone();
        tokio::spawn(async move {
            let _permit = permit;
            let ids: Vec<Uuid> = batch.iter().map(|(id, _)| *id).collect();
            let result = sqlx::query(
                "insert into processed_events (consumer_group, event_id, topic)
             select 'bench', id, 'stock.changed' from unnest($1::uuid[]) as id
             on conflict do nothing",
            )
            .bind(&ids)
            .execute(&pool)
            .await
            .map(|_| ())
            .map_err(|e| e.to_string());
            for (_, done) in batch {
                let _ = done.send(result.clone());
            }
        });
    }
}

fn event(i: u64) -> StockChanged {
    StockChanged {
        sku_id: format!("sku-{}", i % 1_000),
        sku_code: "BENCH".into(),
        source: StockSource::Local,
        connection_id: None,
        quantity: Some(i as i64),
        stock_status: StockStatus::InStock,
        is_active: true,
        price: None,
        reason: StockChangeReason::Sync,
        observed_at: 1_700_000_000_000,
    }
}

async fn produce(config: &KafkaConfig, total: u64) {
    let producer = Producer::new(config).unwrap();
    let encoded: Vec<_> = (0..total)
        .map(|i| encode(config, &event(i), EventMeta::new()).unwrap())
        .collect();
    for chunk in encoded.chunks(2_000) {
        let sends = chunk
            .iter()
            .map(|e| producer.send(e, Duration::from_secs(30)));
        for result in join_all(sends).await {
            result.unwrap();
        }
    }
}

fn raw_rate(config: &KafkaConfig, total: u64) -> f64 {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", &config.brokers)
        .set("group.id", format!("{}raw", config.group_prefix))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer
        .subscribe(&[&config.topic_name("stock.changed")])
        .unwrap();
    let clock = Clock::default();
    while clock.count.load(Ordering::Relaxed) < total {
        if let Some(message) = consumer.poll(Duration::from_millis(100)) {
            message.unwrap();
            clock.tick();
        }
    }
    clock.rate()
}

async fn runner_rate<H: Handler>(
    config: &KafkaConfig,
    worker: &str,
    handler: H,
    clock: &Clock,
    pool: &sqlx::PgPool,
    total: u64,
) -> f64 {
    let runner = Runner::new(
        config,
        worker,
        handler,
        pool.clone(),
        RunnerMetrics::default(),
    )
    .unwrap();
    let stop = CancellationToken::new();
    let task = tokio::spawn(runner.run(stop.clone()));
    while clock.count.load(Ordering::Relaxed) < total {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    stop.cancel();
    task.await.unwrap().unwrap();
    clock.rate()
}

const ROUNDS: usize = 3;

fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn main() {
    let total: u64 = std::env::var("BENCH_EVENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(50_000);
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let prefix = unique_prefix();
        let config = KafkaConfig {
            brokers: shared_broker().unwrap(),
            topic_prefix: prefix.clone(),
            group_prefix: prefix,
            default_partitions: 3,
            max_in_flight: 4_096,
            max_buffered: 8_192,
            ..KafkaConfig::default()
        };
        ensure_topics(&config).await.unwrap();
        let database = TestDatabase::new().await.unwrap();
        produce(&config, total).await;
        eprintln!("produced {total} events");

        // Rounds interleave the three consumers (each a fresh group reading the same topic) so
        // noise from the shared machine hits all of them; the median of each is reported.
        let (mut raws, mut no_ops, mut batcheds) = (Vec::new(), Vec::new(), Vec::new());
        for round in 0..ROUNDS {
            let raw_config = KafkaConfig {
                group_prefix: format!("{}r{round}.", config.group_prefix),
                ..config.clone()
            };
            raws.push(
                tokio::task::spawn_blocking(move || raw_rate(&raw_config, total))
                    .await
                    .unwrap(),
            );
            let clock = Arc::new(Clock::default());
            let worker = format!("noop{round}");
            no_ops.push(
                runner_rate(&config, &worker, NoOp(Arc::clone(&clock)), &clock, database.pool(), total)
                    .await,
            );
            let clock = Arc::new(Clock::default());
            let (writer, requests) = mpsc::channel(8_192);
            tokio::spawn(batch_writer(database.pool().clone(), requests));
            let handler = BatchedPostgres { clock: Arc::clone(&clock), writer };
            let worker = format!("pg{round}");
            batcheds.push(runner_rate(&config, &worker, handler, &clock, database.pool(), total).await);
            eprintln!(
                "round {round}: raw {:.0}/s, no-op runner {:.0}/s, batched Postgres runner {:.0}/s",
                raws[round], no_ops[round], batcheds[round]
            );
        }
        let (raw, no_op, batched) = (median(raws), median(no_ops), median(batcheds));
        println!("events: {total} per run (3 partitions, 1000 keys), median of {ROUNDS} interleaved rounds");
        println!("raw rdkafka consumer:        {raw:>10.0} events/s");
        println!(
            "runner, no-op handler:       {no_op:>10.0} events/s  ratio {:.2} (target >= 0.8)",
            no_op / raw
        );
        println!(
            "runner, batched Postgres:    {batched:>10.0} events/s  ratio {:.2} (target >= 0.5)",
            batched / raw
        );
    });
}

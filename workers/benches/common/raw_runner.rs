//! The consumer runner's raw rate on this machine, measured in the same run as a benchmark so
//! the benchmark can report its rate as a ratio: a no-op handler over `n` pre-produced events,
//! timed from the first event to the last (the group join is not charged).

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use switchyard_topics::events::{StockChangeReason, StockChanged, StockSource, StockStatus};
use switchyard_topics::{
    encode, ensure_topics, Delivery, EventMeta, Handler, HandlerError, Producer, Runner,
    RunnerMetrics,
};
use tokio_util::sync::CancellationToken;

use crate::support;

struct Count(Arc<AtomicUsize>);

impl Handler for Count {
    type Event = StockChanged;
    async fn handle(&self, _event: StockChanged, _delivery: &Delivery) -> Result<(), HandlerError> {
        self.0.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }
}

/// Events/s of the runner with a no-op handler over `n` events.
pub async fn raw_runner_rate(n: usize) -> f64 {
    let db = switchyard_testkit::database::TestDatabase::new()
        .await
        .unwrap();
    let kafka = support::test_kafka();
    ensure_topics(&kafka).await.unwrap();
    let producer = Producer::new(&kafka).unwrap();
    for i in 0..n {
        let event = StockChanged {
            sku_id: format!("{}", i % 64),
            sku_code: "S".into(),
            source: StockSource::Local,
            connection_id: None,
            quantity: Some(i as i64),
            stock_status: StockStatus::InStock,
            is_active: true,
            price: None,
            reason: StockChangeReason::Adjusted,
            observed_at: 0,
        };
        let encoded = encode(&kafka, &event, EventMeta::new()).unwrap();
        producer
            .send(&encoded, Duration::from_secs(10))
            .await
            .unwrap();
    }
    let seen = Arc::new(AtomicUsize::new(0));
    let runner = Runner::new(
        &kafka,
        "bench-raw",
        Count(seen.clone()),
        db.pool().clone(),
        RunnerMetrics::default(),
    )
    .unwrap();
    let token = CancellationToken::new();
    let started = Instant::now();
    let task = tokio::spawn(runner.run(token.clone()));
    // The clock starts at the first event, so the consumer-group join (hundreds of ms on a
    // small N) is not charged to the runner's steady-state rate.
    while seen.load(Ordering::Relaxed) == 0 {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "raw runner saw nothing"
        );
        tokio::time::sleep(Duration::from_millis(1)).await;
    }
    let first_seen = Instant::now();
    while seen.load(Ordering::Relaxed) < n {
        assert!(
            started.elapsed() < Duration::from_secs(120),
            "raw runner saw {} of {n}",
            seen.load(Ordering::Relaxed)
        );
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    let rate = (n - 1) as f64 / first_seen.elapsed().as_secs_f64();
    token.cancel();
    let _ = task.await;
    rate
}

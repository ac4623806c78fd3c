//! The runner in one process: transient retry, dead letters and replay, and a parked key not
//! blocking the other keys of its partition.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use prometheus_client::registry::Registry;
use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use switchyard_topics::{
    ensure_topics, headers, replay, HandlerError, KafkaConfig, ReplayRequest, Runner, RunnerMetrics,
};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::common::*;

struct Running {
    stop: CancellationToken,
    task: JoinHandle<()>,
    seen: Seen,
    registry: Registry,
}

fn start(config: &KafkaConfig, worker: &str, pool: &sqlx::PgPool, script: Script) -> Running {
    let seen: Seen = Arc::default();
    let mut registry = Registry::default();
    let metrics = RunnerMetrics::register(&mut registry);
    let handler = ScriptedHandler {
        pool: pool.clone(),
        script,
        seen: Arc::clone(&seen),
    };
    let runner = Runner::new(config, worker, handler, pool.clone(), metrics).unwrap();
    let stop = CancellationToken::new();
    let token = stop.clone();
    let task = tokio::spawn(async move { runner.run(token).await.unwrap() });
    Running {
        stop,
        task,
        seen,
        registry,
    }
}

impl Running {
    async fn stop(self) -> Registry {
        self.stop.cancel();
        self.task.await.unwrap();
        self.registry
    }
}

async fn seqs_applied(pool: &sqlx::PgPool, key: &str) -> Vec<i64> {
    sqlx::query_scalar("select seq from effects where event_key = $1 order by id")
        .bind(key)
        .fetch_all(pool)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transient_failure_is_retried_later_and_keeps_key_order() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let script: Script = Arc::new(|event, delivery| {
        (event.sku_id == "a" && event.quantity == Some(1) && delivery.attempt == 1)
            .then(|| HandlerError::transient("partner timed out"))
    });
    let running = start(&config, "stock-syncer", db.pool(), script);
    produce_stock(
        &config,
        &[
            stock_event("a", 1),
            stock_event("a", 2),
            stock_event("b", 1),
        ],
    )
    .await;
    let pool = db.pool().clone();
    eventually(Duration::from_secs(30), "three effects", || {
        let pool = pool.clone();
        async move { effect_counts(&pool).await == (3, 3) }
    })
    .await;
    assert_eq!(
        seqs_applied(db.pool(), "a").await,
        vec![1, 2],
        "a:2 waited behind a:1"
    );
    let attempt: i32 =
        sqlx::query_scalar("select attempt from effects where event_key='a' and seq=1")
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(attempt, 2);
    // The schedule's head is removed after the handler's transaction commits (a crash in
    // between replays it, and the processed-events record makes that a no-op), so the last
    // effect can be visible a moment before the schedule is empty.
    eventually(Duration::from_secs(10), "nothing left parked", || {
        let pool = pool.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from parked_events")
                .fetch_one(&pool)
                .await
                .unwrap()
                == 0
        }
    })
    .await;
    let registry = running.stop().await;
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, &registry).unwrap();
    assert!(text.contains("switchyard_consumer_retried_total"), "{text}");
    assert!(text.contains("switchyard_consumer_handled_total"), "{text}");
}

fn read_dead_letters(brokers: &str, topic: &str, expected: usize) -> Vec<Vec<(String, Vec<u8>)>> {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("{topic}.inspector"))
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let mut list = TopicPartitionList::new();
    for partition in metadata.topics()[0].partitions() {
        list.add_partition_offset(topic, partition.id(), Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let mut found = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while found.len() < expected && Instant::now() < deadline {
        if let Some(message) = consumer.poll(Duration::from_millis(200)) {
            let message = message.unwrap();
            found.push(
                message
                    .headers()
                    .map(|hs| {
                        hs.iter()
                            .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                            .collect()
                    })
                    .unwrap_or_default(),
            );
        }
    }
    found
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn permanent_and_exhausted_failures_are_dead_lettered_and_replay_brings_them_back() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let broken = Arc::new(AtomicBool::new(true));
    let flag = Arc::clone(&broken);
    let script: Script = Arc::new(move |event, _| {
        if !flag.load(Ordering::SeqCst) {
            return None;
        }
        match event.sku_id.as_str() {
            "bad" => Some(HandlerError::permanent("sku unknown to the channel")),
            "flaky" => Some(HandlerError::transient("channel unavailable")),
            _ => None,
        }
    });
    let running = start(&config, "stock-syncer", db.pool(), script);
    produce_stock(
        &config,
        &[
            stock_event("bad", 1),
            stock_event("flaky", 1),
            stock_event("ok", 1),
        ],
    )
    .await;

    let dlq = format!("{}stock.changed.dlq", config.topic_prefix);
    let brokers = config.brokers.clone();
    let letters = tokio::task::spawn_blocking(move || read_dead_letters(&brokers, &dlq, 2))
        .await
        .unwrap();
    assert_eq!(letters.len(), 2, "both failures dead-lettered");
    let group = config.consumer_group("stock-syncer");
    let origin = format!("{}stock.changed", config.topic_prefix);
    for letter in &letters {
        let h = |name| {
            headers::find_str(letter, name)
                .unwrap_or_default()
                .to_owned()
        };
        assert_eq!(h(headers::DLQ_ORIGIN_TOPIC), origin);
        assert!(h(headers::DLQ_ORIGIN_PARTITION).parse::<i32>().is_ok());
        assert!(h(headers::DLQ_ORIGIN_OFFSET).parse::<i64>().is_ok());
        assert_eq!(h(headers::DLQ_CONSUMER_GROUP), group);
        assert!(!h(headers::EVENT_ID).is_empty(), "original headers kept");
        match h(headers::DLQ_ERROR_KIND).as_str() {
            "permanent" => {
                assert_eq!(h(headers::DLQ_ATTEMPTS), "1");
                assert!(h(headers::DLQ_ERROR).contains("sku unknown"));
            }
            "attempts-exhausted" => {
                assert_eq!(h(headers::DLQ_ATTEMPTS), config.max_attempts.to_string());
                assert!(h(headers::DLQ_ERROR).contains("channel unavailable"));
            }
            other => panic!("unexpected dlq-error-kind {other}"),
        }
    }
    assert_eq!(
        effect_counts(db.pool()).await,
        (1, 1),
        "only the healthy event applied"
    );

    // The operator fixes the cause and replays: both events are handled, once.
    broken.store(false, Ordering::SeqCst);
    let request = ReplayRequest {
        logical_topic: "stock.changed".into(),
        worker: "stock-syncer".into(),
        max_events: None,
    };
    let report = replay(&config, &request).await.unwrap();
    assert_eq!(report.republished, 2);
    let pool = db.pool().clone();
    eventually(Duration::from_secs(30), "replayed events handled", || {
        let pool = pool.clone();
        async move { effect_counts(&pool).await == (3, 3) }
    })
    .await;
    // The replay cursor moved: a second replay finds nothing new.
    let again = replay(&config, &request).await.unwrap();
    assert_eq!(again.republished, 0);
    running.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_retrying_key_does_not_hold_up_other_keys_on_its_partition() {
    let db = test_database().await;
    parked_key_scenario(db.pool(), db.pool()).await;
}

/// Handlers run inside the dispatcher's task: while it waits for a connection to read the retry
/// schedule, handlers holding the pool's only connections must still be driven to completion.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn handlers_holding_every_pool_connection_do_not_stall_the_retry_schedule() {
    let db = test_database().await;
    // Acquiring waits longer than the scenario's own deadlines, so a stall fails the test
    // instead of being broken by an acquire timeout.
    let tiny_pool = sqlx::postgres::PgPoolOptions::new()
        .max_connections(2)
        .acquire_timeout(Duration::from_secs(120))
        .connect(db.url())
        .await
        .unwrap();
    parked_key_scenario(&tiny_pool, db.pool()).await;
    tiny_pool.close().await;
}

/// One partition; key "stuck" fails three times while 300 events of 50 other keys arrive
/// behind it. The other keys finish while "stuck" is parked; then "stuck" finishes in order.
/// The runner uses `runner_pool`; the test observes through `pool`.
async fn parked_key_scenario(runner_pool: &sqlx::PgPool, pool: &sqlx::PgPool) {
    let config = KafkaConfig {
        default_partitions: 1,
        retry_delays_ms: vec![1_000],
        max_attempts: 4,
        ..test_config()
    };
    ensure_topics(&config).await.unwrap();
    // "stuck" fails three times (about 3 s of retry delays), then succeeds.
    let script: Script = Arc::new(|event, delivery| {
        (event.sku_id == "stuck" && delivery.attempt < 4)
            .then(|| HandlerError::transient("upstream 503"))
    });
    let mut events = vec![stock_event("stuck", 1), stock_event("stuck", 2)];
    let others = 300;
    events.extend((0..others).map(|i| stock_event(&format!("k{}", i % 50), i)));
    let started = Instant::now();
    let running = start(&config, "stock-syncer", runner_pool, script);
    produce_stock(&config, &events).await;
    let polled = pool.clone();
    eventually(Duration::from_secs(60), "other keys handled", || {
        let pool = polled.clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from effects where event_key <> 'stuck'")
                .fetch_one(&pool)
                .await
                .unwrap()
                == others
        }
    })
    .await;
    let others_done = started.elapsed();
    let stuck_so_far = seqs_applied(pool, "stuck").await;
    eventually(Duration::from_secs(60), "stuck key handled", || {
        let pool = polled.clone();
        async move { seqs_applied(&pool, "stuck").await.len() == 2 }
    })
    .await;
    let stuck_done = started.elapsed();
    println!(
        "parked key vs other keys on the same partition: {others} events of 50 other keys done after {:?}; \
         the parked key finished after {:?}",
        others_done, stuck_done
    );
    assert!(
        stuck_so_far.is_empty(),
        "the other keys finished while 'stuck' was still parked"
    );
    assert_eq!(
        seqs_applied(pool, "stuck").await,
        vec![1, 2],
        "stuck:2 waited behind stuck:1"
    );
    assert_eq!(effect_counts(pool).await, (others + 2, others + 2));
    let attempts: Vec<u32> = running
        .seen
        .lock()
        .unwrap()
        .iter()
        .filter(|(key, seq, _, _)| key == "stuck" && *seq == 1)
        .map(|(_, _, attempt, _)| *attempt)
        .collect();
    assert_eq!(attempts, vec![1, 2, 3, 4]);
    running.stop().await;
}

//! Draining a backlog of due parked events: claimed and settled in batches (counted by the
//! runner's `switchyard_consumer_retry_batches_total`), per-key order kept, and two replicas
//! of one group never running the same parked event.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use prometheus_client::registry::Registry;
use switchyard_topics::{encode, ensure_topics, EventMeta, KafkaConfig, Runner, RunnerMetrics};
use tokio::task::JoinHandle;
use tokio_util::sync::CancellationToken;

use crate::common::*;

const WORKER: &str = "drainer";

/// Parks `per_key` events for each of `keys` keys directly in the schedule, as a group that
/// failed them once would have: each key's first event is its head, due now (attempt 1 made),
/// the rest wait behind it. Spread over the topic's three partitions.
async fn park_backlog(config: &KafkaConfig, pool: &sqlx::PgPool, keys: usize, per_key: i64) {
    let group = config.consumer_group(WORKER);
    let mut offsets = [0_i64; 3];
    for seq in 1..=per_key {
        for key in 0..keys {
            let encoded = encode(
                config,
                &stock_event(&format!("k{key}"), seq),
                EventMeta::new(),
            )
            .unwrap();
            let partition = (key % 3) as i32;
            offsets[key % 3] += 1;
            let (names, values): (Vec<String>, Vec<Vec<u8>>) = encoded.headers.into_iter().unzip();
            let head = seq == 1;
            sqlx::query(
                "insert into parked_events (consumer_group, topic, partition, kafka_offset,
                     event_key, payload, header_names, header_values, attempt, due_at)
                 values ($1, $2, $3, $4, $5, $6, $7, $8, $9,
                         case when $10 then now() end)",
            )
            .bind(&group)
            .bind(&encoded.topic)
            .bind(partition)
            .bind(offsets[key % 3])
            .bind(&encoded.key)
            .bind(&encoded.payload)
            .bind(names)
            .bind(values)
            .bind(i32::from(head))
            .bind(head)
            .execute(pool)
            .await
            .unwrap();
        }
    }
}

struct Replica {
    stop: CancellationToken,
    task: JoinHandle<()>,
    seen: Seen,
    registry: Registry,
}

fn start(config: &KafkaConfig, pool: &sqlx::PgPool) -> Replica {
    let seen: Seen = Arc::default();
    let mut registry = Registry::default();
    let metrics = RunnerMetrics::register(&mut registry);
    let handler = ScriptedHandler {
        pool: pool.clone(),
        script: Arc::new(|_, _| None),
        seen: Arc::clone(&seen),
    };
    let runner = Runner::new(config, WORKER, handler, pool.clone(), metrics).unwrap();
    let stop = CancellationToken::new();
    let token = stop.clone();
    let task = tokio::spawn(async move { runner.run(token).await.unwrap() });
    Replica {
        stop,
        task,
        seen,
        registry,
    }
}

impl Replica {
    async fn stop(self) -> (Registry, Seen) {
        self.stop.cancel();
        self.task.await.unwrap();
        (self.registry, self.seen)
    }
}

/// The value of `switchyard_consumer_retry_batches_total` for `step`.
fn batches(registry: &Registry, step: &str) -> f64 {
    let mut text = String::new();
    prometheus_client::encoding::text::encode(&mut text, registry).unwrap();
    text.lines()
        .filter(|line| line.starts_with("switchyard_consumer_retry_batches_total{"))
        .filter(|line| line.contains(&format!("step=\"{step}\"")))
        .filter_map(|line| line.rsplit(' ').next()?.parse::<f64>().ok())
        .sum()
}

async fn wait_drained(pool: &sqlx::PgPool, expected: i64) {
    let pool = pool.clone();
    eventually(Duration::from_secs(120), "backlog drained", || {
        let pool = pool.clone();
        async move {
            let parked: i64 = sqlx::query_scalar("select count(*) from parked_events")
                .fetch_one(&pool)
                .await
                .unwrap();
            parked == 0 && effect_counts(&pool).await.0 == expected
        }
    })
    .await;
}

fn drain_config() -> KafkaConfig {
    KafkaConfig {
        retry_batch: 100,
        max_in_flight: 16,
        ..test_config()
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backlog_of_due_parked_events_drains_in_batches_keeping_key_order() {
    // No periodic claims during the test: claims happen on assignment and while full.
    let config = KafkaConfig {
        retry_poll_interval_ms: 60_000,
        ..drain_config()
    };
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let (keys, per_key) = (200, 3);
    park_backlog(&config, db.pool(), keys, per_key).await;
    let total = keys as i64 * per_key;

    let replica = start(&config, db.pool());
    wait_drained(db.pool(), total).await;
    let (registry, _) = replica.stop().await;

    assert_eq!(
        effect_counts(db.pool()).await,
        (total, total),
        "each event once"
    );
    let rows: Vec<(String, i64, i32)> =
        sqlx::query_as("select event_key, seq, attempt from effects order by id")
            .fetch_all(db.pool())
            .await
            .unwrap();
    let mut per_key_seqs: HashMap<String, Vec<i64>> = HashMap::new();
    for (key, seq, attempt) in rows {
        let expected_attempt = if seq == 1 { 2 } else { 1 };
        assert_eq!(attempt, expected_attempt, "{key}:{seq}");
        per_key_seqs.entry(key).or_default().push(seq);
    }
    assert_eq!(per_key_seqs.len(), keys);
    for (key, seqs) in per_key_seqs {
        assert_eq!(
            seqs,
            vec![1, 2, 3],
            "{key}: no event overtook an earlier one"
        );
    }
    // 200 due heads with a batch of 100: a handful of claims (the 400 promoted events come back
    // claimed from the settle that finished their predecessor); 600 decisions in far fewer
    // transactions than events.
    let (claims, settles) = (batches(&registry, "claim"), batches(&registry, "settle"));
    println!("claims {claims}, settle transactions {settles} for {total} events");
    assert!((2.0..=8.0).contains(&claims), "claims: {claims}");
    assert!(
        settles <= total as f64 / 2.0,
        "settle transactions: {settles}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_replicas_never_run_the_same_parked_event() {
    let config = drain_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let keys = 300;
    park_backlog(&config, db.pool(), keys, 2).await;
    let total = keys as i64 * 2;

    let first = start(&config, db.pool());
    let second = start(&config, db.pool());
    wait_drained(db.pool(), total).await;
    let (first_registry, first_seen) = first.stop().await;
    let (second_registry, second_seen) = second.stop().await;

    let mut runs: HashMap<(String, i64), usize> = HashMap::new();
    for seen in [&first_seen, &second_seen] {
        for (key, seq, _, _) in seen.lock().unwrap().iter() {
            *runs.entry((key.clone(), *seq)).or_default() += 1;
        }
    }
    assert_eq!(runs.len(), total as usize, "every parked event ran");
    let twice: Vec<_> = runs.iter().filter(|(_, count)| **count > 1).collect();
    assert!(twice.is_empty(), "ran more than once: {twice:?}");
    let claims = batches(&first_registry, "claim") + batches(&second_registry, "claim");
    assert!(claims >= 1.0);
    assert_eq!(effect_counts(db.pool()).await, (total, total));
}

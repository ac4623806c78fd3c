//! The runner across real processes: SIGKILL mid-stream and restart; two members of one group
//! splitting partitions and taking over from each other. The consumer process is this test
//! binary re-run with only `child_consumer_process` selected (configured through env vars).

use std::io::Write;
use std::process::{Child, Command, Stdio};
use std::str::FromStr;
use std::time::Duration;

use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use switchyard_topics::events::StockChanged;
use switchyard_topics::{
    ensure_topics, Delivery, Handler, HandlerError, KafkaConfig, Runner, RunnerMetrics,
};
use tokio_util::sync::CancellationToken;

use crate::common::*;

const CHILD_ENV: &str = "SWITCHYARD_TOPICS_CHILD";

/// A consumer process; SIGKILLed on drop unless stopped.
struct ConsumerProcess {
    child: Child,
}

impl ConsumerProcess {
    fn spawn(config: &KafkaConfig, database_url: &str, name: &str, delay_ms: u64) -> Self {
        let child = Command::new(std::env::current_exe().unwrap())
            .args([
                "consumer_processes::child_consumer_process",
                "--exact",
                "--ignored",
                "--nocapture",
                "--test-threads=1",
            ])
            .env(CHILD_ENV, "1")
            .env("CHILD_BROKERS", &config.brokers)
            .env("CHILD_PREFIX", &config.topic_prefix)
            .env("CHILD_DATABASE_URL", database_url)
            .env("CHILD_NAME", name)
            .env("CHILD_DELAY_MS", delay_ms.to_string())
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .spawn()
            .unwrap();
        Self { child }
    }

    fn sigkill(mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
    }

    /// Graceful stop: closing stdin cancels the runner, which drains and commits.
    fn stop(mut self) {
        if let Some(mut stdin) = self.child.stdin.take() {
            let _ = stdin.write_all(b"stop\n");
        }
        let status = self.child.wait().unwrap();
        assert!(status.success(), "consumer process exited with {status}");
    }
}

impl Drop for ConsumerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn child_config(brokers: String, prefix: String) -> KafkaConfig {
    KafkaConfig {
        brokers,
        topic_prefix: prefix.clone(),
        group_prefix: prefix,
        default_partitions: 3,
        session_timeout_ms: 6_000,
        ..KafkaConfig::default()
    }
}

struct SlowEffect {
    pool: sqlx::PgPool,
    delay: Duration,
}

impl Handler for SlowEffect {
    type Event = StockChanged;

    async fn handle(&self, event: StockChanged, delivery: &Delivery) -> Result<(), HandlerError> {
        tokio::time::sleep(self.delay).await;
        apply_effect(&self.pool, &event, delivery).await
    }
}

/// The consumer process body; does nothing unless started by the tests below.
#[test]
#[ignore = "run as a child process by the consumer process tests"]
fn child_consumer_process() {
    if std::env::var(CHILD_ENV).is_err() {
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let config = child_config(var("CHILD_BROKERS"), var("CHILD_PREFIX"));
        let options = PgConnectOptions::from_str(&var("CHILD_DATABASE_URL"))
            .unwrap()
            .application_name(&var("CHILD_NAME"));
        let pool = PgPoolOptions::new()
            .max_connections(4)
            .connect_with(options)
            .await
            .unwrap();
        let handler = SlowEffect {
            pool: pool.clone(),
            delay: Duration::from_millis(var("CHILD_DELAY_MS").parse().unwrap()),
        };
        let runner =
            Runner::new(&config, "procurer", handler, pool, RunnerMetrics::default()).unwrap();
        let stop = CancellationToken::new();
        let on_stdin_closed = stop.clone();
        std::thread::spawn(move || {
            let mut line = String::new();
            let _ = std::io::stdin().read_line(&mut line);
            on_stdin_closed.cancel();
        });
        runner.run(stop).await.unwrap();
    });
}

async fn add_handled_by(pool: &sqlx::PgPool) {
    sqlx::raw_sql(
        "alter table effects add column handled_by text not null
             default current_setting('application_name')",
    )
    .execute(pool)
    .await
    .unwrap();
}

async fn assert_each_key_in_order(pool: &sqlx::PgPool) {
    let rows: Vec<(String, i64)> = sqlx::query_as("select event_key, seq from effects order by id")
        .fetch_all(pool)
        .await
        .unwrap();
    let mut last = std::collections::HashMap::new();
    for (key, seq) in rows {
        let previous = last.insert(key.clone(), seq);
        assert!(
            previous.is_none_or(|p| p < seq),
            "key {key}: {seq} applied after {previous:?}"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_consumer_killed_mid_stream_loses_nothing_and_applies_nothing_twice() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    add_handled_by(db.pool()).await;
    let total = 400_i64;
    let events: Vec<_> = (0..total)
        .map(|i| stock_event(&format!("sku{}", i % 20), i))
        .collect();
    produce_stock(&config, &events).await;

    let first = ConsumerProcess::spawn(&config, db.url(), "first", 5);
    let pool = db.pool().clone();
    eventually(
        Duration::from_secs(60),
        "first process made progress",
        || {
            let pool = pool.clone();
            async move { effect_counts(&pool).await.0 >= 60 }
        },
    )
    .await;
    first.sigkill();
    let applied_before_kill = effect_counts(db.pool()).await.0;
    assert!(applied_before_kill < total, "killed mid-stream");

    let second = ConsumerProcess::spawn(&config, db.url(), "second", 0);
    eventually(Duration::from_secs(90), "every event applied", || {
        let pool = pool.clone();
        async move { effect_counts(&pool).await.1 == total }
    })
    .await;
    second.stop();
    assert_eq!(
        effect_counts(db.pool()).await,
        (total, total),
        "no event applied twice"
    );
    assert_each_key_in_order(db.pool()).await;
    println!("killed after {applied_before_kill} of {total}; restarted process applied the rest");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_processes_split_partitions_and_one_takes_over_when_the_other_stops() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    add_handled_by(db.pool()).await;
    let a = ConsumerProcess::spawn(&config, db.url(), "a", 10);
    let b = ConsumerProcess::spawn(&config, db.url(), "b", 10);
    // Keep producing until both members have handled something: joining takes a rebalance.
    let mut first_batch = 0_i64;
    let pool = db.pool().clone();
    let deadline = std::time::Instant::now() + Duration::from_secs(60);
    loop {
        let events: Vec<_> = (first_batch..first_batch + 20)
            .map(|i| stock_event(&format!("sku{}", i % 30), i))
            .collect();
        produce_stock(&config, &events).await;
        first_batch += 20;
        tokio::time::sleep(Duration::from_millis(200)).await;
        let members: i64 = sqlx::query_scalar("select count(distinct handled_by) from effects")
            .fetch_one(db.pool())
            .await
            .unwrap();
        if members == 2 && first_batch >= 300 {
            break;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "the second member never got a partition"
        );
    }
    eventually(Duration::from_secs(90), "first batch applied", || {
        let pool = pool.clone();
        async move { effect_counts(&pool).await.1 == first_batch }
    })
    .await;
    let handlers: Vec<String> =
        sqlx::query_scalar("select distinct handled_by from effects order by 1")
            .fetch_all(db.pool())
            .await
            .unwrap();
    assert_eq!(
        handlers,
        vec!["a".to_owned(), "b".to_owned()],
        "both members got partitions"
    );

    a.stop();
    let second_batch: Vec<_> = (first_batch..first_batch * 2)
        .map(|i| stock_event(&format!("sku{}", i % 30), i))
        .collect();
    produce_stock(&config, &second_batch).await;
    eventually(Duration::from_secs(90), "second batch applied", || {
        let pool = pool.clone();
        async move { effect_counts(&pool).await.1 == first_batch * 2 }
    })
    .await;
    b.stop();
    assert_eq!(
        effect_counts(db.pool()).await,
        (first_batch * 2, first_batch * 2)
    );
    let late_by_a: i64 =
        sqlx::query_scalar("select count(*) from effects where seq >= $1 and handled_by = 'a'")
            .bind(first_batch)
            .fetch_one(db.pool())
            .await
            .unwrap();
    assert_eq!(
        late_by_a, 0,
        "the stopped member handled nothing after leaving"
    );
    assert_each_key_in_order(db.pool()).await;
}

//! A reconciler SIGKILLed mid-run: the restarted one resumes from the run's cursor and ends with
//! exactly the seeded set, each discrepancy recorded and announced once, each order counted once.
//!
//! The reconciler runs in child processes (this test binary again, `reconciler_replica`, ignored
//! unless started with `RECONCILER_TEST_DATABASE` set); the parent owns the database, the site
//! and the assertions.

use std::process::{Child, Command, Stdio};
use std::time::Duration;

use sqlx::postgres::PgPoolOptions;
use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_store::reconciliation::{self, RunStatus};
use switchyard_testkit::database::TestDatabase;
use switchyard_testkit::eventually;
use switchyard_topics::{ensure_topics, KafkaConfig, Producer};
use switchyard_workers::reconciler::request_run;
use switchyard_workers::registry;
use switchyard_workers::{WorkerContext, WorkerMetrics, WorkersConfig};
use tokio_util::sync::CancellationToken;

use super::{completed, full_run, seed};
use crate::support::{secret_box, test_kafka};

const DATABASE: &str = "RECONCILER_TEST_DATABASE";
const PREFIX: &str = "RECONCILER_TEST_PREFIX";

/// A reconciler process, SIGKILLed when dropped.
struct Replica(Child);

impl Replica {
    fn start(database_url: &str, prefix: &str) -> Replica {
        let child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--ignored",
                "--exact",
                "reconciler::crash::reconciler_replica",
                "--test-threads=1",
            ])
            .env(DATABASE, database_url)
            .env(PREFIX, prefix)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a replica");
        Replica(child)
    }

    fn kill(&mut self) {
        // std's kill is SIGKILL on Unix.
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_run_killed_midway_resumes_and_finds_the_same_set_once() {
    let db = TestDatabase::new().await.expect("database");
    let kafka = test_kafka();
    ensure_topics(&kafka).await.expect("topics");
    let (_sim, site) = seed::site().await;
    // 100 calls a second: the run takes about ten seconds, long enough to be killed midway.
    let connection = seed::connection(db.pool(), &secret_box(), &site.base_url(), 6_000).await;
    let orders = seed::orders(db.pool(), &site.base_url(), connection, 1_000).await;
    let expected = seed::discrepancies(&site.base_url(), &orders, 10).await;
    let run = request_run(db.pool(), &full_run(connection))
        .await
        .expect("run")
        .into_inner();

    let mut first = Replica::start(db.url(), &kafka.topic_prefix);
    let pool = db.pool();
    eventually(
        Duration::from_secs(60),
        "the first replica gets under way",
        || async {
            let run = reconciliation::get(pool, run.id)
                .await
                .expect("run")
                .expect("exists");
            (run.checked_count >= 300).then_some(())
        },
    )
    .await;
    first.kill();
    let midway = reconciliation::get(pool, run.id)
        .await
        .expect("run")
        .expect("exists");
    assert_eq!(midway.status, RunStatus::Running);
    assert!(
        midway.checked_count < 1_000,
        "killed before the end: {}",
        midway.checked_count
    );

    let _second = Replica::start(db.url(), &kafka.topic_prefix);
    let done = completed(pool, run.id, Duration::from_secs(120)).await;
    let (found, rows) = seed::found(pool, run.id).await;
    assert_eq!(found, expected, "the same set as an uninterrupted run");
    assert_eq!(rows, 50, "no discrepancy recorded twice");
    assert_eq!(
        (done.checked_count, done.mismatch_count),
        (1_000, 50),
        "each order counted once"
    );
    let announced: i64 = sqlx::query_scalar(
        "select count(*) from event_outbox where topic like '%reconciliation.discrepancies'",
    )
    .fetch_one(pool)
    .await
    .expect("outbox");
    assert_eq!(announced, 50, "each discrepancy announced once");
}

/// A replica: the reconciler worker alone, until its parent kills it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a replica process started by the reconciler crash test"]
async fn reconciler_replica() {
    let (Ok(url), Ok(prefix)) = (std::env::var(DATABASE), std::env::var(PREFIX)) else {
        return;
    };
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await
        .expect("replica pool");
    let kafka = KafkaConfig {
        topic_prefix: prefix.clone(),
        group_prefix: prefix,
        ..test_kafka()
    };
    let config = WorkersConfig {
        // A dead replica's run comes back after two seconds.
        claim_lease_secs: 2,
        poll_interval_ms: 50,
        allow_private_partner_urls: true,
        ..WorkersConfig::default()
    };
    let secrets = secret_box();
    let connections = ConnectionRegistry::new(
        pool.clone(),
        secrets.clone(),
        RegistrySettings {
            ttl: Duration::from_secs(3_600),
            partner_timeout: Duration::from_secs(5),
            allow_private_partner_urls: true,
        },
    );
    let context = WorkerContext {
        pool,
        producer: Producer::new(&kafka).expect("producer"),
        kafka,
        secrets,
        config,
        connections,
    };
    let worker = registry::find("reconciler")
        .expect("registered")
        .prepare(&context, &WorkerMetrics::default())
        .expect("prepared");
    // Bounded, in case a parent dies without killing it.
    let _ = tokio::time::timeout(
        Duration::from_secs(180),
        worker.run(CancellationToken::new()),
    )
    .await;
}

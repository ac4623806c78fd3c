//! The transactional outbox against the real broker and Postgres: an event whose transaction
//! rolled back is never published; committed events are published once each, in order, by two
//! drainers racing on one database (one holds the lock at a time); a writer process SIGKILLed
//! right after its commit, before anything was published, still gets its event out through the
//! next drainer. The writer process is this test binary re-run with only
//! `outbox::child_writer_process` selected (configured through env vars).

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::{ClientConfig, Message, Offset, TopicPartitionList};
use sqlx::PgPool;
use switchyard_store::outbox::pending_count;
use switchyard_topics::events::StockChanged;
use switchyard_topics::{
    encode, ensure_topics, headers, outbox, Event, EventMeta, KafkaConfig, OutboxDrainer, Producer,
};
use tokio_util::sync::CancellationToken;
use uuid::Uuid;

use crate::common::*;

const CHILD_ENV: &str = "SWITCHYARD_TOPICS_OUTBOX_CHILD";

/// What the writer process prints, followed by the event id, once its transaction committed.
const COMMITTED: &str = "outbox-writer-committed=";

/// Same lock id as the drainer's ("SYSPOOL").
const DRAIN_LOCK: i64 = 0x0053_5953_504f_4f4c;

/// Takes the drain lock as another drainer mid-round would; rolling back releases it.
async fn hold_drain_lock(pool: &PgPool) -> sqlx::Transaction<'static, sqlx::Postgres> {
    let mut holder = pool.begin().await.unwrap();
    sqlx::query("SELECT pg_advisory_xact_lock($1)")
        .bind(DRAIN_LOCK)
        .execute(&mut *holder)
        .await
        .unwrap();
    holder
}

fn drainer(config: &KafkaConfig, pool: &PgPool) -> OutboxDrainer {
    OutboxDrainer::new(
        pool.clone(),
        Producer::new(config).unwrap(),
        7,
        Duration::from_secs(20),
    )
}

/// Writes one stock event (key `sku`) in its own transaction; commits or rolls back.
async fn write(config: &KafkaConfig, pool: &PgPool, seq: i64, commit: bool) -> Uuid {
    let encoded = encode(config, &stock_event("sku-1", seq), EventMeta::new()).unwrap();
    let mut tx = pool.begin().await.unwrap();
    outbox::write(&mut *tx, &encoded).await.unwrap();
    if commit {
        tx.commit().await.unwrap();
    } else {
        tx.rollback().await.unwrap();
    }
    encoded.event_id
}

async fn wait_until_drained(pool: &PgPool) {
    eventually(Duration::from_secs(60), "the outbox is drained", || async {
        pending_count(pool).await.unwrap() == 0
    })
    .await;
}

/// Event ids on the stock topic, in partition order, up to and including `last` (all events
/// share one key, so one partition holds them in publishing order).
async fn published_until(config: &KafkaConfig, last: Uuid) -> Vec<Uuid> {
    let brokers = config.brokers.clone();
    let topic = format!("{}{}", config.topic_prefix, StockChanged::TOPIC);
    tokio::task::spawn_blocking(move || {
        let consumer: BaseConsumer = ClientConfig::new()
            .set("bootstrap.servers", &brokers)
            .set("group.id", format!("{topic}.outbox-reader"))
            .set("enable.auto.commit", "false")
            .create()
            .unwrap();
        let metadata = consumer
            .fetch_metadata(Some(&topic), Duration::from_secs(10))
            .unwrap();
        let mut list = TopicPartitionList::new();
        for partition in metadata.topics()[0].partitions() {
            list.add_partition_offset(&topic, partition.id(), Offset::Beginning)
                .unwrap();
        }
        consumer.assign(&list).unwrap();
        let deadline = Instant::now() + Duration::from_secs(60);
        let mut seen = Vec::new();
        while Instant::now() < deadline {
            let Some(message) = consumer.poll(Duration::from_millis(200)) else {
                continue;
            };
            let message = message.unwrap();
            let headers: Vec<(String, Vec<u8>)> = message
                .headers()
                .map(|hs| {
                    use rdkafka::message::Headers;
                    hs.iter()
                        .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                        .collect()
                })
                .unwrap_or_default();
            let id = headers::find_str(&headers, headers::EVENT_ID).unwrap();
            let id = Uuid::parse_str(id).unwrap();
            seen.push(id);
            if id == last {
                return seen;
            }
        }
        panic!("event {last} not published; saw {seen:?}");
    })
    .await
    .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn only_committed_events_are_published_once_each_in_order_by_racing_drainers() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let pool = db.pool().clone();

    // Another drainer mid-round holds the lock: this one publishes nothing meanwhile.
    let committed_first = write(&config, &pool, 0, true).await;
    let holder = hold_drain_lock(&pool).await;
    let round = drainer(&config, &pool).drain_once().await.unwrap();
    assert!(!round.locked);
    assert_eq!(round.published, 0);
    assert_eq!(pending_count(&pool).await.unwrap(), 1);
    holder.rollback().await.unwrap();

    // Two drainers with their own producers race while events commit and roll back.
    let stop = CancellationToken::new();
    let running: Vec<_> = (0..2)
        .map(|_| {
            let drainer = drainer(&config, &pool);
            tokio::spawn(drainer.run(Duration::from_millis(20), stop.clone()))
        })
        .collect();
    let mut expected = vec![committed_first];
    let mut rolled_back = Vec::new();
    for seq in 1..40 {
        let commit = seq % 3 != 0;
        let id = write(&config, &pool, seq, commit).await;
        if commit {
            expected.push(id);
            outbox::wake();
        } else {
            rolled_back.push(id);
        }
    }
    wait_until_drained(&pool).await;
    let last = write(&config, &pool, 1_000, true).await;
    expected.push(last);
    outbox::wake();
    wait_until_drained(&pool).await;
    stop.cancel();
    for drainer in running {
        drainer.await.unwrap();
    }

    let published = published_until(&config, last).await;
    assert_eq!(
        published, expected,
        "every committed event once, in commit order"
    );
    assert!(rolled_back.iter().all(|id| !published.contains(id)));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writer_killed_right_after_its_commit_still_gets_its_event_out() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;

    let mut child = Command::new(std::env::current_exe().unwrap())
        .args([
            "outbox::child_writer_process",
            "--exact",
            "--ignored",
            "--nocapture",
            "--test-threads=1",
        ])
        .env(CHILD_ENV, "1")
        .env("CHILD_BROKERS", &config.brokers)
        .env("CHILD_PREFIX", &config.topic_prefix)
        .env("CHILD_DATABASE_URL", db.url())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    // The test harness prints its own text on the same line: look for the marker anywhere.
    let reader = tokio::task::spawn_blocking(move || {
        BufReader::new(stdout)
            .lines()
            .map_while(Result::ok)
            .find_map(|line| {
                let (_, id) = line.split_once(COMMITTED)?;
                Some(id.trim().to_owned())
            })
    });
    let committed = tokio::time::timeout(Duration::from_secs(60), reader).await;
    child.kill().unwrap();
    child.wait().unwrap();
    let committed = committed
        .expect("the writer reports its commit within a minute")
        .unwrap()
        .expect("the writer reports its commit");
    let committed = Uuid::parse_str(&committed).unwrap();
    assert_eq!(
        pending_count(db.pool()).await.unwrap(),
        1,
        "the killed writer published nothing"
    );

    let next = drainer(&config, db.pool());
    let round = next.drain_once().await.unwrap();
    assert_eq!((round.published, round.remaining), (1, 0));
    let last = write(&config, db.pool(), 1_000, true).await;
    next.drain_once().await.unwrap();
    assert_eq!(published_until(&config, last).await, vec![committed, last]);
}

/// The writer process body: commits one event, says so, and waits to be killed before any
/// drainer of its own could publish it. Does nothing unless started by the test above.
#[test]
#[ignore = "run as a child process by the outbox tests"]
fn child_writer_process() {
    if std::env::var(CHILD_ENV).is_err() {
        return;
    }
    let var = |name: &str| std::env::var(name).unwrap();
    let runtime = tokio::runtime::Runtime::new().unwrap();
    runtime.block_on(async {
        let config = KafkaConfig {
            brokers: var("CHILD_BROKERS"),
            topic_prefix: var("CHILD_PREFIX"),
            ..KafkaConfig::default()
        };
        let pool = PgPool::connect(&var("CHILD_DATABASE_URL")).await.unwrap();
        let id = write(&config, &pool, 1, true).await;
        println!("{COMMITTED}{id}");
        std::future::pending::<()>().await;
    });
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_event_the_broker_refuses_for_good_leaves_the_queue_and_the_rest_is_published() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let pool = db.pool().clone();
    // A record far over the producer's message.max.bytes can never be written.
    let mut oversized = encode(&config, &stock_event("sku-big", 1), EventMeta::new()).unwrap();
    oversized.payload = vec![0; 8 * 1024 * 1024];
    let mut tx = pool.begin().await.unwrap();
    outbox::write(&mut *tx, &oversized).await.unwrap();
    tx.commit().await.unwrap();
    let after = write(&config, &pool, 2, true).await;

    let round = drainer(&config, &pool).drain_once().await.unwrap();
    assert_eq!((round.published, round.refused, round.remaining), (1, 1, 0));
    assert_eq!(
        pending_count(&pool).await.unwrap(),
        0,
        "nothing left to retry"
    );
    let (refused_id, reason): (Uuid, String) =
        sqlx::query_as("SELECT event_id, refusal FROM event_outbox WHERE refused_at IS NOT NULL")
            .fetch_one(&pool)
            .await
            .unwrap();
    assert_eq!(refused_id, oversized.event_id, "the refused event is kept");
    assert!(reason.contains("rejected permanently"), "{reason}");
    assert_eq!(published_until(&config, after).await, vec![after]);
    let next = drainer(&config, &pool).drain_once().await.unwrap();
    assert_eq!((next.published, next.refused), (0, 0), "not retried");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_writers_fence_opens_once_its_own_rows_are_published_whatever_others_left() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let pool = db.pool().clone();
    let fence = std::sync::Arc::new(outbox::OutboxFence::unknown());
    let drainer = drainer(&config, &pool).settling(fence.clone());

    // Our own spooled row: pending until a drainer published it.
    let encoded = encode(&config, &stock_event("sku-2", 1), EventMeta::new()).unwrap();
    let position = outbox::write(&pool, &encoded).await.unwrap().into_inner();
    fence.wrote(position);
    assert!(fence.is_pending());

    // Another process holds the drain lock: this drainer publishes nothing, yet settles.
    let holder = hold_drain_lock(&pool).await;
    drainer.drain_once().await.unwrap();
    assert!(fence.is_pending(), "our row is still unpublished");
    holder.rollback().await.unwrap();
    drainer.drain_once().await.unwrap();
    assert!(!fence.is_pending(), "our row is published");

    // Rows other writers commit later do not close our fence, even while unpublished.
    let holder = hold_drain_lock(&pool).await;
    write(&config, &pool, 3, true).await;
    drainer.drain_once().await.unwrap();
    assert_eq!(pending_count(&pool).await.unwrap(), 1);
    assert!(!fence.is_pending(), "another writer's row is not ours");
    holder.rollback().await.unwrap();
}

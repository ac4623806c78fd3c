//! A full catalog sync of 10,000 upstream products across a SIGKILL: the stock-syncer runs as a
//! child process (this test binary again, `stock_syncer_replica`), is killed halfway, and a new
//! one resumes from the committed cursor — no page is fetched more than twice, page 1 only once.
//! Also the benchmarks of the README (ignored; run with `--ignored --nocapture`): products synced
//! per second with no quota, and the full sync's call rate under a quota.

use std::collections::BTreeMap;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use secrecy::SecretString;
use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator, PageFetch};
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, NewConnection};
use switchyard_testkit::database::TestDatabase;
use switchyard_testkit::eventually;
use switchyard_topics::{ensure_topics, KafkaConfig, Producer};
use switchyard_workers::registry;
use switchyard_workers::{WorkerContext, WorkerMetrics, WorkersConfig};
use tokio_util::sync::CancellationToken;

use crate::support::{secret_box, test_kafka};

const DATABASE: &str = "STOCK_SYNC_TEST_DATABASE";
const PREFIX: &str = "STOCK_SYNC_TEST_PREFIX";
const PRODUCTS: u64 = 10_000;
const PAGES: u32 = 200;

/// A stock-syncer process, SIGKILLed when dropped.
struct Replica(Child);

impl Replica {
    fn start(database_url: &str, prefix: &str) -> Replica {
        let child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--ignored",
                "--exact",
                "stock_resume::stock_syncer_replica",
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
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

impl Drop for Replica {
    fn drop(&mut self) {
        self.kill();
    }
}

/// 10,000 upstream products at the site, each mapped to one of our SKUs, through a connection
/// allowed `rate_per_minute` calls; returns the connection id.
async fn catalog_world(pool: &PgPool, site_url: &str, rate_per_minute: i32, products: u64) -> i64 {
    let mut new = NewConnection::new(ConnectionKind::DujiaoUpstream, "upstream", site_url);
    new.status = ConnectionStatus::Active;
    new.rate_limit_per_minute = rate_per_minute;
    new.api_key = Some("key-b".into());
    new.secret = Some(SecretString::from("secret-of-b".to_owned()));
    let connection = connections::create(pool, &secret_box(), &new)
        .await
        .expect("connection")
        .id;
    sqlx::query(
        "WITH p AS (INSERT INTO products (slug) SELECT 'p-' || n FROM generate_series(1, $2) n
                    RETURNING id, substr(slug, 3)::bigint AS n),
              s AS (INSERT INTO skus (product_id, sku_code, price_minor, currency)
                    SELECT id, 'S-' || n, 100, 'CNY' FROM p RETURNING id, substr(sku_code, 3)::bigint AS n)
         INSERT INTO product_mappings (sku_id, fulfiller, connection_id, upstream_product_id,
                                       upstream_sku_id)
         SELECT id, 'dujiao_upstream', $1, n, 100000 + n FROM s",
    )
    .bind(connection)
    .bind(i64::try_from(products).expect("count"))
    .execute(pool)
    .await
    .expect("10,000 mapped SKUs");
    connection
}

fn site(products: u64) -> DujiaoSimulator {
    let site =
        DujiaoSimulator::new(DujiaoSimConfig::default().with_credential("key-b", "secret-of-b", 0));
    site.generate_catalog(products);
    site
}

/// Full-sync pages fetched so far (no `updated_after`), by page number.
fn full_pages(site: &DujiaoSimulator) -> BTreeMap<u32, usize> {
    let mut pages = BTreeMap::new();
    for fetch in site.product_pages() {
        if fetch.updated_after.is_none() {
            *pages.entry(fetch.page).or_default() += 1;
        }
    }
    pages
}

async fn full_pass_done(pool: &PgPool) -> bool {
    let payload: Option<serde_json::Value> =
        sqlx::query_scalar("SELECT payload FROM scheduled_tasks WHERE job = 'dujiao-catalog'")
            .fetch_optional(pool)
            .await
            .expect("task");
    payload.is_some_and(|p| p["pass"].is_null() && p["updated_after"].is_string())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_sync_killed_halfway_resumes_from_its_cursor() {
    let db = TestDatabase::new().await.expect("test database");
    let kafka = test_kafka();
    ensure_topics(&kafka).await.expect("topics");
    let site = site(PRODUCTS);
    let http = site.spawn().await.expect("simulator");
    // The client never signs two calls alike and `GET /products` signs only its timestamp, so
    // the pages come at one a second whatever the quota (after a burst of the signer's lead).
    catalog_world(db.pool(), &http.base_url(), 3_000, PRODUCTS).await;

    let mut first = Replica::start(db.url(), &kafka.topic_prefix);
    eventually(Duration::from_secs(300), "a fifth of the pages", || async {
        full_pages(&site).len() >= 40
    })
    .await;
    first.kill();
    let at_kill = full_pages(&site);
    assert!(at_kill.len() < PAGES as usize, "killed before the end");

    // The new process cannot know which timestamps the dead one signed: the upstream refuses its
    // first calls as replays until they leave the ±60 s window, and the scheduler retries.
    let _second = Replica::start(db.url(), &kafka.topic_prefix);
    eventually(
        Duration::from_secs(600),
        "the full pass finished",
        || async { full_pass_done(db.pool()).await },
    )
    .await;

    let pages = full_pages(&site);
    for page in 1..=PAGES {
        let fetched = pages.get(&page).copied().unwrap_or_default();
        assert!(
            (1..=2).contains(&fetched),
            "page {page} fetched {fetched} times"
        );
    }
    assert_eq!(
        pages.get(&1),
        Some(&1),
        "the restart resumed; it did not start over"
    );
    let twice = pages.values().filter(|count| **count == 2).count();
    println!(
        "killed after {} pages; pages fetched twice: {twice}",
        at_kill.len()
    );
    let synced: i64 =
        sqlx::query_scalar("SELECT count(*) FROM product_mappings WHERE synced_at IS NOT NULL")
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(synced, i64::try_from(PRODUCTS).expect("count"));
}

/// The stock-syncer's context over `database_url` and the topics of `prefix`.
async fn syncer_context(database_url: &str, prefix: &str) -> WorkerContext {
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect(database_url)
        .await
        .expect("pool");
    let kafka = KafkaConfig {
        topic_prefix: prefix.to_owned(),
        group_prefix: prefix.to_owned(),
        ..test_kafka()
    };
    let config = WorkersConfig {
        time_scale: 0.01,
        claim_lease_secs: 100,
        poll_interval_ms: 50,
        allow_private_partner_urls: true,
        stock_sync_interval_secs: 100_000,
        ..WorkersConfig::default()
    };
    let connections = ConnectionRegistry::new(
        pool.clone(),
        secret_box(),
        RegistrySettings {
            ttl: Duration::from_secs(3600),
            partner_timeout: Duration::from_secs(10),
            allow_private_partner_urls: true,
        },
    );
    WorkerContext {
        producer: Producer::new(&kafka).expect("producer"),
        pool,
        kafka,
        secrets: secret_box(),
        config,
        connections,
    }
}

/// Runs the stock-syncer until `shutdown`.
async fn run_syncer(ctx: &WorkerContext, shutdown: CancellationToken) {
    let worker = registry::find("stock-syncer")
        .expect("registered")
        .prepare(ctx, &WorkerMetrics::default())
        .expect("stock-syncer");
    worker.run(shutdown).await.expect("run");
}

/// A stock-syncer process: runs until its parent kills it.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "a stock-syncer process started by the resume test"]
async fn stock_syncer_replica() {
    let (Ok(url), Ok(prefix)) = (std::env::var(DATABASE), std::env::var(PREFIX)) else {
        return;
    };
    let ctx = syncer_context(&url, &prefix).await;
    run_syncer(&ctx, CancellationToken::new()).await;
}

/// Runs one full sync of `products` at `rate_per_minute`; returns its time and the page fetches.
async fn timed_full_sync(rate_per_minute: i32, products: u64) -> (Duration, Vec<PageFetch>) {
    let db = TestDatabase::new().await.expect("test database");
    let kafka = test_kafka();
    ensure_topics(&kafka).await.expect("topics");
    let site = site(products);
    let http = site.spawn().await.expect("simulator");
    catalog_world(db.pool(), &http.base_url(), rate_per_minute, products).await;
    let ctx = syncer_context(db.url(), &kafka.topic_prefix).await;
    let shutdown = CancellationToken::new();
    let started = Instant::now();
    let running = tokio::spawn({
        let shutdown = shutdown.clone();
        async move { run_syncer(&ctx, shutdown).await }
    });
    eventually(
        Duration::from_secs(600),
        "the full pass finished",
        || async { full_pass_done(db.pool()).await },
    )
    .await;
    let took = started.elapsed();
    shutdown.cancel();
    let _ = running.await;
    (took, site.product_pages())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: cargo test -p switchyard-workers --test it stock_resume::bench -- --ignored --nocapture"]
async fn bench_products_synced_per_second_without_a_quota() {
    let products = 2_000;
    let (took, pages) = timed_full_sync(6_000_000, products).await;
    let rate = products as f64 / took.as_secs_f64();
    println!(
        "full sync of {products} products ({} page calls) in {took:?}: {rate:.0} products/s",
        pages.len()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "benchmark: cargo test -p switchyard-workers --test it stock_resume::bench -- --ignored --nocapture"]
async fn bench_full_sync_call_rate_against_its_quota() {
    // One call a second: also the most the signature rule allows (see the resume test).
    let quota_per_minute = 60;
    let (_, pages) = timed_full_sync(quota_per_minute, 2_000).await;
    let full: Vec<&PageFetch> = pages.iter().filter(|p| p.updated_after.is_none()).collect();
    let (first, last) = (full.first().expect("pages"), full.last().expect("pages"));
    let span = (last.at_ms - first.at_ms) as f64 / 1000.0;
    // n calls span n - 1 intervals.
    let rate = (full.len() - 1) as f64 / span;
    let quota = f64::from(quota_per_minute) / 60.0;
    println!(
        "{} page calls in {span:.2} s: {rate:.2} calls/s against a quota of {quota:.2}/s ({:+.1} %)",
        full.len(),
        (rate / quota - 1.0) * 100.0
    );
}

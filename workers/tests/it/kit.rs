//! The worker kit: a throwaway worker, written in a few lines (a module plus one registry line),
//! consumes a topic and runs a scheduled task against the real broker and PostgreSQL.

use std::time::Duration;

use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_testkit::database::TestDatabase;
use switchyard_topics::events::{StockChangeReason, StockChanged, StockSource, StockStatus};
use switchyard_topics::{encode, ensure_topics, EventMeta, Producer};
use switchyard_workers::scheduler::ensure;
use switchyard_workers::{Registration, WorkerContext, WorkerMetrics, WorkersConfig};
use tokio_util::sync::CancellationToken;

use crate::support::{secret_box, test_kafka, WAIT};
use switchyard_testkit::eventually;

/// The whole worker: it records every stock event it consumes, and every `tally` task it runs.
mod tally {
    use std::future::Future;
    use std::sync::Arc;

    use sqlx::PgPool;
    use switchyard_topics::events::StockChanged;
    use switchyard_topics::{Delivery, Handler, HandlerError};
    use switchyard_workers::scheduler::{
        ClaimedTask, Job, JobError, JobFuture, TaskJob, TaskOutcome,
    };
    use switchyard_workers::{Worker, WorkerContext, WorkerError, WorkerMetrics};

    pub struct Tally(PgPool);

    impl Worker for Tally {
        const NAME: &'static str = "tally";
        const DESCRIPTION: &'static str = "records stock events and tally tasks (a test worker)";
        type Handler = TallyEvents;

        fn build(ctx: &WorkerContext, _metrics: &WorkerMetrics) -> Result<Self, WorkerError> {
            Ok(Tally(ctx.pool.clone()))
        }

        fn handler(&self) -> TallyEvents {
            TallyEvents(self.0.clone())
        }

        fn jobs(&self) -> Vec<Job> {
            vec![Job::Tasks(Arc::new(TallyTasks(self.0.clone())))]
        }
    }

    pub struct TallyEvents(PgPool);

    impl Handler for TallyEvents {
        type Event = StockChanged;

        fn handle(
            &self,
            event: StockChanged,
            _delivery: &Delivery,
        ) -> impl Future<Output = Result<(), HandlerError>> + Send {
            let pool = self.0.clone();
            async move {
                sqlx::query("insert into tally (what) values ($1)")
                    .bind(format!("event:{}", event.sku_id))
                    .execute(&pool)
                    .await
                    .map(drop)
                    .map_err(HandlerError::transient)
            }
        }
    }

    struct TallyTasks(PgPool);

    impl TaskJob for TallyTasks {
        fn name(&self) -> &'static str {
            "tally"
        }

        fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
            Box::pin(async move {
                sqlx::query("insert into tally (what) values ($1)")
                    .bind(format!("task:{}", task.task_key))
                    .execute(&self.0)
                    .await
                    .map_err(JobError::new)?;
                Ok(TaskOutcome::Done)
            })
        }
    }
}

/// The test's registry: one line per worker, as in `workers/src/registry.rs`.
const REGISTRY: &[Registration] = &[Registration::of::<tally::Tally>()];

#[tokio::test]
async fn a_throwaway_worker_consumes_its_topic_and_runs_its_tasks() {
    let db = TestDatabase::new().await.expect("test database");
    sqlx::query("create table tally (what text not null)")
        .execute(db.pool())
        .await
        .expect("tally table");
    let kafka = test_kafka();
    ensure_topics(&kafka).await.expect("topics");
    let producer = Producer::new(&kafka).expect("producer");
    let secrets = secret_box();
    let ctx = WorkerContext {
        pool: db.pool().clone(),
        producer: producer.clone(),
        kafka: kafka.clone(),
        connections: ConnectionRegistry::new(
            db.pool().clone(),
            secrets.clone(),
            RegistrySettings {
                ttl: Duration::from_secs(5),
                partner_timeout: Duration::from_secs(5),
                allow_private_partner_urls: true,
            },
        ),
        secrets,
        config: WorkersConfig {
            time_scale: 0.01,
            poll_interval_ms: 50,
            allow_private_partner_urls: true,
            ..WorkersConfig::default()
        },
    };
    let registration = REGISTRY[0];
    assert_eq!(registration.topics(), vec!["stock.changed"]);
    let worker = registration
        .prepare(&ctx, &WorkerMetrics::default())
        .expect("prepare");
    assert_eq!(worker.job_names(), vec!["tally"]);
    let shutdown = CancellationToken::new();
    let running = tokio::spawn(worker.run(shutdown.clone()));

    let event = StockChanged {
        sku_id: "sku-1".to_owned(),
        sku_code: "CODE-1".to_owned(),
        source: StockSource::Local,
        connection_id: None,
        quantity: Some(3),
        stock_status: StockStatus::InStock,
        is_active: true,
        price: None,
        reason: StockChangeReason::Adjusted,
        observed_at: 1_700_000_000_000,
    };
    let encoded = encode(&kafka, &event, EventMeta::new()).expect("encode");
    producer
        .send(&encoded, Duration::from_secs(10))
        .await
        .expect("produce");
    ensure(db.pool(), "tally", "t-1", chrono::Utc::now())
        .await
        .expect("schedule");

    eventually(WAIT, "the event and the task recorded", || async {
        let seen: Vec<String> = sqlx::query_scalar("select what from tally order by what")
            .fetch_all(db.pool())
            .await
            .expect("tally");
        seen == ["event:sku-1", "task:t-1"]
    })
    .await;
    let left: i64 = sqlx::query_scalar("select count(*) from scheduled_tasks")
        .fetch_one(db.pool())
        .await
        .expect("tasks");
    assert_eq!(left, 0, "a finished task is deleted");

    shutdown.cancel();
    running.await.expect("join").expect("worker run");
}

//! The shared scheduler across real processes: two replicas share 1,000 due tasks and run each
//! exactly once; a leader job moves to the survivor when its holder is SIGKILLed.
//!
//! The replicas are this test binary run again as child processes (`scheduler_replica`, ignored
//! unless a parent starts it with `SCHEDULER_TEST_ROLE` set), each with its own pool.

use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use sqlx::postgres::PgPoolOptions;
use sqlx::PgPool;
use switchyard_testkit::database::TestDatabase;
use switchyard_workers::scheduler::{
    ClaimedTask, Job, JobError, JobFuture, LeaderJob, Scheduler, SchedulerMetrics,
    SchedulerSettings, TaskJob, TaskOutcome,
};
use tokio::task::JoinSet;
use tokio_util::sync::CancellationToken;

use switchyard_testkit::eventually;

const ROLE: &str = "SCHEDULER_TEST_ROLE";
const DATABASE: &str = "SCHEDULER_TEST_DATABASE";
const LEASE: Duration = Duration::from_secs(1);

/// A replica process, SIGKILLed when dropped.
struct Replica(Child);

impl Replica {
    fn start(role: &str, database_url: &str) -> Replica {
        let child = Command::new(std::env::current_exe().expect("test binary"))
            .args([
                "--ignored",
                "--exact",
                "scheduler::scheduler_replica",
                "--test-threads=1",
            ])
            .env(ROLE, role)
            .env(DATABASE, database_url)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start a replica");
        Replica(child)
    }

    fn pid(&self) -> i32 {
        i32::try_from(self.0.id()).expect("pid")
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

async fn count(pool: &PgPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql)
        .fetch_one(pool)
        .await
        .expect("count")
}

async fn test_tables(db: &TestDatabase) {
    sqlx::raw_sql(
        "create table replicas (pid int not null);
         create table runs (task_key text not null, pid int not null);
         create table beats (pid int not null, at timestamptz not null default clock_timestamp());",
    )
    .execute(db.pool())
    .await
    .expect("test tables");
}

#[tokio::test]
async fn two_replicas_run_each_due_task_exactly_once() {
    let db = TestDatabase::new().await.expect("test database");
    test_tables(&db).await;
    let replicas = [
        Replica::start("tasks", db.url()),
        Replica::start("tasks", db.url()),
    ];
    eventually(Duration::from_secs(60), "both replicas up", || async {
        count(db.pool(), "select count(*) from replicas").await == 2
    })
    .await;

    sqlx::query(
        "insert into scheduled_tasks (job, task_key, due_at)
         select 'record', 'task-' || n, now() from generate_series(1, 1000) n",
    )
    .execute(db.pool())
    .await
    .expect("1,000 due tasks");
    eventually(Duration::from_secs(120), "every task finished", || async {
        count(db.pool(), "select count(*) from scheduled_tasks").await == 0
    })
    .await;

    assert_eq!(count(db.pool(), "select count(*) from runs").await, 1000);
    let twice = count(
        db.pool(),
        "select count(*) from (select task_key from runs group by task_key having count(*) > 1) t",
    )
    .await;
    assert_eq!(twice, 0, "no task ran twice");
    for replica in &replicas {
        let ran: i64 = sqlx::query_scalar("select count(*) from runs where pid = $1")
            .bind(replica.pid())
            .fetch_one(db.pool())
            .await
            .expect("runs of a replica");
        assert!(
            ran > 0,
            "replica {} ran no task: the work was not shared",
            replica.pid()
        );
    }
}

#[tokio::test]
async fn a_leader_job_moves_to_the_survivor_after_a_sigkill() {
    let db = TestDatabase::new().await.expect("test database");
    test_tables(&db).await;
    let mut first = Replica::start("leader", db.url());
    let first_pid = first.pid();
    let beats_of = |pid: i32| {
        let pool = db.pool().clone();
        async move {
            sqlx::query_scalar::<_, i64>("select count(*) from beats where pid = $1")
                .bind(pid)
                .fetch_one(&pool)
                .await
                .expect("beats")
        }
    };
    eventually(
        Duration::from_secs(60),
        "the first replica leads",
        || async { beats_of(first_pid).await > 0 },
    )
    .await;

    let second = Replica::start("leader", db.url());
    let second_pid = second.pid();
    eventually(
        Duration::from_secs(60),
        "the second replica is up",
        || async { count(db.pool(), "select count(*) from replicas").await == 2 },
    )
    .await;
    // Positive evidence that the standby does not lead: the leader beats on, several times,
    // after the standby has started trying.
    let before = beats_of(first_pid).await;
    eventually(Duration::from_secs(30), "the leader beats on", || async {
        beats_of(first_pid).await >= before + 5
    })
    .await;
    assert_eq!(beats_of(second_pid).await, 0, "two leaders at once");

    first.kill();
    let killed = Instant::now();
    eventually(Duration::from_secs(30), "the survivor leads", || async {
        beats_of(second_pid).await > 0
    })
    .await;
    let takeover = killed.elapsed();
    println!("leader job moved {takeover:?} after the SIGKILL (lease {LEASE:?})");
    // The standby tries once a lease; the rest is process and scheduling slack.
    assert!(takeover < LEASE * 5, "takeover took {takeover:?}");
    drop(second);
}

/// A replica: runs one job on the shared scheduler until its parent kills it.
#[tokio::test]
#[ignore = "a replica process started by the scheduler tests"]
async fn scheduler_replica() {
    let (Ok(role), Ok(url)) = (std::env::var(ROLE), std::env::var(DATABASE)) else {
        return;
    };
    let pool = PgPoolOptions::new()
        .max_connections(8)
        .connect(&url)
        .await
        .expect("replica pool");
    let pid = i32::try_from(std::process::id()).expect("pid");
    let job = match role.as_str() {
        "tasks" => Job::Tasks(Arc::new(RecordRuns(pool.clone(), pid))),
        _ => Job::Leader(Arc::new(Beat(pool.clone(), pid))),
    };
    let settings = SchedulerSettings {
        tick: Duration::from_millis(20),
        lease: LEASE,
        batch: 20,
    };
    let scheduler = Scheduler::new(pool.clone(), settings, SchedulerMetrics::default());
    let mut jobs = JoinSet::new();
    let shutdown = CancellationToken::new();
    scheduler.spawn(vec![job], &mut jobs, &shutdown);
    sqlx::query("insert into replicas (pid) values ($1)")
        .bind(pid)
        .execute(&pool)
        .await
        .expect("announce the replica");
    // Bounded, in case a parent dies without killing it.
    tokio::time::sleep(Duration::from_secs(180)).await;
}

/// Records which process ran each task; slow enough that two replicas overlap.
struct RecordRuns(PgPool, i32);

impl TaskJob for RecordRuns {
    fn name(&self) -> &'static str {
        "record"
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            tokio::time::sleep(Duration::from_millis(5)).await;
            sqlx::query("insert into runs (task_key, pid) values ($1, $2)")
                .bind(&task.task_key)
                .bind(self.1)
                .execute(&self.0)
                .await
                .map_err(JobError::new)?;
            Ok(TaskOutcome::Done)
        })
    }
}

/// A leader job that beats every 100 ms.
struct Beat(PgPool, i32);

impl LeaderJob for Beat {
    fn name(&self) -> &'static str {
        "beat"
    }

    fn period(&self) -> Duration {
        Duration::from_millis(100)
    }

    fn run(&self) -> JobFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            sqlx::query("insert into beats (pid) values ($1)")
                .bind(self.1)
                .execute(&self.0)
                .await
                .map(drop)
                .map_err(JobError::new)
        })
    }
}

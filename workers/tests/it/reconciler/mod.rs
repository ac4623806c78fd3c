//! The reconciler against a simulated Dujiao-Next site over HTTP, with the real broker and
//! PostgreSQL: seeded discrepancies of every kind are found exactly, a clean period finds none, a
//! repeated request is the same run, a SIGKILLed run resumes to the same set (`crash`), and an
//! operator drives it all through the API (`api`). `bench` measures throughput and pacing.

mod api;
mod bench;
mod crash;
pub mod seed;
mod vending;

use std::time::Duration;

use switchyard_simulators::dujiao::SimSwitches;
use switchyard_store::reconciliation::{self, NewRun, RequestedBy, Run, RunStatus, RunType};
use switchyard_store::Inserted;
use switchyard_testkit::eventually;
use switchyard_workers::reconciler::request_run;

use crate::support::Hub;

/// Waits until run `id` is completed; its final row.
pub async fn completed(pool: &sqlx::PgPool, id: i64, within: Duration) -> Run {
    eventually(within, "the run completes", || async {
        let run = reconciliation::get(pool, id)
            .await
            .expect("run")
            .expect("exists");
        (run.status == RunStatus::Completed).then_some(run)
    })
    .await
}

fn full_run(connection_id: i64) -> NewRun {
    let (period_start, period_end) = seed::period();
    NewRun {
        connection_id,
        period_start,
        period_end,
        run_type: RunType::Full,
        requested_by: RequestedBy::Operator,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_thousand_orders_with_ten_of_each_kind_give_exactly_those_and_a_clean_period_none() {
    let hub = Hub::start().await;
    let (_sim, site) = seed::site().await;
    let connection = seed::connection(hub.pool(), &hub.secrets, &site.base_url(), 600_000).await;
    let orders = seed::orders(hub.pool(), &site.base_url(), connection, 1_000).await;
    let expected = seed::discrepancies(&site.base_url(), &orders, 10).await;
    assert_eq!(expected.len(), 50);

    let run = request_run(hub.pool(), &full_run(connection))
        .await
        .expect("run")
        .into_inner();
    let run = completed(hub.pool(), run.id, Duration::from_secs(120)).await;
    let (found, rows) = seed::found(hub.pool(), run.id).await;
    assert_eq!(
        found, expected,
        "exactly the seeded discrepancies, by kind and id"
    );
    assert_eq!(rows, 50);
    assert_eq!(
        (run.total_count, run.checked_count, run.matched_count),
        (1_000, 1_000, 960)
    );
    assert_eq!(
        (
            run.mismatch_count,
            run.skipped_count,
            run.remote_listed_count
        ),
        (50, 0, 1_000)
    );
    assert_eq!(
        run.note, None,
        "the simulated site lists its orders: nothing unchecked"
    );
    let announced: i64 = sqlx::query_scalar(
        "select count(*) from event_outbox where topic like '%reconciliation.discrepancies'",
    )
    .fetch_one(hub.pool())
    .await
    .expect("outbox");
    assert_eq!(announced, 50, "one event per discrepancy");

    // A clean period on another site: everything matches.
    let (_clean_sim, clean_site) = seed::site().await;
    let clean = seed::connection(hub.pool(), &hub.secrets, &clean_site.base_url(), 600_000).await;
    seed::orders(hub.pool(), &clean_site.base_url(), clean, 200).await;
    let run = request_run(hub.pool(), &full_run(clean))
        .await
        .expect("run")
        .into_inner();
    let run = completed(hub.pool(), run.id, Duration::from_secs(60)).await;
    assert_eq!(seed::found(hub.pool(), run.id).await.1, 0);
    assert_eq!(
        (run.checked_count, run.matched_count, run.mismatch_count),
        (200, 200, 0)
    );
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn the_same_connection_period_and_type_is_one_run() {
    let hub = Hub::start().await;
    let (_sim, site) = seed::site().await;
    let connection = seed::connection(hub.pool(), &hub.secrets, &site.base_url(), 600_000).await;
    seed::orders(hub.pool(), &site.base_url(), connection, 20).await;
    let new = full_run(connection);
    let Inserted::Created(first) = request_run(hub.pool(), &new).await.expect("run") else {
        panic!("the first request creates the run");
    };
    let Inserted::Existing(again) = request_run(hub.pool(), &new).await.expect("run") else {
        panic!("a second request finds it");
    };
    assert_eq!(again.id, first.id);
    completed(hub.pool(), first.id, Duration::from_secs(60)).await;
    let Inserted::Existing(after) = request_run(hub.pool(), &new).await.expect("run") else {
        panic!("a request after completion finds it too");
    };
    assert_eq!((after.id, after.status), (first.id, RunStatus::Completed));
    let amount_only = NewRun {
        run_type: RunType::Amount,
        ..new
    };
    let other = request_run(hub.pool(), &amount_only)
        .await
        .expect("run")
        .into_inner();
    assert_ne!(other.id, first.id, "another type is another run");
    let runs: i64 =
        sqlx::query_scalar("select count(*) from reconciliation_runs where connection_id = $1 and requested_by = 'operator'")
            .bind(connection)
            .fetch_one(hub.pool())
            .await
            .expect("count");
    assert_eq!(runs, 2);
    hub.stop().await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_site_without_an_order_list_and_a_wdt_connection_say_what_they_did_not_check() {
    let hub = Hub::start().await;
    // A site that answers 404 to the list (a stock Dujiao-Next site).
    let (sim, site) = seed::site().await;
    let connection = seed::connection(hub.pool(), &hub.secrets, &site.base_url(), 600_000).await;
    seed::orders(hub.pool(), &site.base_url(), connection, 10).await;
    sim.set_switches(SimSwitches {
        no_order_list: true,
        ..SimSwitches::default()
    });
    let run = request_run(hub.pool(), &full_run(connection))
        .await
        .expect("run")
        .into_inner();
    let run = completed(hub.pool(), run.id, Duration::from_secs(60)).await;
    assert_eq!(run.checked_count, 10);
    assert!(
        run.note
            .as_deref()
            .is_some_and(|note| note.contains("missing_local")),
        "{:?}",
        run.note
    );

    let qimen = switchyard_simulators::qimen::QimenSimulatorConfig {
        app_key: "21345678".into(),
        app_secret: "qimen-secret".into(),
        target_app_key: "wdt-target".into(),
        sid: "wdt2".into(),
        wdt_appkey: "wdt2-ot".into(),
    };
    let wdt = hub.wdt_connection("http://127.0.0.1:9", &qimen).await;
    let run = request_run(hub.pool(), &full_run(wdt))
        .await
        .expect("run")
        .into_inner();
    let run = completed(hub.pool(), run.id, Duration::from_secs(60)).await;
    assert_eq!(run.checked_count, 0);
    assert!(
        run.note
            .as_deref()
            .is_some_and(|note| note.contains("no trade query")),
        "{:?}",
        run.note
    );
    hub.stop().await;
}

#[tokio::test]
async fn the_daily_job_requests_yesterday_once_per_active_fulfiller_connection() {
    use switchyard_store::connections::{self as stored, ConnectionStatus};
    use switchyard_workers::reconciler::daily::{request_yesterday, yesterday};

    let db = switchyard_testkit::database::TestDatabase::new()
        .await
        .expect("database");
    let secrets = crate::support::secret_box();
    let active = seed::connection(db.pool(), &secrets, "http://127.0.0.1:9", 60).await;
    let disabled = seed::connection(db.pool(), &secrets, "http://127.0.0.1:9", 60).await;
    stored::set_status(db.pool(), disabled, ConnectionStatus::Disabled)
        .await
        .expect("disable");
    // Made today: nothing to reconcile for yesterday.
    assert_eq!(
        request_yesterday(db.pool(), chrono::Utc::now())
            .await
            .expect("daily"),
        0
    );
    let now = chrono::Utc::now() + chrono::Duration::days(2);
    assert_eq!(request_yesterday(db.pool(), now).await.expect("daily"), 1);
    assert_eq!(
        request_yesterday(db.pool(), now).await.expect("again"),
        0,
        "idempotent"
    );
    let runs = reconciliation::list(db.pool(), &reconciliation::RunFilter::default())
        .await
        .expect("runs");
    assert_eq!(runs.len(), 1);
    let (start, end) = yesterday(now);
    assert_eq!(
        (
            runs[0].connection_id,
            runs[0].period_start,
            runs[0].period_end
        ),
        (active, start, end)
    );
    assert_eq!(
        (runs[0].run_type, runs[0].requested_by),
        (RunType::Full, RequestedBy::Daily)
    );
}

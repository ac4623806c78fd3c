//! The protocol mix against a stand-in that behaves as the ingress must: every fault answer is
//! checked and found right. Against the bare handler, which accepts everything, the same checks
//! fail loudly — the harness does not just count answers.

use std::sync::Arc;
use std::time::Duration;

use clap::Parser;
use switchyard_loadtest::app::execute;
use switchyard_loadtest::cli::Cli;
use switchyard_loadtest::mix::{
    AckLedger, Credentials, FaultShares, MixSource, MixWeights, ProtocolJudge,
};
use switchyard_loadtest::{run, BareHandler, RateSchedule, RunPlan, RunReport};

use crate::reference_ingress::ReferenceIngress;

const BODY_LIMIT: usize = 8 * 1024;

fn faults() -> FaultShares {
    FaultShares {
        duplicates: 0.1,
        bad_signatures: 0.1,
        oversized: 0.05,
    }
}

async fn drive(base_url: String, ledger: Arc<AckLedger>) -> RunReport {
    let source = MixSource::new(
        MixWeights::default(),
        faults(),
        Credentials::test_defaults().expect("test credentials"),
        ledger.clone(),
        BODY_LIMIT,
    );
    let plan = RunPlan {
        label: "mix".into(),
        base_url,
        schedule: RateSchedule::new(100.0, Duration::ZERO, Duration::from_secs(3)).expect("ok"),
        connections: 16,
        timeout: Duration::from_secs(10),
        progress: false,
    };
    run(
        &plan,
        Arc::new(source),
        Arc::new(ProtocolJudge::new(ledger)),
    )
    .await
    .expect("run")
    .report
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_conformant_ingress_passes_every_fault_check() {
    let ingress = ReferenceIngress::spawn(BODY_LIMIT).await;
    let ledger = Arc::new(AckLedger::default());
    let report = drive(ingress.base_url(), ledger.clone()).await;
    assert_eq!(report.errors, 0, "errors: {:?}", report.errors_by_class);
    assert!(report.acked > 150, "acked {}", report.acked);
    assert_eq!(ledger.acked_count() as u64, report.acked);
    let kinds: Vec<_> = report.fault_checks.iter().map(|c| c.kind).collect();
    assert_eq!(kinds, ["duplicate", "bad_signature", "oversized"]);
    for check in &report.fault_checks {
        assert!(check.sent > 0, "{} faults were sent", check.kind);
        assert_eq!(check.handled, check.sent, "{} answered right", check.kind);
    }
    // Every protocol contributed acknowledgements on its topic.
    let topics = ledger.acked_by_topic();
    assert_eq!(
        topics.len(),
        3,
        "orders, callbacks, dispense results: {topics:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_ingress_that_accepts_everything_fails_the_checks() {
    let bare = BareHandler::spawn().await.expect("bare");
    let report = drive(bare.base_url(), Arc::new(AckLedger::default())).await;
    bare.stop().await;
    let classes = &report.errors_by_class;
    assert!(
        classes.contains_key("check_failed:oversized:accepted"),
        "{classes:?}"
    );
    assert!(
        classes.contains_key("check_failed:bad_signature:wrong_answer"),
        "{classes:?}"
    );
    // An empty 200 is not a Dujiao/D-Store/58 success, so those are errors, not acks.
    assert!(classes.contains_key("http_200"), "{classes:?}");
    let oversized = report
        .fault_checks
        .iter()
        .find(|c| c.kind == "oversized")
        .expect("oversized sent");
    assert_eq!(oversized.handled, 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_command_line_runs_baseline_and_target_and_reports_the_ratio() {
    let ingress = ReferenceIngress::spawn(BODY_LIMIT).await;
    let json_out = std::env::temp_dir().join(format!("loadtest-{}.json", uuid::Uuid::new_v4()));
    let cli = Cli::try_parse_from([
        "loadtest",
        "run",
        "--target",
        &ingress.base_url(),
        "--baseline",
        "--rate",
        "50",
        "--duration",
        "2",
        "--warmup",
        "0.5",
        "--no-progress",
        "--duplicates",
        "0.1",
        "--bad-signatures",
        "0.1",
        "--oversized",
        "0.05",
        "--body-limit",
        &BODY_LIMIT.to_string(),
        "--json-out",
        json_out.to_str().expect("utf-8 path"),
    ])
    .expect("arguments parse");
    let report = execute(&cli.command).await.expect("run");
    let labels: Vec<_> = report
        .runs
        .iter()
        .map(|r| r.settings.label.as_str())
        .collect();
    assert_eq!(labels, ["baseline", "target"]);
    assert!(
        report.runs[0].fault_checks.is_empty(),
        "the bare handler checks nothing, so it reports no fault checks"
    );
    let target = &report.runs[1];
    assert_eq!(target.errors, 0, "{:?}", target.errors_by_class);
    assert!(report.baseline_ratio.is_some());
    let table = report.render();
    for expected in [
        "p99.9 ms",
        "throughput vs bare handler",
        "fault bad_signature",
    ] {
        assert!(
            table.contains(expected),
            "table lacks `{expected}`:\n{table}"
        );
    }
    // The JSON report holds the same runs (written by the binary; here by hand as it would).
    let json = serde_json::to_value(&report).expect("json");
    std::fs::write(&json_out, json.to_string()).expect("write");
    let back: serde_json::Value =
        serde_json::from_slice(&std::fs::read(&json_out).expect("read")).expect("parse");
    assert_eq!(back["runs"][1]["label"], "target");
    assert!(back["runs"][1]["latency"]["p99_9_ms"].is_number());
    let _ = std::fs::remove_file(json_out);
}

#[test]
fn nonsense_fault_shares_are_refused() {
    let cli = Cli::try_parse_from([
        "loadtest",
        "run",
        "--duplicates",
        "0.8",
        "--oversized",
        "0.5",
    ])
    .expect("arguments parse");
    let switchyard_loadtest::cli::Command::Run(args) = cli.command else {
        panic!("run command");
    };
    assert!(args.load.fault_shares().is_err());
}

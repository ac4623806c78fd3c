//! The final report: one [`RunReport`] per run, plus the baseline ratio, step search, topic
//! verification and end-to-end sections when those modes ran.
//!
//! Contract: the same [`Report`] value is rendered as a human table (stdout) and serialised as
//! JSON (`--json-out`); the table never shows anything the JSON does not hold. Latencies are in
//! milliseconds, measured from each request's due time.

use std::collections::BTreeMap;
use std::fmt::Write as _;

use hdrhistogram::Histogram;
use serde::Serialize;

use crate::e2e::E2eReport;
use crate::outcome::FaultKind;
use crate::recorder::Totals;
use crate::step::StepReport;
use crate::verify::VerificationReport;

/// Percentiles of a latency histogram, in milliseconds.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LatencySummary {
    /// Values recorded.
    pub count: u64,
    /// Mean.
    pub mean_ms: f64,
    /// Median.
    pub p50_ms: f64,
    /// 90th percentile.
    pub p90_ms: f64,
    /// 99th percentile.
    pub p99_ms: f64,
    /// 99.9th percentile.
    pub p99_9_ms: f64,
    /// Largest value.
    pub max_ms: f64,
}

impl LatencySummary {
    /// Summarises a histogram of microseconds.
    pub fn from_micros(histogram: &Histogram<u64>) -> Self {
        let ms = |micros: u64| micros as f64 / 1000.0;
        Self {
            count: histogram.len(),
            mean_ms: histogram.mean() / 1000.0,
            p50_ms: ms(histogram.value_at_quantile(0.50)),
            p90_ms: ms(histogram.value_at_quantile(0.90)),
            p99_ms: ms(histogram.value_at_quantile(0.99)),
            p99_9_ms: ms(histogram.value_at_quantile(0.999)),
            max_ms: ms(histogram.max()),
        }
    }
}

/// How many injected faults of one kind were sent and answered as the protocol demands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FaultCheck {
    /// `duplicate`, `bad_signature` or `oversized`.
    pub kind: &'static str,
    /// Sent during the measured window.
    pub sent: u64,
    /// Answered correctly.
    pub handled: u64,
    /// Shed before the fault could be checked (an overload answer is right for any request).
    pub shed: u64,
}

impl FaultCheck {
    /// Every fault got its answer or was shed (errors are reported as errors).
    pub fn all_answered_right(&self) -> bool {
        self.handled + self.shed == self.sent
    }
}

/// Settings of one run, echoed in its report.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunSettings {
    /// `baseline`, `target`, or a step label.
    pub label: String,
    /// Base URL that was driven.
    pub url: String,
    /// Requests per second asked for.
    pub target_rate: f64,
    /// Measured seconds.
    pub duration_s: f64,
    /// Unmeasured lead-in seconds.
    pub warmup_s: f64,
    /// Concurrent connections at most.
    pub connections: usize,
}

/// The measured outcome of one constant-rate run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct RunReport {
    /// What was run.
    #[serde(flatten)]
    pub settings: RunSettings,
    /// Measured requests sent.
    pub sent: u64,
    /// Measured requests completed (any outcome).
    pub completed: u64,
    /// Completed requests per second over the measured window (until the last completion).
    pub achieved_rate: f64,
    /// Fresh requests acknowledged.
    pub acked: u64,
    /// Overload answers (429/503).
    pub shed: u64,
    /// Errors of every class.
    pub errors: u64,
    /// Errors by class.
    pub errors_by_class: BTreeMap<String, u64>,
    /// Latency of every measured request from its due time.
    pub latency: LatencySummary,
    /// Latency of shed answers, when any.
    pub shed_latency: Option<LatencySummary>,
    /// Injected faults and whether their answers were right.
    pub fault_checks: Vec<FaultCheck>,
    /// Requests the harness sent more than 10 ms late (its own limit, not the server's).
    pub harness_late_sends: u64,
    /// Worst send lag of the harness, ms.
    pub harness_max_send_lag_ms: f64,
}

impl RunReport {
    /// Builds the report of a run from its totals; `measured_secs` is the measured window's
    /// length (at least the planned duration, longer when answers arrived late).
    pub fn new(settings: RunSettings, sent: u64, totals: &Totals, measured_secs: f64) -> Self {
        let fault_checks = [
            FaultKind::Duplicate,
            FaultKind::BadSignature,
            FaultKind::Oversized,
        ]
        .into_iter()
        .filter_map(|kind| {
            let sent = totals.faults_sent.get(&kind).copied().unwrap_or(0);
            let handled = totals.faults_handled.get(&kind).copied().unwrap_or(0);
            let shed = totals.faults_shed.get(&kind).copied().unwrap_or(0);
            (sent > 0 || handled > 0).then_some(FaultCheck {
                kind: kind.as_str(),
                sent,
                handled,
                shed,
            })
        })
        .collect();
        Self {
            settings,
            sent,
            completed: totals.completed,
            achieved_rate: totals.completed as f64 / measured_secs.max(f64::EPSILON),
            acked: totals.acked,
            shed: totals.shed,
            errors: totals.error_count(),
            errors_by_class: totals.errors.clone(),
            latency: LatencySummary::from_micros(&totals.latency),
            shed_latency: (totals.shed > 0)
                .then(|| LatencySummary::from_micros(&totals.shed_latency)),
            fault_checks,
            harness_late_sends: totals.late_sends,
            harness_max_send_lag_ms: totals.max_send_lag.as_secs_f64() * 1000.0,
        }
    }

    /// Sustainable: p99 within `p99_limit_ms`, no errors, nothing shed, ≥ 95 % of the rate served.
    pub fn is_sustainable(&self, p99_limit_ms: f64) -> bool {
        self.errors == 0
            && self.shed == 0
            && self.completed == self.sent
            && self.latency.p99_ms <= p99_limit_ms
            && self.achieved_rate >= 0.95 * self.settings.target_rate
    }
}

/// Throughput of the target relative to the bare handler in the same invocation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct BaselineRatio {
    /// What is compared: `achieved_rate` (fixed-rate runs) or `max_sustainable_rate` (step).
    pub basis: &'static str,
    /// The target's value.
    pub target: f64,
    /// The bare handler's value.
    pub baseline: f64,
    /// target / baseline.
    pub ratio: f64,
}

impl BaselineRatio {
    /// `target / baseline` on the given basis (0 when the baseline is 0).
    pub fn new(basis: &'static str, target: f64, baseline: f64) -> Self {
        let ratio = if baseline > 0.0 {
            target / baseline
        } else {
            0.0
        };
        Self {
            basis,
            target,
            baseline,
            ratio,
        }
    }
}

/// Everything one invocation measured.
#[derive(Debug, Clone, Default, Serialize)]
pub struct Report {
    /// When the invocation started (RFC 3339).
    pub started_at: String,
    /// Constant-rate runs, in order.
    pub runs: Vec<RunReport>,
    /// Target vs bare handler, when a baseline ran.
    pub baseline_ratio: Option<BaselineRatio>,
    /// Step search results.
    pub step: Vec<StepReport>,
    /// Whether every acknowledged event is on its topic exactly once.
    pub topic_verification: Option<VerificationReport>,
    /// End-to-end (accepted → delivered) results.
    pub end_to_end: Option<E2eReport>,
}

impl Report {
    /// The whole report as a text table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        if !self.runs.is_empty() {
            out.push_str(&render_runs(&self.runs));
        }
        if let Some(ratio) = &self.baseline_ratio {
            let _ = writeln!(
                out,
                "\nthroughput vs bare handler ({}): {:.1} / {:.1} = {:.2}x",
                ratio.basis, ratio.target, ratio.baseline, ratio.ratio
            );
        }
        for step in &self.step {
            out.push('\n');
            out.push_str(&step.render());
        }
        if let Some(verification) = &self.topic_verification {
            out.push('\n');
            out.push_str(&verification.render());
        }
        if let Some(e2e) = &self.end_to_end {
            out.push('\n');
            out.push_str(&e2e.render());
        }
        out
    }
}

/// Runs side by side: one column per run.
pub fn render_runs(runs: &[RunReport]) -> String {
    let mut rows: Vec<(String, Vec<String>)> = Vec::new();
    let mut row = |name: &str, value: &dyn Fn(&RunReport) -> String| {
        rows.push((name.to_string(), runs.iter().map(value).collect()));
    };
    row("run", &|r| r.settings.label.clone());
    row("target rate/s", &|r| {
        format!("{:.1}", r.settings.target_rate)
    });
    row("achieved rate/s", &|r| format!("{:.1}", r.achieved_rate));
    row("duration s", &|r| format!("{:.1}", r.settings.duration_s));
    row("connections", &|r| r.settings.connections.to_string());
    row("sent", &|r| r.sent.to_string());
    row("completed", &|r| r.completed.to_string());
    row("acked", &|r| r.acked.to_string());
    row("shed (429/503)", &|r| r.shed.to_string());
    row("errors", &|r| r.errors.to_string());
    row("p50 ms", &|r| format!("{:.2}", r.latency.p50_ms));
    row("p90 ms", &|r| format!("{:.2}", r.latency.p90_ms));
    row("p99 ms", &|r| format!("{:.2}", r.latency.p99_ms));
    row("p99.9 ms", &|r| format!("{:.2}", r.latency.p99_9_ms));
    row("max ms", &|r| format!("{:.2}", r.latency.max_ms));
    row("shed p99 ms", &|r| {
        r.shed_latency
            .as_ref()
            .map_or("-".into(), |s| format!("{:.2}", s.p99_ms))
    });
    row("harness late sends", &|r| r.harness_late_sends.to_string());
    let mut out = table(&rows);
    for run in runs {
        for (class, count) in &run.errors_by_class {
            let _ = writeln!(out, "  [{}] error {class}: {count}", run.settings.label);
        }
        for check in &run.fault_checks {
            let verdict = if check.all_answered_right() {
                "ok"
            } else {
                "WRONG OR NO ANSWERS"
            };
            let _ = writeln!(
                out,
                "  [{}] fault {}: {}/{} answered correctly, {} shed ({verdict})",
                run.settings.label, check.kind, check.handled, check.sent, check.shed
            );
        }
    }
    out
}

/// Left-aligned first column, right-aligned values.
pub fn table(rows: &[(String, Vec<String>)]) -> String {
    let name_width = rows.iter().map(|(name, _)| name.len()).max().unwrap_or(0);
    let columns = rows
        .iter()
        .map(|(_, values)| values.len())
        .max()
        .unwrap_or(0);
    let widths: Vec<usize> = (0..columns)
        .map(|column| {
            rows.iter()
                .filter_map(|(_, values)| values.get(column).map(String::len))
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    for (name, values) in rows {
        let _ = write!(out, "{name:<name_width$}");
        for (value, width) in values.iter().zip(&widths) {
            let _ = write!(out, "  {value:>width$}");
        }
        out.push('\n');
    }
    out
}

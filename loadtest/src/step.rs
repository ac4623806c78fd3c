//! Step mode: finds the highest rate a target sustains (p99 ≤ limit, no errors, nothing shed).
//!
//! Contract: runs constant-rate steps, multiplying the rate by `factor` while every step is
//! sustainable (up to `max_rate`), then bisects between the last sustainable and the first
//! unsustainable rate `refine_steps` times (stopping early once they are within 5 %). Each step is
//! a full open-loop run with its own warm-up; a short pause between steps lets queues drain.
//! The answer is a rate that *was* sustained, never an interpolation.

use std::fmt::Write as _;
use std::sync::Arc;
use std::time::Duration;

use serde::Serialize;

use crate::report::RunReport;
use crate::request::{Judge, RequestSource};
use crate::runner::{run, RunPlan};
use crate::schedule::RateSchedule;

/// How to search.
#[derive(Debug, Clone)]
pub struct StepPlan {
    /// First rate tried, requests per second.
    pub start_rate: f64,
    /// Growth factor between sustainable steps (> 1).
    pub factor: f64,
    /// Never try more than this.
    pub max_rate: f64,
    /// Bisection steps after the first failure.
    pub refine_steps: u32,
    /// Measured seconds per step.
    pub step_duration: Duration,
    /// Warm-up per step.
    pub warmup: Duration,
    /// Sustainable p99, ms.
    pub p99_limit_ms: f64,
    /// Connections at most.
    pub connections: usize,
    /// Bound on one request.
    pub timeout: Duration,
    /// Pause between steps.
    pub pause: Duration,
    /// Live progress on stderr.
    pub progress: bool,
}

/// One step of the search.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepRow {
    /// Rate asked for.
    pub rate: f64,
    /// Rate served.
    pub achieved_rate: f64,
    /// p99 latency, ms.
    pub p99_ms: f64,
    /// p99.9 latency, ms.
    pub p99_9_ms: f64,
    /// Errors.
    pub errors: u64,
    /// Shed answers.
    pub shed: u64,
    /// Whether the step met the criteria.
    pub sustainable: bool,
}

/// The search's result for one target.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct StepReport {
    /// `baseline` or `target`.
    pub label: String,
    /// Highest sustained rate, if any step was sustainable.
    pub max_sustainable_rate: Option<f64>,
    /// The p99 criterion, ms.
    pub p99_limit_ms: f64,
    /// Every step in the order run.
    pub steps: Vec<StepRow>,
}

impl StepReport {
    /// The steps as a table.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "step search [{}] (sustainable: p99 <= {} ms, no errors, nothing shed)",
            self.label, self.p99_limit_ms
        );
        let _ = writeln!(
            out,
            "{:>10} {:>10} {:>10} {:>10} {:>7} {:>7}  verdict",
            "rate/s", "achieved", "p99 ms", "p99.9 ms", "errors", "shed"
        );
        for step in &self.steps {
            let _ = writeln!(
                out,
                "{:>10.1} {:>10.1} {:>10.2} {:>10.2} {:>7} {:>7}  {}",
                step.rate,
                step.achieved_rate,
                step.p99_ms,
                step.p99_9_ms,
                step.errors,
                step.shed,
                if step.sustainable { "ok" } else { "FAIL" }
            );
        }
        let _ = match self.max_sustainable_rate {
            Some(rate) => writeln!(out, "max sustainable rate [{}]: {rate:.1}/s", self.label),
            None => writeln!(out, "max sustainable rate [{}]: none", self.label),
        };
        out
    }
}

/// Searches the highest sustainable rate of `base_url`; `source` makes a fresh source per step.
pub async fn find_max_rate(
    label: &str,
    base_url: &str,
    plan: &StepPlan,
    source: &dyn Fn() -> Arc<dyn RequestSource>,
    judge: Arc<dyn Judge>,
) -> anyhow::Result<(StepReport, Vec<RunReport>)> {
    let mut steps = Vec::new();
    let mut runs = Vec::new();
    let step = |rate: f64| {
        let judge = judge.clone();
        let source = source();
        async move {
            let schedule = RateSchedule::new(rate, plan.warmup, plan.step_duration)?;
            let run_plan = RunPlan {
                label: format!("{label} {rate:.0}/s"),
                base_url: base_url.to_string(),
                schedule,
                connections: plan.connections,
                timeout: plan.timeout,
                progress: plan.progress,
            };
            let outcome = run(&run_plan, source, judge).await?;
            tokio::time::sleep(plan.pause).await;
            anyhow::Ok(outcome.report)
        }
    };
    let mut record = |report: RunReport| {
        let sustainable = report.is_sustainable(plan.p99_limit_ms);
        steps.push(StepRow {
            rate: report.settings.target_rate,
            achieved_rate: report.achieved_rate,
            p99_ms: report.latency.p99_ms,
            p99_9_ms: report.latency.p99_9_ms,
            errors: report.errors,
            shed: report.shed,
            sustainable,
        });
        runs.push(report);
        sustainable
    };

    let (mut good, mut bad) = (None::<f64>, None::<f64>);
    let mut rate = plan.start_rate;
    loop {
        if record(step(rate).await?) {
            good = Some(rate);
            if rate >= plan.max_rate {
                break;
            }
            rate = (rate * plan.factor.max(1.01)).min(plan.max_rate);
        } else {
            bad = Some(rate);
            break;
        }
    }
    for _ in 0..plan.refine_steps {
        let (Some(low), Some(high)) = (good, bad) else {
            break;
        };
        if (high - low) / high < 0.05 {
            break;
        }
        let middle = ((low + high) / 2.0).round();
        if record(step(middle).await?) {
            good = Some(middle);
        } else {
            bad = Some(middle);
        }
    }
    let report = StepReport {
        label: label.to_string(),
        max_sustainable_rate: good,
        p99_limit_ms: plan.p99_limit_ms,
        steps,
    };
    Ok((report, runs))
}

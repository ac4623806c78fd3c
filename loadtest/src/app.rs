//! What each command does: which targets run, in which order, and what goes into the report.
//!
//! Contract: the bare handler (when asked for, or when there is no target) runs first with the
//! same request mix as the target, then the target; topic verification covers the target's
//! acknowledgements only (the bare handler produces no events); in `e2e` it covers the orders the
//! ingress acknowledged and is read after every order was followed to its end. The bare handler
//! is stopped before the function returns.

use std::sync::Arc;

use anyhow::Context;

use crate::baseline::BareHandler;
use crate::cli::{seconds, Command, E2eArgs, LoadArgs, StepArgs};
use crate::e2e::{run_e2e, E2ePlan};
use crate::mix::{AckLedger, Credentials, MixSource, MixWeights, ProtocolJudge};
use crate::report::{BaselineRatio, Report};
use crate::request::{AnySuccessJudge, Judge, PlainSource, RequestSource};
use crate::runner::{run, RunPlan};
use crate::schedule::RateSchedule;
use crate::step::{find_max_rate, StepPlan};
use crate::verify::{by_full_topic, verify_topics, KafkaSource};

/// Makes a fresh request source (a new run tag, so ids never repeat across runs).
type SourceFactory = Box<dyn Fn() -> Arc<dyn RequestSource>>;

/// Runs a command and returns its report.
pub async fn execute(command: &Command) -> anyhow::Result<Report> {
    let mut report = Report {
        started_at: chrono::Utc::now().to_rfc3339(),
        ..Report::default()
    };
    match command {
        Command::Run(args) => fixed_rate(&args.load, &mut report).await?,
        Command::Step(args) => step(args, &mut report).await?,
        Command::E2e(args) => end_to_end(args, &mut report).await?,
    }
    Ok(report)
}

/// The source factory and judge for one target of `load`.
fn mix_for(
    load: &LoadArgs,
    credentials: &Credentials,
    ledger: Arc<AckLedger>,
    baseline: bool,
) -> anyhow::Result<(SourceFactory, Arc<dyn Judge>)> {
    if load.mix.trim() == "plain" {
        return Ok((
            Box::new(|| Arc::new(PlainSource)),
            Arc::new(AnySuccessJudge),
        ));
    }
    let weights = MixWeights::parse(&load.mix)?;
    let faults = load.fault_shares()?;
    let (credentials, body_limit) = (credentials.clone(), load.body_limit);
    let judge: Arc<dyn Judge> = if baseline {
        Arc::new(AnySuccessJudge)
    } else {
        Arc::new(ProtocolJudge::new(ledger.clone()))
    };
    let factory: SourceFactory = Box::new(move || {
        Arc::new(MixSource::new(
            weights.clone(),
            faults,
            credentials.clone(),
            ledger.clone(),
            body_limit,
        ))
    });
    Ok((factory, judge))
}

fn run_plan(load: &LoadArgs, label: &str, base_url: &str) -> anyhow::Result<RunPlan> {
    Ok(RunPlan {
        label: label.to_string(),
        base_url: base_url.trim_end_matches('/').to_string(),
        schedule: RateSchedule::new(
            load.rate,
            seconds("warmup", load.warmup)?,
            seconds("duration", load.duration)?,
        )?,
        connections: load.connections,
        timeout: seconds("timeout", load.timeout)?,
        progress: !load.no_progress,
    })
}

async fn fixed_rate(load: &LoadArgs, report: &mut Report) -> anyhow::Result<()> {
    let credentials = load.credentials.credentials()?;
    if load.baseline || load.target.is_none() {
        let bare = BareHandler::spawn()
            .await
            .context("starting the bare handler")?;
        let (source, judge) = mix_for(load, &credentials, Arc::default(), true)?;
        let outcome = run(
            &run_plan(load, "baseline", &bare.base_url())?,
            source(),
            judge,
        )
        .await;
        bare.stop().await;
        report.runs.push(outcome?.report);
    }
    let Some(target) = &load.target else {
        return Ok(());
    };
    let ledger = Arc::new(AckLedger::default());
    let (source, judge) = mix_for(load, &credentials, ledger.clone(), false)?;
    let outcome = run(&run_plan(load, "target", target)?, source(), judge).await?;
    if let Some(baseline) = report.runs.first().filter(|_| load.baseline) {
        report.baseline_ratio = Some(BaselineRatio::new(
            "achieved_rate",
            outcome.report.achieved_rate,
            baseline.achieved_rate,
        ));
    }
    report.runs.push(outcome.report);
    verify(load, &ledger, report).await
}

async fn verify(load: &LoadArgs, ledger: &AckLedger, report: &mut Report) -> anyhow::Result<()> {
    let Some(brokers) = &load.brokers else {
        return Ok(());
    };
    let source = KafkaSource {
        brokers: brokers.clone(),
        topic_prefix: load.topic_prefix.clone(),
    };
    let acked = by_full_topic(&load.topic_prefix, ledger.acked_by_topic());
    let patience = seconds("verify-patience", load.verify_patience)?;
    report.topic_verification = Some(verify_topics(&source, acked, patience).await);
    Ok(())
}

async fn step(args: &StepArgs, report: &mut Report) -> anyhow::Result<()> {
    let load = &args.load;
    let credentials = load.credentials.credentials()?;
    let plan = StepPlan {
        start_rate: args.start_rate,
        factor: args.factor,
        max_rate: args.max_rate,
        refine_steps: args.refine_steps,
        step_duration: seconds("step-duration", args.step_duration)?,
        warmup: seconds("warmup", load.warmup)?,
        p99_limit_ms: args.p99_limit_ms,
        connections: load.connections,
        timeout: seconds("timeout", load.timeout)?,
        pause: seconds("pause", args.pause)?,
        progress: !load.no_progress,
    };
    let mut baseline_max = None;
    if load.baseline || load.target.is_none() {
        let bare = BareHandler::spawn()
            .await
            .context("starting the bare handler")?;
        let (source, judge) = mix_for(load, &credentials, Arc::default(), true)?;
        let found = find_max_rate("baseline", &bare.base_url(), &plan, &*source, judge).await;
        bare.stop().await;
        let (step_report, runs) = found?;
        baseline_max = step_report.max_sustainable_rate;
        report.runs.extend(runs);
        report.step.push(step_report);
    }
    let Some(target) = &load.target else {
        return Ok(());
    };
    let ledger = Arc::new(AckLedger::default());
    let (source, judge) = mix_for(load, &credentials, ledger.clone(), false)?;
    let base_url = target.trim_end_matches('/');
    let (step_report, runs) = find_max_rate("target", base_url, &plan, &*source, judge).await?;
    if let (Some(baseline), true) = (baseline_max, load.baseline) {
        report.baseline_ratio = Some(BaselineRatio::new(
            "max_sustainable_rate",
            step_report.max_sustainable_rate.unwrap_or(0.0),
            baseline,
        ));
    }
    report.runs.extend(runs);
    report.step.push(step_report);
    verify(load, &ledger, report).await
}

async fn end_to_end(args: &E2eArgs, report: &mut Report) -> anyhow::Result<()> {
    let load = &args.load;
    let target = load
        .target
        .as_deref()
        .context("e2e needs --target (the ingress of a running fleet)")?;
    let plan = E2ePlan {
        run: run_plan(load, "e2e orders", target)?,
        credentials: load.credentials.credentials()?,
        deliver_timeout: seconds("deliver-timeout", args.deliver_timeout)?,
    };
    let ledger = Arc::new(AckLedger::default());
    let (run_report, e2e) = run_e2e(&plan, ledger.clone()).await?;
    report.runs.push(run_report);
    report.end_to_end = Some(e2e);
    verify(load, &ledger, report).await
}

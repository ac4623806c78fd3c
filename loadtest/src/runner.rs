//! Drives one constant-rate run against one base URL.
//!
//! Contract: requests are built on generator threads (one per core) up to about a second ahead, then dispatched
//! at their due times whatever the server does (open loop); at most `connections` are in flight
//! and a request waiting for a free connection keeps its clock running. Latency of every request
//! is taken from its due time to the end of its answer body (or its failure). The run ends when
//! every request has completed or timed out; nothing keeps running after it returns.

use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::Context;
use hdrhistogram::Histogram;
use tokio::sync::{mpsc, Semaphore};
use tokio::task::JoinSet;

use crate::outcome::ErrorClass;
use crate::progress::Progress;
use crate::recorder::Recorder;
use crate::report::{RunReport, RunSettings};
use crate::request::{Answer, Judge, PlannedRequest, RequestSource};
use crate::schedule::RateSchedule;

/// Generator threads: one per core, at least two, so building and signing requests keeps up
/// with rates one thread cannot sign at.
fn generator_lanes() -> usize {
    std::thread::available_parallelism().map_or(2, |cores| cores.get().max(2))
}

/// Head start of the generators before the first request is due.
const GENERATOR_HEAD_START: Duration = Duration::from_millis(100);

/// Everything one run needs besides its requests.
#[derive(Debug, Clone)]
pub struct RunPlan {
    /// Label in the report (`baseline`, `target`, `step 400/s`, …).
    pub label: String,
    /// Base URL, e.g. `http://127.0.0.1:8080`.
    pub base_url: String,
    /// Rate, warm-up and duration.
    pub schedule: RateSchedule,
    /// Requests in flight at most (= TCP connections at most).
    pub connections: usize,
    /// Bound on one request.
    pub timeout: Duration,
    /// Print a progress line on stderr once a second.
    pub progress: bool,
}

/// The report of a run and its full latency histogram (µs).
#[derive(Debug, Clone)]
pub struct RunOutcome {
    /// The summary.
    pub report: RunReport,
    /// Every measured latency, for callers that need more than the summary.
    pub latency: Histogram<u64>,
}

/// Runs `plan` with requests from `source`, judged by `judge`.
pub async fn run(
    plan: &RunPlan,
    source: Arc<dyn RequestSource>,
    judge: Arc<dyn Judge>,
) -> anyhow::Result<RunOutcome> {
    let connections = plan.connections.max(1);
    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(connections)
        .timeout(plan.timeout)
        .tcp_nodelay(true)
        .build()
        .context("building the HTTP client")?;
    let schedule = plan.schedule;
    let total = schedule.total_requests();
    let lanes = generator_lanes();
    let capacity = (schedule.rate().ceil() as usize / lanes).clamp(64, 50_000);
    // Request `seq` is built by lane `seq % lanes` and read back from that lane's channel, so the
    // dispatcher still sees requests in order while signing (RSA for D-Store costs ~1 ms) runs on
    // several threads.
    let mut lane_receivers = Vec::with_capacity(lanes);
    let mut generators = Vec::with_capacity(lanes);
    for lane in 0..lanes {
        let (sender, receiver) = mpsc::channel::<PlannedRequest>(capacity);
        lane_receivers.push(receiver);
        let source = source.clone();
        let generator = std::thread::Builder::new()
            .name(format!("loadtest-generator-{lane}"))
            .spawn(move || {
                for seq in (lane as u64..total).step_by(lanes) {
                    if sender.blocking_send(source.request(seq)).is_err() {
                        break; // the run stopped early
                    }
                }
            })
            .context("starting a request generator")?;
        generators.push(generator);
    }

    let recorder = Arc::new(Recorder::default());
    let slots = Arc::new(Semaphore::new(connections));
    let start = Instant::now() + GENERATOR_HEAD_START;
    let progress = plan
        .progress
        .then(|| Progress::spawn(plan.label.clone(), recorder.clone(), schedule, start));
    let mut in_flight = JoinSet::new();
    let mut measured_sent = 0u64;
    for seq in 0..total {
        let due = start + schedule.due(seq);
        tokio::time::sleep_until(due.into()).await;
        let lane = (seq % lanes as u64) as usize;
        let Some(request) = lane_receivers[lane].recv().await else {
            break;
        };
        let measured = !schedule.is_warmup(seq);
        measured_sent += u64::from(measured);
        recorder.sent(
            request.expectation.fault(),
            Instant::now().saturating_duration_since(due),
            measured,
        );
        let (client, slots, recorder, judge) = (
            client.clone(),
            slots.clone(),
            recorder.clone(),
            judge.clone(),
        );
        let url = format!("{}{}", plan.base_url, request.path);
        in_flight.spawn(async move {
            // A closed semaphore is impossible (never closed); treat it as a free slot.
            let _slot = slots.acquire_owned().await.ok();
            let answer = send(&client, &url, &request).await;
            let latency = due.elapsed();
            let outcome = judge.judge(&request, answer);
            recorder.completed(&outcome, request.expectation.fault(), latency, measured);
        });
        while in_flight.try_join_next().is_some() {}
    }
    drop(lane_receivers);
    while in_flight.join_next().await.is_some() {}
    if let Some(progress) = progress {
        progress.stop().await;
    }
    // The generators have finished or stop at their next send now that the receivers are gone.
    let _ = tokio::task::spawn_blocking(move || {
        for generator in generators {
            let _ = generator.join();
        }
    })
    .await;

    let mut totals = recorder.totals();
    if !judge.checks_faults() {
        // Nothing was checked (the bare handler answers 200 to anything): report no checks.
        totals.faults_sent.clear();
        totals.faults_handled.clear();
        totals.faults_shed.clear();
    }
    let window_start = start + schedule.warmup();
    let measured_secs = totals
        .last_completion
        .map_or(0.0, |last| {
            last.saturating_duration_since(window_start).as_secs_f64()
        })
        .max(schedule.duration().as_secs_f64());
    let settings = RunSettings {
        label: plan.label.clone(),
        url: plan.base_url.clone(),
        target_rate: schedule.rate(),
        duration_s: schedule.duration().as_secs_f64(),
        warmup_s: schedule.warmup().as_secs_f64(),
        connections,
    };
    Ok(RunOutcome {
        report: RunReport::new(settings, measured_sent, &totals, measured_secs),
        latency: totals.latency,
    })
}

/// Sends one request and reads its whole answer.
async fn send(
    client: &reqwest::Client,
    url: &str,
    request: &PlannedRequest,
) -> Result<Answer, ErrorClass> {
    let mut builder = client.request(request.method.clone(), url);
    for (name, value) in &request.headers {
        builder = builder.header(*name, value);
    }
    let response = builder
        .body(request.body.to_vec())
        .send()
        .await
        .map_err(|error| ErrorClass::from_transport(&error))?;
    let status = response.status().as_u16();
    let body = response
        .bytes()
        .await
        .map_err(|error| ErrorClass::from_transport(&error))?;
    Ok(Answer {
        status,
        body: body.to_vec(),
    })
}

//! End-to-end mode: orders placed through the ingress's Dujiao-Next provider API, followed until
//! the fleet (procurer → upstream simulator → callback-relayer) reports them delivered.
//!
//! Contract: orders are `POST /api/v1/upstream/orders` at a constant open-loop rate, signed like
//! any downstream site; each acknowledged order (`ok:true`, `order_id`) is then polled with signed
//! `GET /api/v1/upstream/orders/:id`, as the site that placed it (`Credentials::dujiao_site`: with
//! `--dujiao-sites-file` orders are spread over several sites), until its status is
//! `delivered`/`completed` (delivered), `canceled`/`refunded` (failed) or `deliver_timeout` passes
//! (not delivered). Accepted → delivered latency runs from the acknowledgement to the poll answer
//! that first shows delivery, so it is an upper bound with the poll interval as resolution: polls
//! every 250 ms for 2 s, every 500 ms up to 6 s, then every second — a pace that never moves a
//! Dujiao signature timestamp more than ~10 s ahead of the clock (one signature per second per
//! order path is free; a poll that finds none free waits for one; see `UniqueSigner`). Every
//! acknowledged order is written to the caller's [`AckLedger`], so the run can be topic-verified
//! like any other (`loadtest e2e --brokers`); `accepted` counts that ledger, so pass a fresh one.

use std::fmt::Write as _;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;
use serde::Serialize;
use switchyard_partners::dujiao::{
    UniqueSigner, HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
use tokio::task::JoinSet;

use crate::mix::{
    AckLedger, Credentials, FaultShares, MixSource, MixWeights, Protocol, ProtocolJudge,
};
use crate::outcome::{ErrorClass, Outcome};
use crate::recorder::{new_histogram, record_latency};
use crate::report::{LatencySummary, RunReport};
use crate::request::{Answer, Expectation, Judge, PlannedRequest};
use crate::runner::{run, RunPlan};

/// What the end-to-end run needs beyond a normal run plan.
#[derive(Debug, Clone)]
pub struct E2ePlan {
    /// Rate, duration, connections, target URL.
    pub run: RunPlan,
    /// Dujiao credential (downstream site) and SKU.
    pub credentials: Credentials,
    /// Give up on an order this long after its acknowledgement.
    pub deliver_timeout: Duration,
}

/// Results of an end-to-end run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct E2eReport {
    /// Orders acknowledged by the ingress.
    pub accepted: u64,
    /// Orders seen delivered.
    pub delivered: u64,
    /// Orders that ended canceled or refunded.
    pub failed: u64,
    /// Orders not delivered within the timeout.
    pub not_delivered_in_time: u64,
    /// Polls that got no usable answer (transport errors, non-200).
    pub poll_errors: u64,
    /// Accepted → delivered, ms (upper bound, resolution = poll interval).
    pub delivery_latency: LatencySummary,
    /// Delivered orders per second, from the first acknowledgement to the last delivery.
    pub delivered_per_s: f64,
}

impl E2eReport {
    /// The section as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "end to end: accepted {}, delivered {}, failed {}, not delivered in time {}, poll errors {}",
            self.accepted, self.delivered, self.failed, self.not_delivered_in_time, self.poll_errors
        );
        let l = &self.delivery_latency;
        let _ = writeln!(
            out,
            "  accepted -> delivered ms: p50 {:.0}  p90 {:.0}  p99 {:.0}  p99.9 {:.0}  max {:.0}  (poll resolution 250 ms-1 s)",
            l.p50_ms, l.p90_ms, l.p99_ms, l.p99_9_ms, l.max_ms
        );
        let _ = writeln!(out, "  delivered orders/s: {:.2}", self.delivered_per_s);
        out
    }
}

#[derive(Debug)]
struct Tally {
    latency: Histogram<u64>,
    delivered: u64,
    failed: u64,
    timed_out: u64,
    poll_errors: u64,
    first_accept: Option<Instant>,
    last_delivery: Option<Instant>,
}

/// The ingress acknowledges, then a poller follows the order.
struct FollowingJudge {
    inner: ProtocolJudge,
    poller: Arc<Poller>,
    followers: Mutex<JoinSet<()>>,
}

struct Poller {
    client: reqwest::Client,
    base_url: String,
    credentials: Credentials,
    signer: UniqueSigner,
    deliver_timeout: Duration,
    tally: Mutex<Tally>,
}

enum PollVerdict {
    Delivered,
    Failed,
    Pending,
    Unusable,
}

impl Poller {
    fn tally(&self) -> std::sync::MutexGuard<'_, Tally> {
        self.tally.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// One signed read of `order_id`, as the site that placed it (`downstream_order_no`).
    async fn poll_once(&self, order_id: u64, downstream_order_no: &str) -> PollVerdict {
        let path = format!("/api/v1/upstream/orders/{order_id}");
        let (api_key, secret) = self.credentials.dujiao_site(downstream_order_no);
        let (timestamp, signature) = self.signer.sign_when_free(secret, "GET", &path, b"").await;
        let response = self
            .client
            .get(format!("{}{path}", self.base_url))
            .header(HEADER_API_KEY, api_key)
            .header(HEADER_TIMESTAMP, timestamp.to_string())
            .header(HEADER_SIGNATURE, signature.to_hex())
            .send()
            .await;
        let Ok(response) = response else {
            return PollVerdict::Unusable;
        };
        if response.status() != reqwest::StatusCode::OK {
            return PollVerdict::Unusable;
        }
        let Ok(body) = response.json::<serde_json::Value>().await else {
            return PollVerdict::Unusable;
        };
        match body.get("status").and_then(serde_json::Value::as_str) {
            Some("delivered" | "completed") => PollVerdict::Delivered,
            Some("canceled" | "cancelled" | "refunded") => PollVerdict::Failed,
            _ => PollVerdict::Pending,
        }
    }

    async fn follow(
        self: Arc<Self>,
        order_id: u64,
        downstream_order_no: String,
        accepted_at: Instant,
    ) {
        let mut polls = 0u32;
        loop {
            let wait = match polls {
                0..=7 => Duration::from_millis(250),
                8..=15 => Duration::from_millis(500),
                _ => Duration::from_secs(1),
            };
            polls += 1;
            tokio::time::sleep(wait).await;
            match self.poll_once(order_id, &downstream_order_no).await {
                PollVerdict::Delivered => {
                    let now = Instant::now();
                    let mut tally = self.tally();
                    record_latency(&mut tally.latency, now - accepted_at);
                    tally.delivered += 1;
                    tally.last_delivery = Some(tally.last_delivery.map_or(now, |t| t.max(now)));
                    return;
                }
                PollVerdict::Failed => {
                    self.tally().failed += 1;
                    return;
                }
                PollVerdict::Unusable => self.tally().poll_errors += 1,
                PollVerdict::Pending => {}
            }
            if accepted_at.elapsed() >= self.deliver_timeout {
                self.tally().timed_out += 1;
                return;
            }
        }
    }
}

impl Judge for FollowingJudge {
    fn judge(&self, request: &PlannedRequest, answer: Result<Answer, ErrorClass>) -> Outcome {
        let order_id = answer
            .as_ref()
            .ok()
            .and_then(|a| a.json().get("order_id").and_then(serde_json::Value::as_u64));
        let downstream_order_no = match &request.expectation {
            Expectation::Fresh(logical) => Some(logical.idempotency_id.clone()),
            _ => None,
        };
        let outcome = self.inner.judge(request, answer);
        if let (Outcome::Acked, Some(order_id), Some(downstream_order_no)) =
            (&outcome, order_id, downstream_order_no)
        {
            let accepted_at = Instant::now();
            {
                let mut tally = self.poller.tally();
                tally.first_accept = Some(
                    tally
                        .first_accept
                        .map_or(accepted_at, |t| t.min(accepted_at)),
                );
            }
            let poller = self.poller.clone();
            self.followers
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .spawn(poller.follow(order_id, downstream_order_no, accepted_at));
        }
        outcome
    }

    fn checks_faults(&self) -> bool {
        self.inner.checks_faults()
    }
}

/// Runs the end-to-end mode; returns the ack run's report and the delivery report. Every
/// acknowledged order is written to `ledger` (for the topic verification).
pub async fn run_e2e(
    plan: &E2ePlan,
    ledger: Arc<AckLedger>,
) -> anyhow::Result<(RunReport, E2eReport)> {
    let source = Arc::new(MixSource::new(
        MixWeights::from_pairs(&[(Protocol::DujiaoOrder, 1.0)])?,
        FaultShares::default(),
        plan.credentials.clone(),
        ledger.clone(),
        usize::MAX / 2,
    ));
    let poller = Arc::new(Poller {
        client: reqwest::Client::builder()
            .timeout(plan.run.timeout)
            .build()?,
        base_url: plan.run.base_url.clone(),
        credentials: plan.credentials.clone(),
        signer: UniqueSigner::default(),
        deliver_timeout: plan.deliver_timeout,
        tally: Mutex::new(Tally {
            latency: new_histogram(),
            delivered: 0,
            failed: 0,
            timed_out: 0,
            poll_errors: 0,
            first_accept: None,
            last_delivery: None,
        }),
    });
    let judge = Arc::new(FollowingJudge {
        inner: ProtocolJudge::new(ledger.clone()),
        poller: poller.clone(),
        followers: Mutex::new(JoinSet::new()),
    });
    let outcome = run(&plan.run, source, judge.clone()).await?;
    let mut followers = std::mem::take(
        &mut *judge
            .followers
            .lock()
            .unwrap_or_else(PoisonError::into_inner),
    );
    while followers.join_next().await.is_some() {}
    let tally = poller.tally();
    let span = match (tally.first_accept, tally.last_delivery) {
        (Some(first), Some(last)) => last.saturating_duration_since(first).as_secs_f64(),
        _ => 0.0,
    };
    let report = E2eReport {
        accepted: ledger.acked_count() as u64,
        delivered: tally.delivered,
        failed: tally.failed,
        not_delivered_in_time: tally.timed_out,
        poll_errors: tally.poll_errors,
        delivery_latency: LatencySummary::from_micros(&tally.latency),
        delivered_per_s: if span > 0.0 {
            tally.delivered as f64 / span
        } else {
            0.0
        },
    };
    Ok((outcome.report, report))
}

//! The callback sender: delivers queued callbacks to downstream Dujiao-Next sites.
//!
//! Contract: a polled job on the shared scheduler; wakes when this process queues a callback, and every `poll_interval_ms` otherwise;
//! claims due deliveries with a lease (so several processes never send one callback at once)
//! and sends each once: signed with the downstream credential over the literal path
//! `/api/v1/upstream/callback`, `relay.timeout_ms` per try. HTTP 200 with `ok:true` marks it
//! delivered; anything else schedules the next try on `relay.schedule_secs` (scaled), and after
//! the last one marks it failed. The stored body is sent as is: it was built when the order moved.
//! The client is the partner policy's: no redirects, answers capped at 1 MiB, and internal
//! targets refused at connect time unless `workers.allow_private_partner_urls` is set.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use switchyard_partners::dujiao::wire::CallbackBody;
use switchyard_partners::dujiao::{send_callback, DujiaoError};
use switchyard_partners::policy::{PartnerHttp, PolicyConfig};
use switchyard_store::callbacks::{self, CallbackDelivery};
use switchyard_store::credentials;
use tokio::sync::Notify;
use tokio::task::JoinSet;

use super::Relayer;
use crate::downstream::sender_wakeup;
use crate::error::{StepError, WorkerError};
use crate::scheduler::{JobError, JobFuture, PolledJob};

/// Sends due callbacks: a [`PolledJob`] woken when this process queues one.
pub struct CallbackSender {
    relayer: Arc<Relayer>,
    http: PartnerHttp,
}

impl CallbackSender {
    /// A sender over `relayer` with its own HTTP client (no retries inside a try: the schedule
    /// is the retry).
    pub fn new(relayer: Arc<Relayer>) -> Result<Self, WorkerError> {
        let policy = PolicyConfig {
            timeout: Duration::from_millis(relayer.config.relay.timeout_ms),
            rate_per_second: NonZeroU32::MAX,
            burst: NonZeroU32::MAX,
            max_retries: 0,
            allow_private_targets: relayer.config.allow_private_partner_urls,
            ..PolicyConfig::default()
        };
        let http = PartnerHttp::new("dujiao-callback", policy)
            .map_err(|error| WorkerError::Setup(format!("callback sender: {error}")))?;
        Ok(Self { relayer, http })
    }
}

impl PolledJob for CallbackSender {
    fn name(&self) -> &'static str {
        "callback-sender"
    }

    fn period(&self) -> Duration {
        Duration::from_millis(self.relayer.config.poll_interval_ms)
    }

    fn wakeup(&self) -> Option<&Notify> {
        Some(sender_wakeup())
    }

    fn run(&self) -> JobFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            let relayer = &self.relayer;
            let lease = relayer.config.claim_lease();
            let due = callbacks::claim_due(&relayer.pool, lease, relayer.config.poll_batch)
                .await
                .map_err(|error| JobError::new(format!("claiming due callbacks: {error}")))?;
            let mut sends = JoinSet::new();
            for delivery in due {
                let (relayer, http) = (Arc::clone(relayer), self.http.clone());
                sends.spawn(async move {
                    let id = delivery.id;
                    if let Err(error) = send_one(&relayer, &http, delivery).await {
                        tracing::warn!(callback_id = id, %error, "callback bookkeeping failed");
                    }
                });
            }
            while sends.join_next().await.is_some() {}
            Ok(())
        })
    }
}

/// One try of one callback, recorded.
async fn send_one(
    relayer: &Relayer,
    http: &PartnerHttp,
    delivery: CallbackDelivery,
) -> Result<(), StepError> {
    let attempt: Result<(), (String, Option<u16>)> = async {
        let credential =
            credentials::get_with_secret(&relayer.pool, &relayer.secrets, delivery.credential_id)
                .await
                .map_err(|error| (format!("credential: {error}"), None))?;
        let body: CallbackBody = serde_json::from_str(&delivery.body)
            .map_err(|_| ("stored callback body is unreadable".to_owned(), None))?;
        let api_key = &credential.credential.api_key;
        send_callback(http, &delivery.url, &body, api_key, &credential.secret)
            .await
            .map_err(|error| {
                let status = match &error {
                    DujiaoError::CallbackRejected { status } => Some(*status),
                    _ => None,
                };
                (error.to_string(), status)
            })
    }
    .await;
    match attempt {
        Ok(()) => {
            callbacks::mark_delivered(&relayer.pool, delivery.id, 200).await?;
            relayer.metrics.relay("delivered");
        }
        Err((error, status)) => {
            let tries = u32::try_from(delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
            let retry_at = relayer
                .config
                .relay_delay(tries)
                .and_then(|delay| chrono::Duration::from_std(delay).ok())
                .map(|delay| chrono::Utc::now() + delay);
            callbacks::record_failure(&relayer.pool, delivery.id, &error, status, retry_at).await?;
            relayer.metrics.relay(if retry_at.is_some() {
                "retry"
            } else {
                "failed"
            });
            tracing::warn!(
                callback_id = delivery.id,
                attempt = tries,
                %error,
                gave_up = retry_at.is_none(),
                "callback not acknowledged"
            );
        }
    }
    Ok(())
}

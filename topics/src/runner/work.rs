//! One unit of work for one key: a fresh record from Kafka or a parked event whose retry is
//! due. Decides, from the handler's answer, whether the event is done, parked, rescheduled or
//! dead-lettered, and makes that decision durable before reporting it.
//!
//! Infrastructure failures while recording a decision (Postgres or the broker unavailable) are
//! retried with backoff until they succeed or the partition is revoked / the runner shuts
//! down; then the work is abandoned without storing its offset, so it is delivered again.

use std::fmt::Display;
use std::future::Future;
use std::panic::AssertUnwindSafe;
use std::sync::Arc;
use std::time::Duration;

use futures::FutureExt;
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;
use tracing::Instrument;
use uuid::Uuid;

use super::dead_letter::{send_dead_letter, GiveUp};
use super::handler::{Consumable, Delivery, Handler, HandlerError};
use super::metrics::TopicCounters;
use super::parking::{self, HeadDecision, ParkedEvent, Record};
use super::settle::Settler;
use crate::config::KafkaConfig;
use crate::headers;
use crate::producer::Producer;

/// Everything a work item needs; one per runner.
pub(crate) struct Shared<H> {
    pub(crate) handler: H,
    /// The worker's name (the group without its prefix), for spans.
    pub(crate) worker: Arc<str>,
    pub(crate) group: Arc<str>,
    pub(crate) config: KafkaConfig,
    pub(crate) pool: PgPool,
    pub(crate) producer: Producer,
    /// Counters per subscribed topic, resolved once (a short list: no hashing per event).
    pub(crate) counters: Vec<(Arc<str>, TopicCounters)>,
    /// Writes retried heads' decisions in batches.
    pub(crate) settler: Settler,
    /// Claims of due parked events that claimed any.
    pub(crate) claims: prometheus_client::metrics::counter::Counter,
}

impl<H> Shared<H> {
    fn count(
        &self,
        topic: &Arc<str>,
        pick: impl Fn(&TopicCounters) -> &prometheus_client::metrics::counter::Counter,
    ) {
        let found = self
            .counters
            .iter()
            .find(|(known, _)| Arc::ptr_eq(known, topic) || **known == **topic);
        if let Some((_, counters)) = found {
            pick(counters).inc();
        }
    }
}

/// What a lane runs next.
#[derive(Debug)]
pub(crate) enum Work {
    /// Fetched from Kafka; its offset is tracked.
    Fresh(Record),
    /// Parked earlier; due now.
    Retry(ParkedEvent),
}

/// What happened, reported back to the dispatcher.
#[derive(Debug, Default)]
pub(crate) struct Outcome {
    /// False when abandoned (revoked or shutting down before the decision was durable).
    pub(crate) done: bool,
    /// `Some(true)`: the key is parked now; `Some(false)`: no longer parked.
    pub(crate) parked: Option<bool>,
    /// The key's next parked event, promoted to head and due now.
    pub(crate) next: Option<ParkedEvent>,
}

impl Outcome {
    fn done(parked: Option<bool>) -> Self {
        Self {
            done: true,
            parked,
            next: None,
        }
    }
}

/// Runs one work item to a durable decision.
///
/// The common case — a fresh record, key not parked, handler succeeds — stays in this small
/// future; every other path is boxed so the spawned task (allocated per event) stays small.
pub(crate) async fn run<H: Handler>(
    shared: Arc<Shared<H>>,
    work: Work,
    key_parked: bool,
    cancel: CancellationToken,
) -> Outcome {
    match work {
        Work::Fresh(record) if !key_parked => match invoke(&shared, &record, 1).await {
            Ok(()) => Outcome::done(None),
            Err(error) => Box::pin(after_fresh_failure(&shared, record, error, &cancel)).await,
        },
        Work::Fresh(record) => Box::pin(park_behind(&shared, record, &cancel)).await,
        Work::Retry(parked) => Box::pin(run_retry(&shared, parked, &cancel)).await,
    }
}

/// Keeps per-key order: the record waits behind its key's parked head instead of overtaking.
async fn park_behind<H: Handler>(
    shared: &Shared<H>,
    record: Record,
    cancel: &CancellationToken,
) -> Outcome {
    let parked = durably(cancel, "park behind key", || {
        parking::park(&shared.pool, &shared.group, &record, 0, None, None)
    })
    .await;
    match parked {
        Some(()) => Outcome::done(Some(true)),
        None => Outcome::default(),
    }
}

async fn after_fresh_failure<H: Handler>(
    shared: &Shared<H>,
    record: Record,
    error: HandlerError,
    cancel: &CancellationToken,
) -> Outcome {
    match error {
        HandlerError::Transient(error) if shared.config.max_attempts > 1 => {
            shared.count(&record.topic, |c| &c.retried);
            let delay = shared.config.retry_delay(1);
            let parked = durably(cancel, "park for retry", || {
                parking::park(
                    &shared.pool,
                    &shared.group,
                    &record,
                    1,
                    Some(delay),
                    Some(&error),
                )
            })
            .await;
            match parked {
                Some(()) => Outcome::done(Some(true)),
                None => Outcome::default(),
            }
        }
        error => {
            let give_up = give_up_kind(&error);
            if dead_letter(shared, &record, error.reason(), give_up, 1, cancel).await {
                Outcome::done(None)
            } else {
                Outcome::default()
            }
        }
    }
}

async fn run_retry<H: Handler>(
    shared: &Shared<H>,
    parked: ParkedEvent,
    cancel: &CancellationToken,
) -> Outcome {
    let attempt = parked.attempt + 1;
    let result = invoke(shared, &parked.record, attempt).await;
    let decision = match result {
        Ok(()) => HeadDecision::Finish {
            topic: Arc::clone(&parked.record.topic),
            key: Arc::clone(&parked.record.key),
        },
        Err(HandlerError::Transient(error)) if attempt < shared.config.max_attempts => {
            shared.count(&parked.record.topic, |c| &c.retried);
            HeadDecision::Reschedule {
                attempt,
                delay: shared.config.retry_delay(attempt),
                error,
            }
        }
        Err(error) => {
            let give_up = give_up_kind(&error);
            let sent = dead_letter(
                shared,
                &parked.record,
                error.reason(),
                give_up,
                attempt,
                cancel,
            )
            .await;
            if !sent {
                return Outcome::default();
            }
            HeadDecision::Finish {
                topic: Arc::clone(&parked.record.topic),
                key: Arc::clone(&parked.record.key),
            }
        }
    };
    let rescheduled = matches!(decision, HeadDecision::Reschedule { .. });
    let next = durably(cancel, "settle parked head", || {
        shared.settler.settle(parked.id, decision.clone())
    })
    .await;
    match next {
        Some(_) if rescheduled => Outcome {
            done: true,
            parked: Some(true),
            next: None,
        },
        Some(next) => Outcome {
            done: true,
            parked: Some(next.is_some()),
            next,
        },
        None => Outcome::default(),
    }
}

fn give_up_kind(error: &HandlerError) -> GiveUp {
    match error {
        HandlerError::Permanent(_) => GiveUp::Permanent,
        HandlerError::Transient(_) => GiveUp::Exhausted,
    }
}

async fn dead_letter<H: Handler>(
    shared: &Shared<H>,
    record: &Record,
    error: &str,
    give_up: GiveUp,
    attempts: u32,
    cancel: &CancellationToken,
) -> bool {
    let timeout = Duration::from_millis(shared.config.delivery_timeout_ms.max(1_000));
    let sent = durably(cancel, "dead-letter", || {
        send_dead_letter(
            &shared.producer,
            record,
            &shared.group,
            error,
            give_up,
            attempts,
            timeout,
        )
    })
    .await;
    if sent.is_some() {
        tracing::warn!(
            consumer_group = %shared.group, topic = %record.topic, partition = record.partition,
            offset = record.offset, attempts, error, "event dead-lettered"
        );
        shared.count(&record.topic, |c| &c.dead_lettered);
    }
    sent.is_some()
}

/// Decodes the record and calls the handler inside a panic boundary.
async fn invoke<H: Handler>(
    shared: &Shared<H>,
    record: &Record,
    attempt: u32,
) -> Result<(), HandlerError> {
    let result = decode_and_handle(shared, record, attempt).await;
    let topic = &record.topic;
    match &result {
        Ok(()) => shared.count(topic, |c| &c.handled),
        Err(error) => {
            let kind = match error {
                HandlerError::Permanent(_) => "permanent",
                HandlerError::Transient(_) => "transient",
            };
            tracing::info!(
                consumer_group = %shared.group, topic = %topic, partition = record.partition,
                offset = record.offset, attempt, kind, error = error.reason(), "handler failed"
            );
            match error {
                HandlerError::Permanent(_) => shared.count(topic, |c| &c.permanent),
                HandlerError::Transient(_) => shared.count(topic, |c| &c.transient),
            }
        }
    };
    result
}

async fn decode_and_handle<H: Handler>(
    shared: &Shared<H>,
    record: &Record,
    attempt: u32,
) -> Result<(), HandlerError> {
    let event_id = record
        .headers
        .get(headers::EVENT_ID)
        .and_then(|text| Uuid::try_parse_ascii(text).ok())
        .ok_or_else(|| {
            HandlerError::permanent("undecodable: missing or invalid event-id header")
        })?;
    let logical = record
        .topic
        .strip_prefix(shared.config.topic_prefix.as_str())
        .unwrap_or(&*record.topic);
    let payload = record.payload.as_deref().unwrap_or_default();
    let event = H::Event::decode(logical, payload)
        .map_err(|e| HandlerError::permanent(format!("undecodable: {e}")))?;
    let delivery = Delivery {
        event_id,
        key: Arc::clone(&record.key),
        topic: Arc::clone(&record.topic),
        partition: record.partition,
        offset: record.offset,
        attempt,
        traceparent: record
            .headers
            .get_str(headers::TRACEPARENT)
            .map(str::to_owned),
        consumer_group: Arc::clone(&shared.group),
    };
    let span = super::span::event_span(&shared.worker, &delivery);
    match AssertUnwindSafe(shared.handler.handle(event, &delivery))
        .catch_unwind()
        .instrument(span)
        .await
    {
        Ok(result) => result,
        // A panicking handler is a bug that may be fixed by a deploy: retry, then dead-letter.
        Err(_) => Err(HandlerError::transient("handler panicked")),
    }
}

/// Retries an infrastructure operation with capped exponential backoff until it succeeds
/// (`Some`) or `cancel` fires (`None`).
async fn durably<T, E, F, Fut>(
    cancel: &CancellationToken,
    what: &str,
    mut operation: F,
) -> Option<T>
where
    E: Display,
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, E>>,
{
    let mut delay = Duration::from_millis(100);
    loop {
        match operation().await {
            Ok(value) => return Some(value),
            Err(error) => {
                tracing::warn!(operation = what, error = %error, "runner bookkeeping failed; retrying");
                tokio::select! {
                    () = cancel.cancelled() => return None,
                    () = tokio::time::sleep(delay) => {}
                }
                delay = (delay * 2).min(Duration::from_secs(5));
            }
        }
    }
}

//! The procurer: turns accepted orders into procurement orders placed with their fulfillers.
//!
//! # Contract
//! - Consumes `orders.accepted` (group `{group_prefix}procurer`). For a new order it resolves
//!   every line's fulfiller, splits the cart into sub-orders ([`plan`]) and records them with
//!   the parent moved to `procuring`, in one transaction; a redelivery finds them and creates
//!   nothing (sub-orders are unique on the partner's idempotency key).
//! - Each sub-order is then placed once ([`place`]): local stock is delivered at once; Dujiao-Next
//!   `POST /orders` carries `downstream_order_no` and our `callback_url`; vending creates, pays
//!   and dispenses each record; WDT gets a `trade.push`. Every call is one recorded attempt.
//! - A transient failure schedules the next attempt on the connection's `retry_intervals`
//!   (scaled by `time_scale`); the [`retry`] job places it when due, so the event's partition
//!   never waits. With `retry_max` exhausted, or on a permanent refusal, the sub-order is
//!   `failed` with its reason: an operator's exception, never an automatic cancel or refund.
//! - A sub-order whose fulfiller's connection is `pending` or `disabled` is never sent: it
//!   [`waiting`]s, still `pending`, with the reason in `last_error` (no attempt recorded, no
//!   retry spent) and is placed once an operator enables the connection.
//! - Placement holds a lease on the row, so a handler, the retry loop and other processes never
//!   place one sub-order twice at once; a killed process only delays it until the lease ends,
//!   and the partner's idempotency key makes the repeated call return the first order.

mod attempt;
mod dujiao;
mod events;
mod intake;
mod local;
mod place;
pub mod plan;
pub mod retry;
mod vending;
mod waiting;
mod wdt;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use switchyard_topics::events::OrderAccepted;
use switchyard_topics::{Delivery, Handler, HandlerError};
use uuid::Uuid;

use crate::context::WorkerContext;
use crate::error::WorkerError;
use crate::kit::Worker;
use crate::metrics::WorkerMetrics;
use crate::scheduler::Job;

pub use attempt::{AttemptResult, PartnerFailure};
pub use place::Placer;

/// A handler's work, type-erased.
type BoxedHandling<'a> = Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + 'a>>;

/// The `orders.accepted` handler.
#[derive(Clone)]
pub struct Procurer {
    placer: Arc<Placer>,
}

impl Procurer {
    /// A procurer placing through `placer`.
    pub fn new(placer: Arc<Placer>) -> Self {
        Self { placer }
    }
}

impl Handler for Procurer {
    type Event = OrderAccepted;

    fn handle(
        &self,
        event: OrderAccepted,
        _delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        // Boxed as `dyn Future + Send` so the compiler proves `Send` here, with concrete
        // lifetimes, instead of for every lifetime where the runner is spawned.
        let handled: BoxedHandling<'_> = Box::pin(async move {
            let order_id = Uuid::parse_str(&event.order_id)
                .map_err(|_| HandlerError::permanent("order_id is not a UUID"))?;
            let first_attempts = intake::record_sub_orders(&self.placer, order_id).await?;
            for procurement_id in first_attempts {
                self.placer.place(procurement_id, false).await?;
            }
            Ok(())
        });
        handled
    }
}

impl Worker for Procurer {
    const NAME: &'static str = "procurer";
    const DESCRIPTION: &'static str =
        "places procurement orders with fulfillers (consumes orders.accepted), retries them when due";
    type Handler = Procurer;

    fn build(ctx: &WorkerContext, metrics: &WorkerMetrics) -> Result<Self, WorkerError> {
        Ok(Procurer::new(Arc::new(Placer::new(ctx, metrics.clone()))))
    }

    fn handler(&self) -> Procurer {
        self.clone()
    }

    fn jobs(&self) -> Vec<Job> {
        vec![Job::Polled(Arc::new(retry::DueRetries(Arc::clone(
            &self.placer,
        ))))]
    }
}

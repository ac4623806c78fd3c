//! The callback-relayer: applies what fulfillers report and tells downstream sites.
//!
//! # Contract
//! - Consumes `upstream.callbacks` and `vending.dispense-results` (group
//!   `{group_prefix}callback-relayer`). Neither report is trusted as is: a Dujiao-Next "delivered"
//!   is confirmed — and its delivery content fetched — with `GET /orders/:id` on the upstream
//!   ([`upstream`]); a dispense result is confirmed by querying the vending order back
//!   ([`vending`]). Until confirmed, the event is retried (transient), never applied.
//! - The confirmed status and content are stored on the sub-order, the parent is re-derived
//!   ([`crate::parent`]), its `orders.status-changed` is written into the outbox and the event id
//!   is recorded, all in one transaction: a redelivered event changes nothing, and the status
//!   event exists exactly when the change commits. Mapped products are delivered only this way,
//!   never locally.
//! - When the parent came from a downstream Dujiao-Next site, its callback is queued in that
//!   transaction and the [`sender`] loop delivers it: signed with that site's credential over
//!   the literal path `/api/v1/upstream/callback`, retried on `relay.schedule_secs` (scaled),
//!   `relay.timeout_ms` per try, delivered only on HTTP 200 with `ok:true`, then `failed`.

pub mod sender;
mod upstream;
mod vending;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::{PgConnection, PgPool};
use switchyard_connections::ConnectionRegistry;
use switchyard_store::crypto::SecretBox;
use switchyard_topics::events::{StatusSource, UpstreamCallbackReceived, VendingDispenseResult};
use switchyard_topics::{
    decode, outbox, CodecError, Consumable, Delivery, Event, Handler, HandlerError, KafkaConfig,
};

use crate::config::WorkersConfig;
use crate::context::WorkerContext;
use crate::error::{StepError, WorkerError};
use crate::kit::Worker;
use crate::metrics::WorkerMetrics;
use crate::parent::{self, ParentChange};
use crate::scheduler::Job;

/// The events the relayer consumes.
#[derive(Debug, Clone)]
pub enum RelayerEvent {
    /// An upstream Dujiao-Next site called back.
    Upstream(UpstreamCallbackReceived),
    /// A vending platform reported a dispense.
    Dispense(VendingDispenseResult),
}

impl Consumable for RelayerEvent {
    fn logical_topics() -> Vec<&'static str> {
        vec![
            UpstreamCallbackReceived::TOPIC,
            VendingDispenseResult::TOPIC,
        ]
    }

    fn decode(logical_topic: &str, payload: &[u8]) -> Result<Self, CodecError> {
        if logical_topic == VendingDispenseResult::TOPIC {
            decode::<VendingDispenseResult>(payload).map(RelayerEvent::Dispense)
        } else {
            decode::<UpstreamCallbackReceived>(payload).map(RelayerEvent::Upstream)
        }
    }
}

/// Shared state of the relayer's handler and sender loop.
pub struct Relayer {
    pub(crate) pool: PgPool,
    pub(crate) kafka: KafkaConfig,
    pub(crate) secrets: SecretBox,
    pub(crate) config: WorkersConfig,
    pub(crate) connections: ConnectionRegistry,
    pub(crate) metrics: WorkerMetrics,
}

impl Relayer {
    /// A relayer over the process's plumbing.
    pub fn new(ctx: &WorkerContext, metrics: WorkerMetrics) -> Self {
        Self {
            pool: ctx.pool.clone(),
            kafka: ctx.kafka.clone(),
            secrets: ctx.secrets.clone(),
            config: ctx.config.clone(),
            connections: ctx.connections.clone(),
            metrics,
        }
    }

    /// Inside the applying transaction: writes the parent's change, if any, into the outbox.
    async fn announce(
        &self,
        conn: &mut PgConnection,
        change: Option<&ParentChange>,
        reason: &str,
    ) -> Result<(), StepError> {
        let Some(change) = change else {
            return Ok(());
        };
        let source = StatusSource::CallbackRelayer;
        parent::announce(conn, &self.kafka, change, source, Some(reason), None).await
    }

    /// After the commit: wake the outbox drainer and, when the parent moved, the callback sender.
    fn committed(&self, parent_changed: bool) {
        outbox::wake();
        if parent_changed {
            crate::downstream::wake_sender();
        }
    }
}

/// The relayer's event handler.
#[derive(Clone)]
pub struct CallbackRelayer {
    relayer: Arc<Relayer>,
}

impl CallbackRelayer {
    /// A handler over `relayer`.
    pub fn new(relayer: Arc<Relayer>) -> Self {
        Self { relayer }
    }
}

impl Handler for CallbackRelayer {
    type Event = RelayerEvent;

    fn handle(
        &self,
        event: RelayerEvent,
        delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        // Boxed as `dyn Future + Send` so `Send` is proven here with concrete lifetimes.
        let delivery = delivery.clone();
        let handled: Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + '_>> =
            Box::pin(async move {
                let applied: Result<(), StepError> = match &event {
                    RelayerEvent::Upstream(callback) => {
                        upstream::apply(&self.relayer, callback, &delivery).await
                    }
                    RelayerEvent::Dispense(result) => {
                        vending::apply(&self.relayer, result, &delivery).await
                    }
                };
                applied.map_err(HandlerError::from)
            });
        handled
    }
}

/// The callback-relayer worker: its handler, and the sender of downstream callbacks.
pub struct CallbackRelayerWorker {
    handler: CallbackRelayer,
    sender: Arc<sender::CallbackSender>,
}

impl Worker for CallbackRelayerWorker {
    const NAME: &'static str = "callback-relayer";
    const DESCRIPTION: &'static str =
        "applies upstream callbacks and dispense results; relays callbacks one level down";
    type Handler = CallbackRelayer;

    fn build(ctx: &WorkerContext, metrics: &WorkerMetrics) -> Result<Self, WorkerError> {
        let relayer = Arc::new(Relayer::new(ctx, metrics.clone()));
        let sender = Arc::new(sender::CallbackSender::new(Arc::clone(&relayer))?);
        Ok(Self {
            handler: CallbackRelayer::new(relayer),
            sender,
        })
    }

    fn handler(&self) -> CallbackRelayer {
        self.handler.clone()
    }

    fn jobs(&self) -> Vec<Job> {
        vec![Job::Polled(self.sender.clone())]
    }
}

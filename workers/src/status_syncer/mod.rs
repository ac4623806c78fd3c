//! The status-syncer: every sales channel hears what happened to its orders.
//!
//! # Contract
//! - Consumes `orders.status-changed` (group `{group_prefix}status-syncer`). The events of one
//!   order share a key, so its statuses go out in order; a channel that fails parks only that
//!   order's key on the runner's retry schedule and holds up no other order. Calls go through
//!   the connection's client (its rate limit and backoff) from the connection registry.
//! - **D-Store** orders ([`dstore`]): `notifyOrderChange` along ACCEPTED → PREPARING → READY →
//!   COMPLETED, sending first the steps not yet sent; or CANCELLED / REJECTED with
//!   `refundAmount`. Once D-Store has READY the order is handed over: `delivered` → `completed`
//!   (announced, so COMPLETED follows).
//! - **58 Daojia** orders ([`daojia`]): `updateOrderDetail` along one of 58's two allowed journeys,
//!   intermediate steps first, in order; the total is never sent, so it never changes after
//!   payment. A status no journey allows from where the order is at 58 is never sent.
//! - **Dujiao downstream** orders: nothing; the callback-relayer tells those sites.
//! - **WDT logistics** ([`logistics`]): a scheduled pull per WDT connection marks shipped
//!   sub-orders delivered with their tracking number, then acknowledges them.
//! - Answers: success is recorded `sent`. A partner refusal (D-Store `F`, a 58 error code, an
//!   answer whose signature does not verify, a malformed answer) is recorded `refused` with the
//!   partner's code and reason: an exception for an operator, and the order's later statuses wait
//!   behind it. An unknown outcome (D-Store `U`, a timeout, 429, 5xx) is recorded `retrying` and
//!   is a transient failure: the runner retries the same call, with the same `requestId`.
//! - Every call and its answer is in `channel_notifications`; operators read it at
//!   `GET /admin/v1/orders/{id}/notifications`.
//! - It also consumes `orders.channel-updates` ([`inbound`]): a channel's cancel runs our
//!   upstream-first cancel, whose outcome goes back to the channel as a status like any other.
//!   Both topics are keyed by the order, so an order's updates and statuses stay in order.

mod daojia;
mod dstore;
mod inbound;
pub mod logistics;

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;

use sqlx::PgPool;
use std::time::Duration;
use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_store::notifications::{self, NewNotification, NotificationOutcome};
use switchyard_store::orders::{self, Channel, Order};

use switchyard_store::crypto::SecretBox;
use switchyard_topics::events::{ChannelOrderUpdate, OrderStatusChanged};
use switchyard_topics::{
    decode, CodecError, Consumable, Delivery, Event, Handler, HandlerError, KafkaConfig,
};
use uuid::Uuid;

use crate::context::WorkerContext;
use crate::error::{StepError, WorkerError};
use crate::kit::Worker;
use crate::metrics::WorkerMetrics;
use crate::scheduler::Job;

/// The status-syncer worker and its handler (cheap to clone).
#[derive(Clone)]
pub struct StatusSyncer {
    shared: Arc<Shared>,
}

struct Shared {
    pool: PgPool,
    kafka: KafkaConfig,
    secrets: SecretBox,
    /// How a cancel asks the fulfillers (a registry that sees connections as they are now).
    cancel_partners: RegistrySettings,
    logistics_interval: Duration,
    connections: ConnectionRegistry,
    /// `workers.status_sync_max_attempts`: its runner's retry budget.
    max_attempts: u32,
}

/// What the status-syncer consumes.
#[derive(Debug, Clone)]
pub enum SyncerEvent {
    /// Our order moved: tell its channel.
    Status(OrderStatusChanged),
    /// The channel changed the order on its side.
    Channel(ChannelOrderUpdate),
}

impl Consumable for SyncerEvent {
    fn logical_topics() -> Vec<&'static str> {
        vec![OrderStatusChanged::TOPIC, ChannelOrderUpdate::TOPIC]
    }

    fn decode(logical_topic: &str, payload: &[u8]) -> Result<Self, CodecError> {
        if logical_topic == ChannelOrderUpdate::TOPIC {
            decode::<ChannelOrderUpdate>(payload).map(SyncerEvent::Channel)
        } else {
            decode::<OrderStatusChanged>(payload).map(SyncerEvent::Status)
        }
    }
}

impl Worker for StatusSyncer {
    const NAME: &'static str = "status-syncer";
    const DESCRIPTION: &'static str =
        "tells each order's sales channel its statuses (D-Store notifyOrderChange, 58 updateOrderDetail) and runs the channels' cancels";
    type Handler = StatusSyncer;

    fn build(ctx: &WorkerContext, _metrics: &WorkerMetrics) -> Result<Self, WorkerError> {
        Ok(Self {
            shared: Arc::new(Shared {
                pool: ctx.pool.clone(),
                kafka: ctx.kafka.clone(),
                secrets: ctx.secrets.clone(),
                cancel_partners: RegistrySettings {
                    ttl: Duration::ZERO,
                    partner_timeout: Duration::from_millis(ctx.config.partner_timeout_ms),
                    allow_private_partner_urls: ctx.config.allow_private_partner_urls,
                },
                logistics_interval: ctx.config.wdt_logistics_interval(),
                connections: ctx.connections.clone(),
                max_attempts: ctx.config.status_sync_max_attempts,
            }),
        })
    }

    fn handler(&self) -> StatusSyncer {
        self.clone()
    }

    fn jobs(&self) -> Vec<Job> {
        vec![Job::Tasks(Arc::new(logistics::LogisticsPull(Arc::clone(
            &self.shared,
        ))))]
    }

    /// A channel may be down for hours: its statuses stay parked (holding up only their own
    /// orders) for `workers.status_sync_max_attempts` attempts before they are dead-lettered.
    fn runner_settings(&self, kafka: &KafkaConfig) -> KafkaConfig {
        KafkaConfig {
            max_attempts: self.shared.max_attempts,
            ..kafka.clone()
        }
    }
}

impl Handler for StatusSyncer {
    type Event = SyncerEvent;

    fn handle(
        &self,
        event: SyncerEvent,
        _delivery: &Delivery,
    ) -> impl Future<Output = Result<(), HandlerError>> + Send {
        // Boxed as `dyn Future + Send` so `Send` is proven here with concrete lifetimes.
        let handled: Pin<Box<dyn Future<Output = Result<(), HandlerError>> + Send + '_>> =
            Box::pin(async move {
                let done = match &event {
                    SyncerEvent::Status(change) => self.sync(change).await,
                    SyncerEvent::Channel(update) => inbound::apply(self, update).await,
                };
                done.map_err(HandlerError::from)
            });
        handled
    }
}

impl StatusSyncer {
    async fn sync(&self, event: &OrderStatusChanged) -> Result<(), StepError> {
        let id = Uuid::parse_str(&event.order_id)
            .map_err(|_| StepError::invalid("order_id is not a UUID"))?;
        let order = orders::get(&self.shared.pool, id)
            .await?
            .ok_or_else(|| StepError::invalid("unknown order"))?;
        let Some(connection_id) = order.source_connection_id else {
            return match order.channel {
                Channel::Dstore | Channel::Daojia => {
                    Err(StepError::invalid("order has no channel connection"))
                }
                Channel::DujiaoDownstream | Channel::Operator => Ok(()),
            };
        };
        let target = Target {
            order: &order,
            connection_id,
            event,
        };
        match order.channel {
            Channel::Dstore => dstore::sync(self, &target).await,
            Channel::Daojia => daojia::sync(self, &target).await,
            Channel::DujiaoDownstream | Channel::Operator => Ok(()),
        }
    }

    /// The partner statuses of `order` already sent, oldest first, and whether one was refused
    /// (then nothing more is sent until an operator acts).
    async fn history(&self, order: &Order) -> Result<History, StepError> {
        let rows = notifications::of_order(&self.shared.pool, order.id).await?;
        Ok(History {
            sent: rows
                .iter()
                .filter(|row| row.outcome == NotificationOutcome::Sent)
                .map(|row| row.partner_status.clone())
                .collect(),
            refused: rows
                .iter()
                .any(|row| row.outcome == NotificationOutcome::Refused),
        })
    }

    async fn record(
        &self,
        target: &Target<'_>,
        call: &Call<'_>,
        outcome: NotificationOutcome,
        answer: (Option<&str>, Option<&str>),
    ) -> Result<(), StepError> {
        notifications::record(&self.shared.pool, &call.row(target, outcome, answer)).await?;
        if outcome == NotificationOutcome::Refused {
            tracing::warn!(
                order_id = %target.order.id, channel = call.channel, status = call.status,
                code = answer.0.unwrap_or_default(), "channel refused a status: operator exception"
            );
        }
        Ok(())
    }
}

/// The order being synced, its channel connection and the event that moved it.
struct Target<'a> {
    order: &'a Order,
    connection_id: i64,
    event: &'a OrderStatusChanged,
}

/// One call to a channel: which status, under which idempotency key.
struct Call<'a> {
    channel: &'a str,
    status: &'a str,
    request_id: &'a str,
}

impl Call<'_> {
    fn row<'r>(
        &'r self,
        target: &Target<'_>,
        outcome: NotificationOutcome,
        (answer_code, answer_message): (Option<&'r str>, Option<&'r str>),
    ) -> NewNotification<'r> {
        NewNotification {
            order_id: target.order.id,
            connection_id: target.connection_id,
            channel: self.channel,
            partner_status: self.status,
            request_id: self.request_id,
            outcome,
            answer_code,
            answer_message,
        }
    }
}

/// What an order's channel has been told.
struct History {
    sent: Vec<String>,
    refused: bool,
}

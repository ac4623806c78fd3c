//! Inbound channel updates (`orders.channel-updates`): a D-Store `pushOrderChange` cancel or
//! refund, or a 58 `cancelOrder`, runs our upstream-first cancel.
//!
//! Contract: the order is found by (channel, channel order id). A cancel the upstream accepts
//! cancels and refunds the order in full and announces it (source `CHANNEL`), so the channel hears
//! CANCELLED / 70 back through the status-syncer. An order past cancelling (delivered) or an
//! upstream that refuses leaves the order as it is: the channel keeps hearing its real statuses.
//! An upstream that cannot be asked now is a transient failure (the runner retries). A push for an
//! order we do not have changes nothing. Other kinds of update (a status word, a modification)
//! carry nothing for us to do yet and are logged.

use switchyard_store::orders::{self, Channel as StoredChannel};
use switchyard_topics::events::{Channel, ChannelOrderUpdate, ChannelUpdateKind};

use super::StatusSyncer;
use crate::cancel::{cancel_order, CancelError, CanceledBy};
use crate::error::StepError;

/// Applies one channel update.
pub(super) async fn apply(
    syncer: &StatusSyncer,
    update: &ChannelOrderUpdate,
) -> Result<(), StepError> {
    if !matches!(
        update.kind,
        ChannelUpdateKind::CancelRequested | ChannelUpdateKind::RefundRequested
    ) {
        tracing::info!(channel = update.channel.as_str(), kind = ?update.kind, "channel update needs no action");
        return Ok(());
    }
    let channel = match update.channel {
        Channel::Dstore => StoredChannel::Dstore,
        Channel::Daojia => StoredChannel::Daojia,
        Channel::DujiaoDownstream => StoredChannel::DujiaoDownstream,
    };
    let shared = &syncer.shared;
    let Some(order) =
        orders::by_channel_id(&shared.pool, channel, &update.channel_order_id).await?
    else {
        tracing::warn!(
            channel = update.channel.as_str(),
            "cancel pushed for an order we do not have"
        );
        return Ok(());
    };
    let canceled = cancel_order(
        &shared.pool,
        &shared.kafka,
        &shared.secrets,
        shared.cancel_partners,
        order.id,
        CanceledBy::Channel,
    )
    .await;
    match canceled {
        Ok(outcome) => {
            tracing::info!(order_id = %order.id, sub_orders = outcome.sub_orders_canceled, "canceled at the channel's request");
            Ok(())
        }
        Err(refused @ (CancelError::NotCancelable(_) | CancelError::UpstreamRefused { .. })) => {
            tracing::warn!(order_id = %order.id, reason = %refused, "the channel's cancel was refused");
            Ok(())
        }
        Err(CancelError::NotFound) => Ok(()),
        Err(CancelError::UpstreamUnavailable(reason)) => Err(StepError::PartnerUnavailable(reason)),
        Err(CancelError::Step(error)) => Err(error),
    }
}

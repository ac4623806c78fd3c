//! D-Store: `notifyOrderChange` along the store's ladder (contract in the module header of
//! `status_syncer`).
//!
//! The `requestId` of a status is `{order_no}-{STATUS}`: every retry of that status repeats it,
//! so D-Store applies it once. A status already told is never told again.

use switchyard_domain::OrderStatus;
use switchyard_partners::dstore::wire::{DstoreAmount, NotifyOrderChangeRequest};
use switchyard_partners::dstore::{DstoreError, NotifyOrderStatus, ResultStatus};
use switchyard_store::notifications::NotificationOutcome;
use switchyard_store::orders;
use switchyard_topics::events::StatusSource;
use switchyard_topics::outbox;

use super::{Call, StatusSyncer, Target};
use crate::error::StepError;
use crate::parent::{self, ParentChange};

/// The store's ladder; CANCELLED and REJECTED may end it from any step.
const LADDER: [NotifyOrderStatus; 4] = [
    NotifyOrderStatus::Accepted,
    NotifyOrderStatus::Preparing,
    NotifyOrderStatus::Ready,
    NotifyOrderStatus::Completed,
];

/// Tells D-Store what it has not heard yet, up to the event's status.
pub(super) async fn sync(syncer: &StatusSyncer, target: &Target<'_>) -> Result<(), StepError> {
    let Some(status) = NotifyOrderStatus::for_order_status(target.event.status) else {
        return Ok(());
    };
    let history = syncer.history(target.order).await?;
    if history.refused {
        return Ok(());
    }
    let sent: Vec<NotifyOrderStatus> = history.sent.iter().filter_map(|w| parse(w)).collect();
    let steps = plan(&sent, status);
    if steps.is_empty() && status == NotifyOrderStatus::Ready && sent.contains(&status) {
        // READY was told, but the process stopped before the hand-over committed: do it now.
        return hand_over(syncer, target).await;
    }
    for step in steps {
        if !notify(syncer, target, step).await? {
            return Ok(());
        }
        if step == NotifyOrderStatus::Ready {
            hand_over(syncer, target).await?;
        }
    }
    Ok(())
}

/// The statuses to send, in order, after `sent` to reach `status`.
fn plan(sent: &[NotifyOrderStatus], status: NotifyOrderStatus) -> Vec<NotifyOrderStatus> {
    let finished = sent.iter().any(|s| {
        matches!(
            s,
            NotifyOrderStatus::Completed
                | NotifyOrderStatus::Cancelled
                | NotifyOrderStatus::Rejected
        )
    });
    if finished || sent.contains(&status) {
        return Vec::new();
    }
    let Some(goal) = LADDER.iter().position(|s| *s == status) else {
        return vec![status];
    };
    let start = sent
        .iter()
        .filter_map(|s| LADDER.iter().position(|l| l == s))
        .max()
        .map_or(0, |highest| highest + 1);
    LADDER
        .get(start..=goal)
        .map(<[_]>::to_vec)
        .unwrap_or_default()
}

/// One `notifyOrderChange`, recorded; true when D-Store applied it.
async fn notify(
    syncer: &StatusSyncer,
    target: &Target<'_>,
    status: NotifyOrderStatus,
) -> Result<bool, StepError> {
    let client = syncer
        .shared
        .connections
        .dstore(target.connection_id)
        .await?;
    let word = word(status);
    let request_id = format!("{}-{word}", target.order.order_no);
    let call = Call {
        channel: "dstore",
        status: word,
        request_id: &request_id,
    };
    let request = NotifyOrderChangeRequest {
        request_id: request_id.clone(),
        request_order_id: target.order.channel_order_id.clone(),
        order_status: status,
        refund_amount: refund(target, status),
        extend_info: None,
    };
    let answer = client.notify_order_change(&request).await;
    let (outcome, code, message) = match &answer {
        Ok(answer) => {
            let result = &answer.result;
            let outcome = match result.result_status {
                ResultStatus::Success => NotificationOutcome::Sent,
                ResultStatus::Failed => NotificationOutcome::Refused,
                ResultStatus::Unknown => NotificationOutcome::Retrying,
            };
            (
                outcome,
                Some(result.result_code.clone()),
                Some(result.result_message.clone()),
            )
        }
        Err(DstoreError::Refused { code, message }) => (
            NotificationOutcome::Refused,
            Some(code.clone()),
            Some(message.clone()),
        ),
        Err(error) if error.is_retryable() => {
            (NotificationOutcome::Retrying, None, Some(error.to_string()))
        }
        Err(error) => (NotificationOutcome::Refused, None, Some(error.to_string())),
    };
    syncer
        .record(
            target,
            &call,
            outcome,
            (code.as_deref(), message.as_deref()),
        )
        .await?;
    match outcome {
        NotificationOutcome::Sent => Ok(true),
        NotificationOutcome::Refused => Ok(false),
        NotificationOutcome::Retrying => Err(StepError::PartnerUnavailable(format!(
            "D-Store did not confirm {word}: {}",
            message.unwrap_or_default()
        ))),
    }
}

/// CANCELLED and REJECTED carry what the customer gets back: the refunded amount, or the whole
/// total when nothing was refunded separately.
fn refund(target: &Target<'_>, status: NotifyOrderStatus) -> Option<DstoreAmount> {
    if !matches!(
        status,
        NotifyOrderStatus::Cancelled | NotifyOrderStatus::Rejected
    ) {
        return None;
    }
    let order = target.order;
    let value = target
        .event
        .refunded_amount
        .as_ref()
        .map(|money| money.amount_minor)
        .filter(|amount| *amount > 0)
        .unwrap_or(order.total_minor);
    Some(DstoreAmount {
        value,
        currency: order.currency.to_string(),
    })
}

/// D-Store has READY: the order was handed over, so it is completed (and COMPLETED announced).
async fn hand_over(syncer: &StatusSyncer, target: &Target<'_>) -> Result<(), StepError> {
    let shared = &syncer.shared;
    let mut tx = shared.pool.begin().await?;
    let moved = orders::transition(
        &mut tx,
        target.order.id,
        &[OrderStatus::Delivered],
        OrderStatus::Completed,
    )
    .await;
    let order = match moved {
        Ok(order) => order,
        // Already completed (a redelivery) or moved elsewhere by an operator: nothing to do.
        Err(switchyard_store::StoreError::InvalidTransition { .. }) => return Ok(()),
        Err(error) => return Err(error.into()),
    };
    let change = ParentChange {
        order,
        previous: OrderStatus::Delivered,
    };
    let reason = Some("handed over: D-Store has it ready");
    parent::announce(
        &mut tx,
        &shared.kafka,
        &change,
        StatusSource::Channel,
        reason,
        None,
    )
    .await?;
    tx.commit().await?;
    outbox::wake();
    Ok(())
}

/// The status as D-Store spells it.
fn word(status: NotifyOrderStatus) -> &'static str {
    match status {
        NotifyOrderStatus::Accepted => "ACCEPTED",
        NotifyOrderStatus::Preparing => "PREPARING",
        NotifyOrderStatus::Ready => "READY",
        NotifyOrderStatus::Completed => "COMPLETED",
        NotifyOrderStatus::Rejected => "REJECTED",
        NotifyOrderStatus::Cancelled => "CANCELLED",
    }
}

fn parse(word: &str) -> Option<NotifyOrderStatus> {
    [
        NotifyOrderStatus::Accepted,
        NotifyOrderStatus::Preparing,
        NotifyOrderStatus::Ready,
        NotifyOrderStatus::Completed,
        NotifyOrderStatus::Rejected,
        NotifyOrderStatus::Cancelled,
    ]
    .into_iter()
    .find(|status| self::word(*status) == word)
}

#[cfg(test)]
mod tests {
    use super::*;
    use NotifyOrderStatus::*;

    #[test]
    fn missing_steps_are_sent_first_in_order() {
        assert_eq!(plan(&[], Preparing), vec![Accepted, Preparing]);
        assert_eq!(plan(&[Accepted], Ready), vec![Preparing, Ready]);
        assert_eq!(
            plan(&[Accepted, Preparing, Ready], Completed),
            vec![Completed]
        );
    }

    #[test]
    fn nothing_is_told_twice_or_after_the_end() {
        assert_eq!(plan(&[Accepted, Preparing], Preparing), vec![]);
        assert_eq!(plan(&[Accepted, Preparing], Accepted), vec![]);
        assert_eq!(plan(&[Accepted, Cancelled], Completed), vec![]);
        assert_eq!(
            plan(&[Accepted, Preparing, Ready, Completed], Cancelled),
            vec![]
        );
    }

    #[test]
    fn cancel_and_reject_go_out_alone() {
        assert_eq!(plan(&[], Rejected), vec![Rejected]);
        assert_eq!(plan(&[Accepted, Preparing], Cancelled), vec![Cancelled]);
    }

    #[test]
    fn words_read_back() {
        for status in [Accepted, Preparing, Ready, Completed, Rejected, Cancelled] {
            assert_eq!(parse(word(status)), Some(status));
        }
        assert_eq!(parse("ORDER_SUCCESS"), None);
    }
}

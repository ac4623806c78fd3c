//! 58 Daojia: `updateOrderDetail` along an allowed journey (contract in the module header of
//! `status_syncer`).
//!
//! Where the order is at 58 is replayed from the statuses already sent (a 58 order starts at 10,
//! booked). The shortest run of steps that 58's journeys allow from there to the wanted status is
//! sent, one call per step; a status no journey reaches is recorded `refused` (an exception for
//! an operator) and never sent. Updates carry no total.

use std::collections::VecDeque;

use switchyard_partners::daojia::update::OrderDetailUpdate;
use switchyard_partners::daojia::{DaojiaError, DaojiaOrderStatus, OrderJourney};
use switchyard_store::notifications::NotificationOutcome;

use super::{Call, StatusSyncer, Target};
use crate::error::StepError;

/// Every status we may send (58 books orders itself: 10 is never ours to send).
const SENDABLE: [DaojiaOrderStatus; 6] = [
    DaojiaOrderStatus::Accepted,
    DaojiaOrderStatus::AwaitingPayment,
    DaojiaOrderStatus::Paid,
    DaojiaOrderStatus::InService,
    DaojiaOrderStatus::Completed,
    DaojiaOrderStatus::Cancelled,
];

/// Tells 58 what it has not heard yet, up to the event's status.
pub(super) async fn sync(syncer: &StatusSyncer, target: &Target<'_>) -> Result<(), StepError> {
    let Some(status) = DaojiaOrderStatus::for_order_status(target.event.status) else {
        return Ok(());
    };
    let history = syncer.history(target.order).await?;
    if history.refused {
        return Ok(());
    }
    let mut journey = OrderJourney::booked(target.order.total_minor);
    for sent in history.sent.iter().filter_map(|code| parse(code)) {
        // The history was accepted by 58 step by step; it replays.
        let _ = journey.advance(sent, None);
    }
    if journey.current() == status || history.sent.contains(&code(status)) {
        return Ok(());
    }
    let Some(steps) = plan(&journey, status) else {
        let reason = format!(
            "no allowed 58 journey from {} to {}",
            journey.current().code(),
            status.code()
        );
        let request_id = request_id(target, status);
        let status_code = code(status);
        let call = call(&status_code, &request_id);
        let answer = (Some("not_allowed"), Some(reason.as_str()));
        return syncer
            .record(target, &call, NotificationOutcome::Refused, answer)
            .await;
    };
    for step in steps {
        if !update(syncer, target, step).await? {
            break;
        }
    }
    Ok(())
}

/// The shortest run of allowed steps from where `journey` is to `status`; `None` when none.
fn plan(journey: &OrderJourney, status: DaojiaOrderStatus) -> Option<Vec<DaojiaOrderStatus>> {
    let mut queue = VecDeque::from([(journey.clone(), Vec::new())]);
    while let Some((at, path)) = queue.pop_front() {
        for next in SENDABLE {
            // Cancelling is only a goal, never a way through.
            if next == DaojiaOrderStatus::Cancelled && status != next {
                continue;
            }
            if !at.allows(next) {
                continue;
            }
            let mut path = path.clone();
            path.push(next);
            if next == status {
                return Some(path);
            }
            let mut further = at.clone();
            if further.advance(next, None).is_ok() {
                queue.push_back((further, path));
            }
        }
    }
    None
}

/// One `updateOrderDetail`, recorded; true when 58 applied it.
async fn update(
    syncer: &StatusSyncer,
    target: &Target<'_>,
    status: DaojiaOrderStatus,
) -> Result<bool, StepError> {
    let client = syncer
        .shared
        .connections
        .daojia(target.connection_id)
        .await?;
    let status_code = code(status);
    let request_id = request_id(target, status);
    let call = call(&status_code, &request_id);
    let update = OrderDetailUpdate {
        order_id: target.order.channel_order_id.clone(),
        order_status: status,
        total_price_fen: None,
    };
    let answer = client.update_order_detail(&update).await;
    let (outcome, code, message) = match &answer {
        Ok(answer) if answer.code == 200 => {
            (NotificationOutcome::Sent, answer.code, answer.msg.clone())
        }
        Ok(answer) if answer.is_retryable() => (
            NotificationOutcome::Retrying,
            answer.code,
            answer.msg.clone(),
        ),
        Ok(answer) => (
            NotificationOutcome::Refused,
            answer.code,
            answer.msg.clone(),
        ),
        Err(DaojiaError::Refused { code, msg }) => {
            let outcome = if *code == 429 || *code >= 500 {
                NotificationOutcome::Retrying
            } else {
                NotificationOutcome::Refused
            };
            (outcome, *code, msg.clone())
        }
        Err(error) if error.is_retryable() => (NotificationOutcome::Retrying, 0, error.to_string()),
        Err(error) => (NotificationOutcome::Refused, 0, error.to_string()),
    };
    let code_text = (code != 0).then(|| code.to_string());
    syncer
        .record(
            target,
            &call,
            outcome,
            (code_text.as_deref(), Some(&message)),
        )
        .await?;
    match outcome {
        NotificationOutcome::Sent => Ok(true),
        NotificationOutcome::Refused => Ok(false),
        NotificationOutcome::Retrying => Err(StepError::PartnerUnavailable(format!(
            "58 did not confirm {status_code}: {message}"
        ))),
    }
}

fn call<'a>(status: &'a str, request_id: &'a str) -> Call<'a> {
    Call {
        channel: "daojia",
        status,
        request_id,
    }
}

/// 58 has no idempotency key; the (order, status) pair is the key, and a repeat is a no-op.
fn request_id(target: &Target<'_>, status: DaojiaOrderStatus) -> String {
    format!("{}-{}", target.order.order_no, status.code())
}

fn code(status: DaojiaOrderStatus) -> String {
    status.code().to_string()
}

fn parse(code: &str) -> Option<DaojiaOrderStatus> {
    code.parse().ok().and_then(DaojiaOrderStatus::from_code)
}

#[cfg(test)]
mod tests {
    use super::*;
    use DaojiaOrderStatus::*;

    fn at(steps: &[DaojiaOrderStatus]) -> OrderJourney {
        let mut journey = OrderJourney::booked(100);
        for step in steps {
            journey.advance(*step, None).unwrap();
        }
        journey
    }

    #[test]
    fn skipped_steps_are_sent_in_order_on_the_shortest_journey() {
        assert_eq!(plan(&at(&[]), Accepted), Some(vec![Accepted]));
        assert_eq!(plan(&at(&[]), InService), Some(vec![Accepted, InService]));
        assert_eq!(
            plan(&at(&[Accepted, InService]), Completed),
            Some(vec![AwaitingPayment, Paid, Completed])
        );
        assert_eq!(
            plan(&at(&[Accepted, AwaitingPayment, Paid]), Completed),
            Some(vec![InService, Completed])
        );
    }

    #[test]
    fn cancel_goes_out_alone_and_nothing_follows_an_end() {
        assert_eq!(plan(&at(&[Accepted]), Cancelled), Some(vec![Cancelled]));
        assert_eq!(plan(&at(&[Accepted, Cancelled]), Completed), None);
    }

    #[test]
    fn codes_read_back() {
        for status in SENDABLE {
            assert_eq!(parse(&code(status)), Some(status));
        }
        assert_eq!(parse("ACCEPTED"), None);
    }
}

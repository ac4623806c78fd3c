//! Comparing one of our sub-orders with the partner's view of it.
//!
//! Contract: pure. Statuses are compared in our vocabulary: the partner's word is first mapped
//! to a [`ProcurementStatus`] by that partner's mapping (`partners/src/<p>/mapping.rs`), then
//! compared with ours, where `fulfilled` and `completed` agree (a partner may close a delivered
//! order without telling us; nothing of ours depends on it). Amounts are compared in minor units
//! and currency. A run of type `status` never reports an amount, and `amount` never a status.

use switchyard_domain::{Money, ProcurementStatus};
use switchyard_store::reconciliation::{MismatchKind, RunType};

/// What the partner says about one of our orders.
#[derive(Debug, Clone, PartialEq)]
pub struct RemoteOrder {
    /// Its order id.
    pub upstream_order_id: String,
    /// Its order number, when it has one.
    pub upstream_order_no: Option<String>,
    /// Its status word.
    pub status_word: String,
    /// That word in our vocabulary.
    pub status: ProcurementStatus,
    /// What it charged, when it says.
    pub amount: Option<Money>,
}

/// Whether our status and the partner's (mapped) agree.
pub fn statuses_agree(ours: ProcurementStatus, theirs: ProcurementStatus) -> bool {
    use ProcurementStatus::{Completed, Fulfilled};
    ours == theirs
        || matches!(
            (ours, theirs),
            (Fulfilled, Completed) | (Completed, Fulfilled)
        )
}

/// The discrepancy between ours and theirs for a run of `run_type`, if any.
pub fn compare(
    run_type: RunType,
    ours: (ProcurementStatus, Money),
    theirs: &RemoteOrder,
) -> Option<MismatchKind> {
    let status_differs = run_type.checks_status() && !statuses_agree(ours.0, theirs.status);
    let amount_differs =
        run_type.checks_amount() && theirs.amount.is_some_and(|amount| amount != ours.1);
    match (status_differs, amount_differs) {
        (true, true) => Some(MismatchKind::Both),
        (true, false) => Some(MismatchKind::Status),
        (false, true) => Some(MismatchKind::Amount),
        (false, false) => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use switchyard_domain::Currency;
    use ProcurementStatus as P;

    fn theirs(status: P, minor: i64) -> RemoteOrder {
        RemoteOrder {
            upstream_order_id: "1001".into(),
            upstream_order_no: None,
            status_word: status.as_str().into(),
            status,
            amount: Some(Money::from_minor(minor, Currency::CNY)),
        }
    }

    fn ours(status: P, minor: i64) -> (P, Money) {
        (status, Money::from_minor(minor, Currency::CNY))
    }

    #[test]
    fn each_kind_and_each_run_type() {
        let table = [
            (
                RunType::Full,
                ours(P::Accepted, 100),
                theirs(P::Accepted, 100),
                None,
            ),
            (
                RunType::Full,
                ours(P::Accepted, 100),
                theirs(P::Canceled, 100),
                Some(MismatchKind::Status),
            ),
            (
                RunType::Full,
                ours(P::Accepted, 100),
                theirs(P::Accepted, 90),
                Some(MismatchKind::Amount),
            ),
            (
                RunType::Full,
                ours(P::Accepted, 100),
                theirs(P::Canceled, 90),
                Some(MismatchKind::Both),
            ),
            (
                RunType::Status,
                ours(P::Accepted, 100),
                theirs(P::Canceled, 90),
                Some(MismatchKind::Status),
            ),
            (
                RunType::Amount,
                ours(P::Accepted, 100),
                theirs(P::Canceled, 90),
                Some(MismatchKind::Amount),
            ),
            (
                RunType::Status,
                ours(P::Accepted, 100),
                theirs(P::Accepted, 90),
                None,
            ),
            (
                RunType::Amount,
                ours(P::Accepted, 100),
                theirs(P::Canceled, 100),
                None,
            ),
            (
                RunType::Full,
                ours(P::Fulfilled, 100),
                theirs(P::Completed, 100),
                None,
            ),
        ];
        for (run_type, ours, theirs, expected) in table {
            assert_eq!(
                compare(run_type, ours, &theirs),
                expected,
                "{run_type} {ours:?} {theirs:?}"
            );
        }
    }

    #[test]
    fn another_currency_is_another_amount() {
        let mut usd = theirs(P::Accepted, 100);
        usd.amount = Some(Money::from_minor(100, Currency::USD));
        assert_eq!(
            compare(RunType::Full, ours(P::Accepted, 100), &usd),
            Some(MismatchKind::Amount)
        );
    }

    #[test]
    fn an_unknown_amount_is_not_a_mismatch() {
        let mut silent = theirs(P::Accepted, 100);
        silent.amount = None;
        assert_eq!(
            compare(RunType::Full, ours(P::Accepted, 100), &silent),
            None
        );
    }
}

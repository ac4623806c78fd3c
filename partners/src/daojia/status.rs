//! 58 Daojia order statuses (`orderStatus` 10..70) and the transitions 58 allows.
//!
//! Allowed journeys: 10→20→30→40→50→60 (pay before service) and
//! 10→20→50→30→40→60 (pay after service); 70 (cancelled) from any non-final status; once paid
//! (40 reached) the total cannot change. [`OrderJourney`] checks a whole history, so mixing the
//! two journeys (e.g. 20→30→40→50→30) is refused, not just unknown single steps. What the codes
//! mean inside Switchyard is in [`super::mapping`].

use crate::numeric_status::numeric_status_serde;

/// `orderStatus` on 58 Daojia.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum DaojiaOrderStatus {
    /// 10: booked.
    Booked,
    /// 20: accepted by the provider.
    Accepted,
    /// 30: awaiting payment.
    AwaitingPayment,
    /// 40: paid.
    Paid,
    /// 50: in service.
    InService,
    /// 60: completed (final).
    Completed,
    /// 70: cancelled (final).
    Cancelled,
}

/// Pay, then serve.
const PAY_FIRST: [DaojiaOrderStatus; 6] = [
    DaojiaOrderStatus::Booked,
    DaojiaOrderStatus::Accepted,
    DaojiaOrderStatus::AwaitingPayment,
    DaojiaOrderStatus::Paid,
    DaojiaOrderStatus::InService,
    DaojiaOrderStatus::Completed,
];

/// Serve, then pay.
const SERVE_FIRST: [DaojiaOrderStatus; 6] = [
    DaojiaOrderStatus::Booked,
    DaojiaOrderStatus::Accepted,
    DaojiaOrderStatus::InService,
    DaojiaOrderStatus::AwaitingPayment,
    DaojiaOrderStatus::Paid,
    DaojiaOrderStatus::Completed,
];

impl DaojiaOrderStatus {
    /// Numeric wire code.
    pub fn code(self) -> u8 {
        match self {
            Self::Booked => 10,
            Self::Accepted => 20,
            Self::AwaitingPayment => 30,
            Self::Paid => 40,
            Self::InService => 50,
            Self::Completed => 60,
            Self::Cancelled => 70,
        }
    }

    /// Parses a wire code.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            10 => Self::Booked,
            20 => Self::Accepted,
            30 => Self::AwaitingPayment,
            40 => Self::Paid,
            50 => Self::InService,
            60 => Self::Completed,
            70 => Self::Cancelled,
            _ => return None,
        })
    }

    /// True for 60 and 70.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Completed | Self::Cancelled)
    }
}

numeric_status_serde!(DaojiaOrderStatus, "orderStatus");

/// Why a status update was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum TransitionError {
    /// The step is on neither allowed journey.
    #[error("orderStatus {from} -> {to} is not an allowed transition")]
    NotAllowed {
        /// Current status code.
        from: u8,
        /// Requested status code.
        to: u8,
    },
    /// The order is paid; its total is frozen.
    #[error("total cannot change once the order is paid")]
    TotalFrozen,
}

/// The history of one order on 58, checked step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrderJourney {
    history: Vec<DaojiaOrderStatus>,
    total_minor: i64,
}

impl OrderJourney {
    /// A newly booked order (status 10) with its total in minor units.
    pub fn booked(total_minor: i64) -> Self {
        Self {
            history: vec![DaojiaOrderStatus::Booked],
            total_minor,
        }
    }

    /// The current status.
    pub fn current(&self) -> DaojiaOrderStatus {
        self.history
            .last()
            .copied()
            .unwrap_or(DaojiaOrderStatus::Booked)
    }

    /// The current total in minor units.
    pub fn total_minor(&self) -> i64 {
        self.total_minor
    }

    /// True once status 40 was reached.
    pub fn is_paid(&self) -> bool {
        self.history.contains(&DaojiaOrderStatus::Paid)
    }

    /// True when moving to `next` keeps the history on an allowed journey.
    pub fn allows(&self, next: DaojiaOrderStatus) -> bool {
        let current = self.current();
        if current.is_final() {
            return false;
        }
        if next == DaojiaOrderStatus::Cancelled {
            return true;
        }
        let len = self.history.len();
        [PAY_FIRST, SERVE_FIRST].iter().any(|journey| {
            journey.len() > len && journey[..len] == self.history[..] && journey[len] == next
        })
    }

    /// Applies a status update and an optional new total; refuses a disallowed step or a total
    /// change after payment. A repeat of the current status with the same total is a no-op.
    pub fn advance(
        &mut self,
        next: DaojiaOrderStatus,
        total_minor: Option<i64>,
    ) -> Result<(), TransitionError> {
        let total_changes = total_minor.is_some_and(|t| t != self.total_minor);
        if total_changes && self.is_paid() {
            return Err(TransitionError::TotalFrozen);
        }
        if next != self.current() {
            if !self.allows(next) {
                return Err(TransitionError::NotAllowed {
                    from: self.current().code(),
                    to: next.code(),
                });
            }
            self.history.push(next);
        }
        // The freeze was checked against the history *before* this step, so the update that
        // reaches 40 may still set the total it was paid for.
        if let Some(total) = total_minor {
            self.total_minor = total;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use DaojiaOrderStatus::*;

    fn walk(steps: &[DaojiaOrderStatus]) -> Result<OrderJourney, TransitionError> {
        let mut journey = OrderJourney::booked(100);
        for step in steps {
            journey.advance(*step, None)?;
        }
        Ok(journey)
    }

    #[test]
    fn both_documented_journeys_are_allowed() {
        assert_eq!(
            walk(&[Accepted, AwaitingPayment, Paid, InService, Completed])
                .unwrap()
                .current(),
            Completed
        );
        assert_eq!(
            walk(&[Accepted, InService, AwaitingPayment, Paid, Completed])
                .unwrap()
                .current(),
            Completed
        );
    }

    #[test]
    fn skipping_or_mixing_journeys_is_refused() {
        assert_eq!(
            walk(&[InService]),
            Err(TransitionError::NotAllowed { from: 10, to: 50 })
        );
        assert_eq!(
            walk(&[Accepted, Paid]),
            Err(TransitionError::NotAllowed { from: 20, to: 40 })
        );
        assert_eq!(
            walk(&[Accepted, AwaitingPayment, Paid, InService, AwaitingPayment]),
            Err(TransitionError::NotAllowed { from: 50, to: 30 })
        );
        assert_eq!(
            walk(&[Accepted, InService, AwaitingPayment, Paid, InService]),
            Err(TransitionError::NotAllowed { from: 40, to: 50 })
        );
    }

    #[test]
    fn cancel_from_any_open_status_but_not_after_the_end() {
        assert!(walk(&[Accepted, InService, Cancelled]).is_ok());
        assert_eq!(walk(&[Cancelled]).unwrap().current(), Cancelled);
        assert_eq!(
            walk(&[
                Accepted,
                AwaitingPayment,
                Paid,
                InService,
                Completed,
                Cancelled
            ]),
            Err(TransitionError::NotAllowed { from: 60, to: 70 })
        );
        assert_eq!(
            walk(&[Cancelled, Accepted]),
            Err(TransitionError::NotAllowed { from: 70, to: 20 })
        );
    }

    #[test]
    fn total_is_frozen_once_paid() {
        let mut journey = OrderJourney::booked(100);
        journey.advance(Accepted, Some(120)).unwrap();
        journey.advance(AwaitingPayment, Some(150)).unwrap();
        journey.advance(Paid, Some(150)).unwrap();
        assert_eq!(journey.total_minor(), 150);
        assert_eq!(
            journey.advance(InService, Some(200)),
            Err(TransitionError::TotalFrozen)
        );
        assert_eq!(journey.current(), Paid, "a refused update changes nothing");
        journey.advance(InService, Some(150)).unwrap();
    }

    #[test]
    fn repeating_the_current_status_is_a_no_op() {
        let mut journey = walk(&[Accepted]).unwrap();
        journey.advance(Accepted, None).unwrap();
        assert_eq!(journey.current(), Accepted);
    }

    #[test]
    fn wire_codes_and_mapping() {
        for code in [10u8, 20, 30, 40, 50, 60, 70] {
            let status = DaojiaOrderStatus::from_code(code).unwrap();
            assert_eq!(serde_json::to_string(&status).unwrap(), code.to_string());
        }
        let back: DaojiaOrderStatus = serde_json::from_str("\"40\"").unwrap();
        assert_eq!(back, Paid);
        assert!(serde_json::from_str::<DaojiaOrderStatus>("45").is_err());
    }
}

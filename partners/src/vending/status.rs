//! Vending status codes: the merchant's update status, the query's order status, a dispense
//! record's status and a slot's floor status. What they mean inside Switchyard is in
//! [`super::mapping`].

use serde::{Deserialize, Serialize};

/// The `status` a merchant sets with `PUT /orders/{id}`; anything but `Paid` cancels.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UpdateStatus {
    /// 1: paid — the machine may dispense.
    Paid = 1,
    /// 2: refunded.
    Refund = 2,
    /// 3: closed.
    Closed = 3,
    /// 4: revoked.
    Revoked = 4,
    /// 5: paying.
    Paying = 5,
    /// 6: payment error.
    PayError = 6,
}

impl UpdateStatus {
    /// The wire number.
    pub fn code(self) -> u8 {
        self as u8
    }

    /// Parses the wire number.
    pub fn from_code(code: u8) -> Option<Self> {
        Some(match code {
            1 => UpdateStatus::Paid,
            2 => UpdateStatus::Refund,
            3 => UpdateStatus::Closed,
            4 => UpdateStatus::Revoked,
            5 => UpdateStatus::Paying,
            6 => UpdateStatus::PayError,
            _ => return None,
        })
    }
}

/// Order status answered by the query call.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum VendingOrderStatus {
    /// Paid.
    Success,
    /// Refunded.
    Refund,
    /// Closed (expired or canceled).
    Closed,
    /// Revoked.
    Revoked,
    /// Payment under way.
    Userpaying,
    /// Payment failed.
    Payerror,
    /// Waiting for a pick-up code.
    Pickupcode,
    /// Not paid yet.
    Notpay,
    /// Test payment.
    Testpay,
}

/// Status of one dispense record.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RecordStatus {
    /// Waiting to be picked up / dispensed.
    WaitingPickedUp,
    /// Picked up.
    IsPickedUp,
    /// Refunded.
    IsRefund,
    /// Dispensing now.
    IsDelivering,
    /// Dispensed.
    IsSuccess,
    /// Dispense failed.
    IsFailed,
    /// No device report in time.
    IsTimeout,
}

impl RecordStatus {
    /// True once the record will not change by itself.
    pub fn is_final(self) -> bool {
        matches!(
            self,
            RecordStatus::IsPickedUp
                | RecordStatus::IsRefund
                | RecordStatus::IsSuccess
                | RecordStatus::IsFailed
                | RecordStatus::IsTimeout
        )
    }

    /// True when the item reached the customer.
    pub fn is_delivered(self) -> bool {
        matches!(self, RecordStatus::IsSuccess | RecordStatus::IsPickedUp)
    }
}

/// `floor_status` of a dispense notify.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FloorStatus {
    /// "0": the slot is empty.
    Empty,
    /// "1": fine.
    Ok,
    /// "2": jammed.
    Jammed,
    /// "3": motor fault.
    MotorFault,
    /// "47": serial timeout.
    SerialTimeout,
}

impl FloorStatus {
    /// The wire text.
    pub fn as_str(self) -> &'static str {
        match self {
            FloorStatus::Empty => "0",
            FloorStatus::Ok => "1",
            FloorStatus::Jammed => "2",
            FloorStatus::MotorFault => "3",
            FloorStatus::SerialTimeout => "47",
        }
    }

    /// Parses the wire text.
    pub fn parse(text: &str) -> Option<Self> {
        Some(match text {
            "0" => FloorStatus::Empty,
            "1" => FloorStatus::Ok,
            "2" => FloorStatus::Jammed,
            "3" => FloorStatus::MotorFault,
            "47" => FloorStatus::SerialTimeout,
            _ => return None,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn wire_words() {
        let status: VendingOrderStatus = serde_json::from_str("\"USERPAYING\"").unwrap();
        assert_eq!(status, VendingOrderStatus::Userpaying);
        let record: RecordStatus = serde_json::from_str("\"WAITING_PICKED_UP\"").unwrap();
        assert_eq!(record, RecordStatus::WaitingPickedUp);
        assert_eq!(UpdateStatus::from_code(6), Some(UpdateStatus::PayError));
        assert_eq!(UpdateStatus::from_code(7), None);
        assert_eq!(FloorStatus::parse("47"), Some(FloorStatus::SerialTimeout));
        assert_eq!(FloorStatus::Jammed.as_str(), "2");
    }
}

//! Vending wire structs. `data` comes from protobuf, so every answer field is optional.

use serde::{Deserialize, Serialize};

use super::ids::{MachineNo, TradeId};
use super::status::{RecordStatus, VendingOrderStatus};

/// `{code, message, data}`; `code` 0 means success.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Envelope<T> {
    /// 0 on success.
    #[serde(default)]
    pub code: i64,
    /// The platform's message.
    #[serde(default)]
    pub message: String,
    /// The answer, when there is one.
    #[serde(default = "Option::default")]
    pub data: Option<T>,
}

/// `{"payload": "<base64>"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SignedBody {
    /// Signed, JSON-encoded, base64-encoded params.
    pub payload: String,
}

/// One product line of a create.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductLine {
    /// Platform product id.
    pub product_id: String,
    /// Units.
    pub quantity: u32,
}

/// Body of `POST /orders`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateOrder {
    /// Machine to sell from.
    pub machine_no: MachineNo,
    /// Where dispense results go.
    pub notify_url: String,
    /// Our idempotency key.
    pub trade_id: TradeId,
    /// Lines.
    pub products: Vec<ProductLine>,
}

/// `data` of a create.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct CreatedOrder {
    /// Platform order id.
    #[serde(default)]
    pub order_id: Option<String>,
}

/// `data` of a dispense.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Dispense {
    /// Dispense id.
    #[serde(default)]
    pub delivery_id: Option<String>,
    /// When it was dispensed.
    #[serde(default)]
    pub delivered_at: Option<String>,
    /// Status text.
    #[serde(default)]
    pub status: Option<String>,
    /// Why it failed.
    #[serde(default)]
    pub fail_reason: Option<String>,
}

/// One record of a queried order.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct Record {
    /// Record id (what dispense takes).
    #[serde(default)]
    pub id: Option<String>,
    /// Product id.
    #[serde(default)]
    pub product_id: Option<String>,
    /// Units.
    #[serde(default)]
    pub quantity: Option<u32>,
    /// Unit price in minor units.
    #[serde(default)]
    pub price: Option<i64>,
    /// Record status.
    #[serde(default)]
    pub status: Option<RecordStatus>,
}

/// `data` of a query.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct QueriedOrder {
    /// Platform order id.
    #[serde(default)]
    pub order_id: Option<String>,
    /// Order status.
    #[serde(default)]
    pub status: Option<VendingOrderStatus>,
    /// Records.
    #[serde(default)]
    pub records: Vec<Record>,
}

/// The unsigned dispense result posted to `notify_url`.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct DeliveryNotify {
    /// `device.delivery.response`.
    #[serde(default)]
    pub method: String,
    /// Platform order id.
    #[serde(default)]
    pub order_id: String,
    /// Record id.
    #[serde(default)]
    pub record_id: String,
    /// "1" delivered, "0" not.
    #[serde(default)]
    pub deliver_status: String,
    /// See [`super::FloorStatus`].
    #[serde(default)]
    pub floor_status: String,
    /// Device message.
    #[serde(default)]
    pub error_msg: String,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn omitted_fields_decode() {
        let empty: Envelope<QueriedOrder> = serde_json::from_str(r#"{"code":0}"#).unwrap();
        assert_eq!(empty.code, 0);
        assert!(empty.data.is_none());
        let partial: Envelope<QueriedOrder> =
            serde_json::from_str(r#"{"data":{"records":[{"id":"1"}]}}"#).unwrap();
        let data = partial.data.unwrap();
        assert_eq!(data.status, None);
        assert_eq!(data.records[0].quantity, None);
    }
}

//! D-Store wire types: every request and answer, camelCase JSON.
//!
//! Contract: the idempotency keys are typed (`requestOrderId` on createOrder, `requestId` on
//! notifyOrderChange and syncProduct); amounts are minor units (D-Store sends the value as a number
//! or a numeric string — both parse); unknown fields are ignored so D-Store can add fields.
//! `customer` holds personal data and is redacted in `Debug`.

use serde::{Deserialize, Serialize};

use super::status::{DstoreOrderStatus, NotifyOrderStatus, ResultStatus};
use switchyard_domain::{Currency, Money, MoneyError};

/// The `result` object every D-Store answer carries.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DstoreResult {
    /// S success, F failed (never retry), U unknown (retry with identical parameters).
    pub result_status: ResultStatus,
    /// Machine-readable code, e.g. `SUCCESS`, `INVALID_SIGNATURE`, `UNKNOWN_EXCEPTION`.
    pub result_code: String,
    /// Human-readable message.
    #[serde(default)]
    pub result_message: String,
}

impl DstoreResult {
    /// `S` / `SUCCESS`.
    pub fn success() -> Self {
        Self {
            result_status: ResultStatus::Success,
            result_code: "SUCCESS".into(),
            result_message: "success".into(),
        }
    }

    /// `F` with the given code: the caller must not retry.
    pub fn failed(code: &str, message: &str) -> Self {
        Self {
            result_status: ResultStatus::Failed,
            result_code: code.into(),
            result_message: message.into(),
        }
    }

    /// `U` / `UNKNOWN_EXCEPTION`: the caller retries with identical parameters.
    pub fn unknown(message: &str) -> Self {
        Self {
            result_status: ResultStatus::Unknown,
            result_code: "UNKNOWN_EXCEPTION".into(),
            result_message: message.into(),
        }
    }
}

/// An amount in minor units with its ISO-4217 currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DstoreAmount {
    /// Minor units (cents). Accepts a JSON number or a numeric string.
    #[serde(deserialize_with = "minor_units")]
    pub value: i64,
    /// ISO-4217 code, e.g. `SGD`.
    pub currency: String,
}

impl DstoreAmount {
    /// The amount as [`Money`]; fails on a currency code that is not three upper-case letters.
    pub fn to_money(&self) -> Result<Money, MoneyError> {
        Ok(Money::from_minor(
            self.value,
            Currency::parse(&self.currency)?,
        ))
    }

    /// The wire form of `money`.
    pub fn from_money(money: Money) -> Self {
        Self {
            value: money.amount_minor,
            currency: money.currency.as_str().to_string(),
        }
    }
}

fn minor_units<'de, D: serde::Deserializer<'de>>(deserializer: D) -> Result<i64, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum NumberOrText {
        Number(i64),
        Text(String),
    }
    match NumberOrText::deserialize(deserializer)? {
        NumberOrText::Number(n) => Ok(n),
        NumberOrText::Text(t) => t.trim().parse().map_err(serde::de::Error::custom),
    }
}

/// Fulfilment mode of an order.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ServiceType {
    /// The customer picks the order up.
    Pickup,
    /// Eaten in the store.
    Dinein,
    /// Delivered to the customer.
    Delivery,
}

/// The buyer (personal data: never logged).
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DstoreCustomer {
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// Phone number.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub phone: Option<String>,
}

impl std::fmt::Debug for DstoreCustomer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DstoreCustomer(<redacted>)")
    }
}

/// One ordered line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OrderProduct {
    /// The POS's product id (as synced by syncProduct).
    pub pos_product_id: String,
    /// Quantity ordered.
    pub quantity: u32,
    /// Line price, when given.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub price: Option<DstoreAmount>,
}

/// D-Store → POS `createOrder` request; `requestOrderId` is the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderRequest {
    /// Idempotency key: a repeat must return the same `posOrderId`.
    pub request_order_id: String,
    /// The merchant at the POS.
    pub pos_account_id: String,
    /// The store at the POS.
    pub pos_store_id: String,
    /// Ordering channel.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_channel: Option<String>,
    /// The channel's own order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub channel_order_id: Option<String>,
    /// Pickup, dine-in or delivery.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub service_type: Option<ServiceType>,
    /// When the customer expects the order.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub expect_fulfillment_time: Option<String>,
    /// The buyer (personal data).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub customer: Option<DstoreCustomer>,
    /// Ordered lines.
    #[serde(default)]
    pub order_products: Vec<OrderProduct>,
    /// Amount paid.
    pub order_amount: DstoreAmount,
}

/// POS answer to `createOrder`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CreateOrderAnswer {
    /// Outcome.
    pub result: DstoreResult,
    /// The POS's order id (present on success).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos_order_id: Option<String>,
    /// Whether the POS accepted the order without merchant action.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub auto_accept: Option<bool>,
}

/// D-Store → POS `inquireOrderDetail` request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquireOrderDetailRequest {
    /// The order asked about.
    pub request_order_id: String,
}

/// POS answer to `inquireOrderDetail`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct InquireOrderDetailAnswer {
    /// Outcome.
    pub result: DstoreResult,
    /// The POS's order id.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pos_order_id: Option<String>,
    /// Current status.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub order_status: Option<DstoreOrderStatus>,
}

/// D-Store → POS `pushOrderChange` request (e.g. a customer cancellation at D-Store).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushOrderChangeRequest {
    /// Idempotency key of this change.
    pub request_id: String,
    /// The order that changed.
    pub request_order_id: String,
    /// The new status.
    pub order_status: DstoreOrderStatus,
    /// Free-text reason.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub reason: Option<String>,
}

/// POS answer to `pushOrderChange`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PushOrderChangeAnswer {
    /// Outcome.
    pub result: DstoreResult,
}

/// POS → D-Store `notifyOrderChange` request; `requestId` is the idempotency key.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyOrderChangeRequest {
    /// Idempotency key: D-Store applies each `requestId` once.
    pub request_id: String,
    /// The order that changed.
    pub request_order_id: String,
    /// The new status.
    pub order_status: NotifyOrderStatus,
    /// Amount refunded, on a cancellation or rejection after payment.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub refund_amount: Option<DstoreAmount>,
    /// Extra information as a JSON string.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub extend_info: Option<String>,
}

/// D-Store answer to `notifyOrderChange`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct NotifyOrderChangeAnswer {
    /// Outcome.
    pub result: DstoreResult,
}

/// The store a catalog belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncStore {
    /// The store at the POS.
    pub pos_store_id: String,
    /// Display name.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub store_name: Option<String>,
}

/// Kind of a catalog entry.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ProductType {
    /// A product sold on its own.
    Single,
    /// An option added to another product.
    Modifier,
    /// A bundle of products.
    Combo,
}

/// One catalog entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProductItem {
    /// The POS's product id.
    pub pos_product_id: String,
    /// Kind of entry.
    #[serde(rename = "type")]
    pub product_type: ProductType,
    /// Display name.
    pub name: String,
    /// Price.
    pub price: DstoreAmount,
    /// Whether it can be ordered now.
    #[serde(default = "available_by_default")]
    pub available: bool,
}

fn available_by_default() -> bool {
    true
}

/// How a `syncProduct` call applies. D-Store's protocol defines only the full replace; the
/// incremental form is our extension, sent as the optional `syncType` field (absent = `FULL`).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum SyncType {
    /// The listed products become the store's whole catalog.
    #[default]
    Full,
    /// The listed products are added or replaced; the others stay as they are.
    Incremental,
}

/// POS → D-Store `syncProduct` request; a full sync replaces the store's catalog, an
/// incremental one (`syncType: INCREMENTAL`) upserts the listed products.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProductRequest {
    /// Idempotency key.
    pub request_id: String,
    /// The merchant at the POS.
    pub pos_account_id: String,
    /// The store whose catalog this is.
    pub store: SyncStore,
    /// The catalog.
    pub products: Vec<SyncProductItem>,
    /// Full replace or upsert; absent means full (the protocol's only form).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub sync_type: Option<SyncType>,
}

impl SyncProductRequest {
    /// The sync type the call asks for (`FULL` when absent).
    pub fn sync_type(&self) -> SyncType {
        self.sync_type.unwrap_or_default()
    }
}

/// D-Store answer to `syncProduct`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct SyncProductAnswer {
    /// Outcome.
    pub result: DstoreResult,
}

/// Endpoint paths.
pub mod paths {
    /// POS → D-Store.
    pub const SYNC_PRODUCT: &str = "/v2/pos/syncProduct";
    /// D-Store → POS.
    pub const CREATE_ORDER: &str = "/v2/pos/createOrder";
    /// POS → D-Store.
    pub const NOTIFY_ORDER_CHANGE: &str = "/v2/pos/notifyOrderChange";
    /// D-Store → POS.
    pub const INQUIRE_ORDER_DETAIL: &str = "/v2/pos/inquireOrderDetail";
    /// D-Store → POS.
    pub const PUSH_ORDER_CHANGE: &str = "/v2/pos/pushOrderChange";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_accept_numbers_and_numeric_strings_and_convert_to_money() {
        let number: DstoreAmount =
            serde_json::from_str(r#"{"value":1500,"currency":"SGD"}"#).unwrap();
        let text: DstoreAmount =
            serde_json::from_str(r#"{"value":"1500","currency":"SGD"}"#).unwrap();
        assert_eq!(number, text);
        let money = number.to_money().unwrap();
        assert_eq!(money.amount_minor, 1500);
        assert_eq!(DstoreAmount::from_money(money), number);
        let bad = DstoreAmount {
            value: 1,
            currency: "sgd".into(),
        };
        assert!(bad.to_money().is_err());
        assert!(
            serde_json::from_str::<DstoreAmount>(r#"{"value":"15.00","currency":"SGD"}"#).is_err()
        );
    }

    #[test]
    fn create_order_ignores_unknown_fields_and_reads_the_vector_body() {
        let body = r#"{"requestOrderId":"20230828001","posAccountId":"acc-1","posStoreId":"store-1","orderAmount":{"value":1500,"currency":"SGD"},"newField":1}"#;
        let request: CreateOrderRequest = serde_json::from_str(body).unwrap();
        assert_eq!(request.request_order_id, "20230828001");
        assert!(request.order_products.is_empty());
    }
}

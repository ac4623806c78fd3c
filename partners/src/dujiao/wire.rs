//! Dujiao-Next wire structs for every request and answer.
//!
//! Contract: answers decode leniently (missing optional fields default) so a newer provider does
//! not break us; requests serialise exactly the documented fields. Amounts stay decimal strings on
//! the wire and become [`Money`] through the `*_money` helpers. Buyer form input and delivery data
//! are [`Sensitive`]: never shown by `Debug`.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

use super::sensitive::Sensitive;
use switchyard_domain::{Currency, Money, MoneyError};

/// Text in several languages, keyed by locale (`{"zh-CN": "…", "en": "…"}`).
pub type LocalizedText = BTreeMap<String, String>;

/// `{ok:false, error_code, error_message}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ErrorBody {
    /// Always false.
    pub ok: bool,
    /// Protocol error code.
    pub error_code: String,
    /// Human-readable message.
    #[serde(default)]
    pub error_message: String,
}

/// Answer to `POST /ping`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PingAnswer {
    /// Success flag.
    pub ok: bool,
    /// Provider's site name.
    #[serde(default)]
    pub site_name: String,
    /// Protocol version, `"1.0"`.
    #[serde(default)]
    pub protocol_version: String,
    /// Our user id on the provider.
    #[serde(default)]
    pub user_id: u64,
    /// Wallet balance, decimal string.
    #[serde(default)]
    pub balance: String,
    /// Wallet currency.
    pub currency: Currency,
    /// Membership level, when the provider has one.
    #[serde(default)]
    pub member_level: Option<serde_json::Value>,
}

impl PingAnswer {
    /// The wallet balance as money.
    pub fn balance_money(&self) -> Result<Money, MoneyError> {
        Money::parse_decimal(&self.balance, self.currency)
    }
}

/// One category.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Category {
    /// Category id.
    pub id: u64,
    /// Parent id (0 or absent at the top).
    #[serde(default)]
    pub parent_id: Option<u64>,
    /// URL slug.
    #[serde(default)]
    pub slug: String,
    /// Localised name.
    #[serde(default)]
    pub name: LocalizedText,
    /// Icon URL.
    #[serde(default)]
    pub icon: String,
    /// Display order.
    #[serde(default)]
    pub sort_order: i64,
}

/// Answer to `GET /categories`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CategoriesAnswer {
    /// Success flag.
    pub ok: bool,
    /// All categories.
    #[serde(default)]
    pub categories: Vec<Category>,
}

/// How a product is delivered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FulfillmentType {
    /// Delivered automatically (card codes from stock).
    Auto,
    /// Delivered by a person.
    Manual,
}

/// Stock level of a SKU.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum StockStatus {
    /// No stock limit (`stock_quantity` -1).
    Unlimited,
    /// In stock.
    InStock,
    /// Few left.
    LowStock,
    /// None left.
    OutOfStock,
}

/// One SKU of a product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Sku {
    /// SKU id (what `POST /orders` takes).
    pub id: u64,
    /// Merchant's SKU code.
    #[serde(default)]
    pub sku_code: String,
    /// Specification values, e.g. `{"size": "L"}`.
    #[serde(default)]
    pub spec_values: BTreeMap<String, serde_json::Value>,
    /// Price, decimal string.
    pub price_amount: String,
    /// Stock level.
    pub stock_status: StockStatus,
    /// Units in stock; -1 means unlimited.
    pub stock_quantity: i64,
    /// Whether it can be ordered.
    pub is_active: bool,
}

/// One product with its SKUs.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Product {
    /// Product id.
    pub id: u64,
    /// URL slug.
    #[serde(default)]
    pub slug: String,
    /// Localised title.
    #[serde(default)]
    pub title: LocalizedText,
    /// Localised description.
    #[serde(default)]
    pub description: LocalizedText,
    /// Image URLs.
    #[serde(default)]
    pub images: Vec<String>,
    /// Base price, decimal string.
    pub price_amount: String,
    /// Delivery kind.
    pub fulfillment_type: FulfillmentType,
    /// Inactive products answer 200 with `is_active:false`.
    pub is_active: bool,
    /// Category id.
    #[serde(default)]
    pub category_id: Option<u64>,
    /// SKUs.
    #[serde(default)]
    pub skus: Vec<Sku>,
}

/// Answer to `GET /products`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductPage {
    /// Success flag.
    pub ok: bool,
    /// This page's products.
    #[serde(default)]
    pub items: Vec<Product>,
    /// Products matching, over all pages.
    #[serde(default)]
    pub total: u64,
    /// Page number (1-based).
    #[serde(default)]
    pub page: u32,
    /// Page size (≤ 50).
    #[serde(default)]
    pub page_size: u32,
}

/// Answer to `GET /products/:id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ProductAnswer {
    /// Success flag.
    pub ok: bool,
    /// The product.
    pub product: Product,
}

/// Body of `POST /orders`; `downstream_order_no` is the idempotency key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateOrderRequest {
    /// SKU to buy.
    pub sku_id: u64,
    /// Units.
    pub quantity: u32,
    /// Buyer form input for manual products (may hold personal data).
    #[serde(default)]
    pub manual_form_data: Sensitive<BTreeMap<String, serde_json::Value>>,
    /// Our order number; a repeat returns the existing order.
    pub downstream_order_no: String,
    /// Trace id for correlation.
    #[serde(default)]
    pub trace_id: String,
    /// Where the provider sends callbacks (public http(s) only).
    pub callback_url: String,
}

/// Answer to `POST /orders` (also the HTTP 200 `payment_failed` answer).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CreateOrderAnswer {
    /// True when paid.
    pub ok: bool,
    /// Provider order id.
    pub order_id: u64,
    /// Provider order number.
    pub order_no: String,
    /// `paid`, or `canceled` after a payment failure.
    pub status: String,
    /// Charged amount, decimal string.
    #[serde(default)]
    pub amount: String,
    /// Currency of `amount`.
    #[serde(default)]
    pub currency: Option<Currency>,
    /// Set when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_code: Option<String>,
    /// Set when `ok` is false.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub error_message: Option<String>,
}

/// Delivery details of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Fulfillment {
    /// `auto` or `manual`.
    #[serde(rename = "type")]
    pub kind: String,
    /// e.g. `delivered`.
    pub status: String,
    /// Delivered content (card codes): secret to the buyer.
    #[serde(default)]
    pub payload: Sensitive<String>,
    /// Structured delivery data: secret to the buyer.
    #[serde(default)]
    pub delivery_data: Sensitive<serde_json::Value>,
    /// RFC 3339 delivery time.
    #[serde(default)]
    pub delivered_at: Option<String>,
}

/// One line of an order.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderItem {
    /// Product id.
    #[serde(default)]
    pub product_id: Option<u64>,
    /// SKU id.
    #[serde(default)]
    pub sku_id: Option<u64>,
    /// Localised title.
    #[serde(default)]
    pub title: LocalizedText,
    /// Units.
    #[serde(default)]
    pub quantity: u32,
    /// Unit price, decimal string.
    #[serde(default)]
    pub unit_price: Option<String>,
    /// Line total, decimal string.
    #[serde(default)]
    pub total_price: Option<String>,
}

/// Answer to `GET /orders/:id`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderDetail {
    /// Success flag.
    pub ok: bool,
    /// Provider order id.
    pub order_id: u64,
    /// Provider order number.
    pub order_no: String,
    /// Order status word.
    pub status: String,
    /// Charged amount, decimal string.
    #[serde(default)]
    pub amount: String,
    /// Refunded so far, decimal string.
    #[serde(default)]
    pub refunded_amount: String,
    /// Currency.
    pub currency: Currency,
    /// Lines.
    #[serde(default)]
    pub items: Vec<OrderItem>,
    /// Delivery, once there is one.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<Fulfillment>,
}

impl OrderDetail {
    /// The charged amount as money.
    pub fn amount_money(&self) -> Result<Money, MoneyError> {
        Money::parse_decimal(&self.amount, self.currency)
    }
}

/// Answer to `POST /orders/:id/cancel`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CancelAnswer {
    /// Success flag.
    pub ok: bool,
    /// Provider order id.
    pub order_id: u64,
    /// Provider order number.
    pub order_no: String,
    /// `canceled`.
    pub status: String,
}

/// Body of a callback from provider to integrator.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackBody {
    /// `order.status_changed` or `order.fulfilled`.
    pub event: String,
    /// Provider order id.
    pub order_id: u64,
    /// Provider order number.
    pub order_no: String,
    /// The integrator's order number.
    pub downstream_order_no: String,
    /// New status word (see [`super::CallbackOutcome`]).
    pub status: String,
    /// Delivery, for fulfilled orders.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub fulfillment: Option<Fulfillment>,
    /// Unix seconds of the event.
    pub timestamp: i64,
}

/// The receiver's answer to a callback: `{"ok":true,"message":"received"}`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct CallbackAck {
    /// Only `true` counts as delivered.
    pub ok: bool,
    /// `received`, or why not.
    #[serde(default)]
    pub message: String,
}

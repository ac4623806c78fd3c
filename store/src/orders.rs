//! Orders from sales channels, their lines and the contact data some protocols require.
//!
//! Contract: [`insert`] is idempotent on (channel, channel_order_id): a repeated push returns
//! [`Inserted::Existing`] with the first order and writes nothing (lines and contact are stored
//! only with a new order). Contact data is personal data: it is written with the order, no query
//! here reads it back, and its `Debug` is redacted. [`lock`] holds an order's row for the rest of
//! the caller's transaction, so status changes of one order are serialised.

use chrono::{DateTime, Utc};
use sqlx::{PgConnection, PgExecutor};
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};
use crate::Inserted;
use switchyard_domain::{text_enum, Currency};

pub use switchyard_domain::OrderStatus;

text_enum! {
    /// Where an order came from.
    Channel {
        /// A downstream Dujiao-Next site through our provider API.
        DujiaoDownstream => "dujiao_downstream",
        /// Alipay+ D-Store.
        Dstore => "dstore",
        /// 58 Daojia.
        Daojia => "daojia",
        /// Entered by an operator.
        Operator => "operator",
    }
}

/// A stored order.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct Order {
    /// Our id.
    pub id: Uuid,
    /// Our human-facing order number (`SY000000000001`).
    pub order_no: String,
    /// Sales channel.
    pub channel: Channel,
    /// The channel's id for it (namespaced by credential for Dujiao downstream orders).
    pub channel_order_id: String,
    /// The downstream credential that placed it.
    pub source_credential_id: Option<i64>,
    /// The partner connection it arrived through.
    pub source_connection_id: Option<i64>,
    /// Current status.
    pub status: OrderStatus,
    /// Total in minor units.
    pub total_minor: i64,
    /// Refunded so far in minor units.
    pub refunded_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// Where status callbacks go (Dujiao downstream orders).
    pub callback_url: Option<String>,
    /// The channel's trace id.
    pub trace_id: Option<String>,
    /// When it was accepted.
    pub created_at: DateTime<Utc>,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// An order line.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct OrderItem {
    /// Primary key.
    pub id: i64,
    /// Owning order.
    pub order_id: Uuid,
    /// 1-based line number.
    pub line_no: i32,
    /// The local SKU, when the channel item resolved to one.
    pub sku_id: Option<i64>,
    /// The channel's item id (goodsId, posProductId).
    pub channel_item_id: Option<String>,
    /// Line title.
    pub title: Option<String>,
    /// Units.
    pub quantity: i32,
    /// Unit price in minor units.
    pub unit_price_minor: i64,
    /// Dujiao `manual_form_data`.
    pub manual_form_data: Option<serde_json::Value>,
}

/// A new order line.
#[derive(Debug, Clone, PartialEq)]
pub struct NewOrderItem {
    /// The local SKU.
    pub sku_id: Option<i64>,
    /// The channel's item id.
    pub channel_item_id: Option<String>,
    /// Line title.
    pub title: Option<String>,
    /// Units (positive).
    pub quantity: i32,
    /// Unit price in minor units.
    pub unit_price_minor: i64,
    /// Dujiao `manual_form_data`.
    pub manual_form_data: Option<serde_json::Value>,
}

/// Personal data a protocol forces us to keep (58 userMobile / serviceAddress). Never logged.
#[derive(Clone, PartialEq, Eq, Default, sqlx::FromRow)]
pub struct OrderContact {
    /// Customer phone.
    pub contact_phone: Option<String>,
    /// Service address.
    pub service_address: Option<String>,
    /// Other protocol-required customer details.
    pub details: Option<serde_json::Value>,
}

impl std::fmt::Debug for OrderContact {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("OrderContact([redacted])")
    }
}

/// A new order with its lines.
#[derive(Debug, Clone)]
pub struct NewOrder {
    /// Our id (a v7 UUID keeps inserts index-friendly).
    pub id: Uuid,
    /// Sales channel.
    pub channel: Channel,
    /// The channel's id for it.
    pub channel_order_id: String,
    /// The downstream credential that placed it.
    pub source_credential_id: Option<i64>,
    /// The partner connection it arrived through.
    pub source_connection_id: Option<i64>,
    /// Total in minor units.
    pub total_minor: i64,
    /// Currency.
    pub currency: Currency,
    /// Where status callbacks go.
    pub callback_url: Option<String>,
    /// The channel's trace id.
    pub trace_id: Option<String>,
    /// Lines, numbered from 1 in this order.
    pub items: Vec<NewOrderItem>,
    /// Personal data, when the protocol requires it.
    pub contact: Option<OrderContact>,
}

pub(crate) const COLUMNS: &str = "id, order_no, channel, channel_order_id, source_credential_id, \
                                  source_connection_id, status, total_minor, refunded_minor, \
                                  currency, callback_url, trace_id, created_at, updated_at";

/// Stores a new order with its lines and contact, or returns the one with the same
/// (channel, channel_order_id).
///
/// The order, its lines and its contact are written by one statement (data-modifying CTEs), so
/// the write is atomic without a transaction of its own: one round trip for a new order, two for
/// a repeat. Inside the caller's transaction it is part of that transaction.
pub async fn insert(conn: &mut PgConnection, new: &NewOrder) -> StoreResult<Inserted<Order>> {
    let lines = NewLines::of(&new.items);
    let contact = new.contact.as_ref();
    let created = sqlx::query_as::<_, Order>(&format!(
        "WITH created AS (
             INSERT INTO orders (id, channel, channel_order_id, source_credential_id,
                                 source_connection_id, total_minor, currency, callback_url, trace_id)
             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
             ON CONFLICT (channel, channel_order_id) DO NOTHING
             RETURNING {COLUMNS}
         ), lines AS (
             INSERT INTO order_items (order_id, line_no, sku_id, channel_item_id, title, quantity,
                                      unit_price_minor, manual_form_data)
             SELECT created.id, line.line_no, line.sku_id, line.channel_item_id, line.title,
                    line.quantity, line.unit_price_minor, line.manual_form_data
             FROM created,
                  unnest($10::int[], $11::bigint[], $12::text[], $13::text[], $14::int[],
                         $15::bigint[], $16::jsonb[])
                  AS line (line_no, sku_id, channel_item_id, title, quantity, unit_price_minor,
                           manual_form_data)
         ), contact AS (
             INSERT INTO order_contacts (order_id, contact_phone, service_address, details)
             SELECT created.id, $18, $19, $20 FROM created WHERE $17
         )
         SELECT {COLUMNS} FROM created"
    ))
    .bind(new.id)
    .bind(new.channel)
    .bind(&new.channel_order_id)
    .bind(new.source_credential_id)
    .bind(new.source_connection_id)
    .bind(new.total_minor)
    .bind(new.currency)
    .bind(&new.callback_url)
    .bind(&new.trace_id)
    .bind(&lines.line_no)
    .bind(&lines.sku_id)
    .bind(&lines.channel_item_id)
    .bind(&lines.title)
    .bind(&lines.quantity)
    .bind(&lines.unit_price_minor)
    .bind(&lines.manual_form_data)
    .bind(contact.is_some())
    .bind(contact.and_then(|c| c.contact_phone.as_deref()))
    .bind(contact.and_then(|c| c.service_address.as_deref()))
    .bind(contact.and_then(|c| c.details.as_ref()))
    .fetch_optional(&mut *conn)
    .await?;
    match created {
        Some(order) => Ok(Inserted::Created(order)),
        None => by_channel_id(&mut *conn, new.channel, &new.channel_order_id)
            .await?
            .map(Inserted::Existing)
            .ok_or(StoreError::NotFound("order")),
    }
}

/// An order's lines as one array per column, for `unnest` (numbered from 1).
struct NewLines {
    line_no: Vec<i32>,
    sku_id: Vec<Option<i64>>,
    channel_item_id: Vec<Option<String>>,
    title: Vec<Option<String>>,
    quantity: Vec<i32>,
    unit_price_minor: Vec<i64>,
    manual_form_data: Vec<Option<serde_json::Value>>,
}

impl NewLines {
    fn of(items: &[NewOrderItem]) -> Self {
        Self {
            line_no: (1..).take(items.len()).collect(),
            sku_id: items.iter().map(|item| item.sku_id).collect(),
            channel_item_id: items.iter().map(|i| i.channel_item_id.clone()).collect(),
            title: items.iter().map(|item| item.title.clone()).collect(),
            quantity: items.iter().map(|item| item.quantity).collect(),
            unit_price_minor: items.iter().map(|item| item.unit_price_minor).collect(),
            manual_form_data: items.iter().map(|i| i.manual_form_data.clone()).collect(),
        }
    }
}

/// The order with id `id`.
pub async fn get(db: impl PgExecutor<'_>, id: Uuid) -> StoreResult<Option<Order>> {
    let order = sqlx::query_as::<_, Order>(&format!("SELECT {COLUMNS} FROM orders WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(order)
}

/// The order with id `id`, its row locked until the caller's transaction ends.
pub async fn lock(conn: &mut PgConnection, id: Uuid) -> StoreResult<Option<Order>> {
    let order = sqlx::query_as::<_, Order>(&format!(
        "SELECT {COLUMNS} FROM orders WHERE id = $1 FOR UPDATE"
    ))
    .bind(id)
    .fetch_optional(conn)
    .await?;
    Ok(order)
}

/// The order numbered `order_no` if the downstream credential `credential_id` placed it.
pub async fn placed_by(
    db: impl PgExecutor<'_>,
    order_no: &str,
    credential_id: i64,
) -> StoreResult<Option<Order>> {
    let order = sqlx::query_as::<_, Order>(&format!(
        "SELECT {COLUMNS} FROM orders WHERE order_no = $1 AND source_credential_id = $2"
    ))
    .bind(order_no)
    .bind(credential_id)
    .fetch_optional(db)
    .await?;
    Ok(order)
}

/// The order a channel knows as `channel_order_id`.
pub async fn by_channel_id(
    db: impl PgExecutor<'_>,
    channel: Channel,
    channel_order_id: &str,
) -> StoreResult<Option<Order>> {
    let order = sqlx::query_as::<_, Order>(&format!(
        "SELECT {COLUMNS} FROM orders WHERE channel = $1 AND channel_order_id = $2"
    ))
    .bind(channel)
    .bind(channel_order_id)
    .fetch_optional(db)
    .await?;
    Ok(order)
}

/// The lines of an order, by line number.
pub async fn items(db: impl PgExecutor<'_>, order_id: Uuid) -> StoreResult<Vec<OrderItem>> {
    let items = sqlx::query_as::<_, OrderItem>(
        "SELECT id, order_id, line_no, sku_id, channel_item_id, title, quantity, unit_price_minor,
                manual_form_data
         FROM order_items WHERE order_id = $1 ORDER BY line_no",
    )
    .bind(order_id)
    .fetch_all(db)
    .await?;
    Ok(items)
}

/// Sets the status unconditionally.
pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: Uuid,
    status: OrderStatus,
) -> StoreResult<Order> {
    sqlx::query_as::<_, Order>(&format!(
        "UPDATE orders SET status = $2 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("order"))
}

/// Sets the status only if the current one is in `from` (compare-and-set, e.g. cancel only while
/// not yet delivered); otherwise [`StoreError::InvalidTransition`].
pub async fn transition(
    conn: &mut PgConnection,
    id: Uuid,
    from: &[OrderStatus],
    to: OrderStatus,
) -> StoreResult<Order> {
    let updated = sqlx::query_as::<_, Order>(&format!(
        "UPDATE orders SET status = $3 WHERE id = $1 AND status = ANY($2) RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(from)
    .bind(to)
    .fetch_optional(&mut *conn)
    .await?;
    match updated {
        Some(order) => Ok(order),
        None => {
            let current = get(&mut *conn, id)
                .await?
                .ok_or(StoreError::NotFound("order"))?;
            Err(StoreError::InvalidTransition {
                entity: "order",
                from: current.status.to_string(),
                action: to.as_str(),
            })
        }
    }
}

/// Records how much of the order has been refunded (minor units).
pub async fn set_refunded(
    db: impl PgExecutor<'_>,
    id: Uuid,
    refunded_minor: i64,
) -> StoreResult<()> {
    sqlx::query("UPDATE orders SET refunded_minor = $2 WHERE id = $1")
        .bind(id)
        .bind(refunded_minor)
        .execute(db)
        .await?;
    Ok(())
}

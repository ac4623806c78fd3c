//! The optional order list of a provider site, `GET /orders?created_from=&created_to=&page=`.
//!
//! Contract: the Dujiao-Next protocol has no order list (a site answers only `GET /orders/:id`),
//! so a reconciler cannot learn from a stock site which orders it holds that we do not. Sites
//! that serve this extension (the simulator does) answer pages of [`OrderSummary`] for the
//! calling credential, oldest first; a site that does not serve it answers 404 or 405, which
//! [`DujiaoClient::list_orders`] returns as `Ok(None)` so the caller can say what it could not
//! check. Any other failure is an error, as for every call.

use chrono::{DateTime, SecondsFormat, Utc};
use reqwest::Method;
use serde::{Deserialize, Serialize};
use switchyard_domain::{Currency, Money, MoneyError};

use super::client::{decode, DujiaoClient};
use super::error::DujiaoError;

/// Orders asked for per page. Every page of one range signs the same path (the query is not
/// signed), and a signature is never reused, so pages are large: few signatures per run.
pub const LIST_PAGE_SIZE: u32 = 500;

/// One order of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderSummary {
    /// Provider order id.
    pub order_id: u64,
    /// Provider order number.
    pub order_no: String,
    /// The integrator's idempotency key the order was placed with.
    pub downstream_order_no: String,
    /// Order status word.
    pub status: String,
    /// Charged amount, decimal string.
    pub amount: String,
    /// Currency.
    pub currency: Currency,
    /// When it was placed (RFC 3339).
    pub created_at: String,
}

impl OrderSummary {
    /// The charged amount as money.
    pub fn amount_money(&self) -> Result<Money, MoneyError> {
        Money::parse_decimal(&self.amount, self.currency)
    }
}

/// One page of the list.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct OrderPage {
    /// Success flag.
    pub ok: bool,
    /// Orders of the page.
    pub items: Vec<OrderSummary>,
    /// Orders in the whole range.
    pub total: u64,
    /// This page (1-based).
    pub page: u32,
    /// Page size.
    pub page_size: u32,
}

impl OrderPage {
    /// Whether pages follow this one.
    pub fn has_more(&self) -> bool {
        u64::from(self.page) * u64::from(self.page_size.max(1)) < self.total
    }
}

impl DujiaoClient {
    /// One page (1-based) of the calling credential's orders placed in `[from, to)`; `None` when
    /// the site does not serve the list.
    pub async fn list_orders(
        &self,
        from: DateTime<Utc>,
        to: DateTime<Utc>,
        page: u32,
    ) -> Result<Option<OrderPage>, DujiaoError> {
        let query = vec![
            (
                "created_from",
                from.to_rfc3339_opts(SecondsFormat::Millis, true),
            ),
            (
                "created_to",
                to.to_rfc3339_opts(SecondsFormat::Millis, true),
            ),
            ("page", page.max(1).to_string()),
            ("page_size", LIST_PAGE_SIZE.to_string()),
        ];
        let response = self
            .call(Method::GET, "/orders", &query, Vec::new())
            .await?;
        if matches!(response.status.as_u16(), 404 | 405) {
            return Ok(None);
        }
        decode(&response).map(Some)
    }
}

//! One order's delivery built from the deliveries of its parts.
//!
//! Contract: an order split across fulfillers is reported to a downstream site as one
//! [`Fulfillment`]: `type "auto"`, `status "delivered"`, the parts' payloads joined by newlines
//! (empty ones skipped), the delivery data as the single value or `{"items": [...]}`, and the
//! latest delivery time. The callback-relayer sends this and the provider API serves it on
//! `GET /orders/:id`; both must agree, because a downstream confirms a callback by reading it.

use chrono::{DateTime, Utc};
use serde_json::Value;

use super::wire::Fulfillment;
use super::Sensitive;

impl Fulfillment {
    /// Combines delivered parts, each stored as `{"payload": …, "delivery_data": …}`.
    pub fn combine<'a>(
        parts: impl IntoIterator<Item = &'a Value>,
        delivered_at: Option<DateTime<Utc>>,
    ) -> Self {
        let parts: Vec<&Value> = parts.into_iter().collect();
        let payload = parts
            .iter()
            .filter_map(|part| part.get("payload").and_then(Value::as_str))
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join("\n");
        let mut data: Vec<Value> = parts
            .iter()
            .filter_map(|part| part.get("delivery_data").cloned())
            .filter(|value| !value.is_null())
            .collect();
        let delivery_data = if data.len() == 1 {
            data.remove(0)
        } else {
            serde_json::json!({ "items": data })
        };
        Fulfillment {
            kind: "auto".to_owned(),
            status: "delivered".to_owned(),
            payload: Sensitive(payload),
            delivery_data: Sensitive(delivery_data),
            delivered_at: delivered_at.map(|at| at.to_rfc3339()),
        }
    }
}

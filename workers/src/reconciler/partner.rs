//! The partner's view of one of our sub-orders, through the connection's client.
//!
//! Contract: one call per sub-order, through the client the connection registry hands out (so
//! paced by the connection's rate limit). A sub-order the partner never gave an id to (never
//! placed) is not asked about: [`View::Unplaced`]. The partner saying it does not know the order
//! (Dujiao 404 `order_not_found`, vending code 40004) is [`View::Missing`]. Any other failure is
//! a transient error: the run stops there and resumes from its cursor.
//!
//! Per partner:
//! - Dujiao-Next: `GET /orders/:id` (`upstream_order_id`); the word goes through
//!   `DujiaoOrderStatus::to_procurement_status`; the amount is the decimal `amount` in its currency.
//! - Vending: the order query (`POST /orders/{id}` with the machine, the last eight characters of
//!   our `trade_id`); a refunded, closed, revoked or failed-payment order is that, otherwise the
//!   dispense records decide as they do for the relayer (`procurement_status_of`); the amount is the sum of the records' prices, in our currency
//!   (the platform names none).
//! - WDT through Qimen: the client has no trade query, so nothing is compared (the run's note
//!   says so); D-Store and 58 are sales channels, not fulfillers.

use switchyard_connections::ConnectionRegistry;
use switchyard_domain::Money;
use switchyard_partners::dujiao::{DujiaoClient, DujiaoError, DujiaoOrderStatus};
use switchyard_partners::vending::mapping::{order_status_from_records, procurement_status_of};
use switchyard_partners::vending::{
    MachineNo, RecordStatus, VendingClient, VendingError, VendingOrderStatus,
};
use switchyard_store::connections::ConnectionKind;
use switchyard_store::procurement::ProcurementOrder;

use super::compare::RemoteOrder;
use crate::error::StepError;

/// The vending platform's "order not found" code.
const VENDING_NOT_FOUND: i64 = 40004;

/// How a connection's orders can be read.
#[derive(Clone)]
pub(super) enum Partner {
    /// A Dujiao-Next upstream site.
    Dujiao(DujiaoClient),
    /// A vending platform account.
    Vending(VendingClient),
    /// Nothing can be asked; why (for the run's note).
    Unqueried(&'static str),
}

/// What the partner says about one sub-order.
#[derive(Debug, Clone, PartialEq)]
pub(super) enum View {
    /// It knows the order.
    Found(RemoteOrder),
    /// It does not know the order.
    Missing,
    /// Not asked (never placed, or nothing can be asked).
    Unplaced,
}

impl Partner {
    /// The partner behind connection `id` (an active connection, else an error).
    pub(super) async fn of(connections: &ConnectionRegistry, id: i64) -> Result<Self, StepError> {
        let kind = connections.connection(id).await?.connection().kind;
        Ok(match kind {
            ConnectionKind::DujiaoUpstream => Partner::Dujiao(connections.dujiao(id).await?),
            ConnectionKind::Vending => Partner::Vending(connections.vending(id).await?),
            ConnectionKind::QimenWdt => Partner::Unqueried(
                "WDT through Qimen has no trade query: no order was checked at the partner",
            ),
            ConnectionKind::Dstore | ConnectionKind::Daojia => Partner::Unqueried(
                "a sales channel connection fulfils nothing: no order was checked at the partner",
            ),
        })
    }

    /// The partner's view of `sub`.
    pub(super) async fn view(&self, sub: &ProcurementOrder) -> Result<View, StepError> {
        let Some(upstream_id) = sub.upstream_order_id.as_deref() else {
            return Ok(View::Unplaced);
        };
        match self {
            Partner::Dujiao(client) => dujiao(client, upstream_id).await,
            Partner::Vending(client) => vending(client, sub, upstream_id).await,
            Partner::Unqueried(_) => Ok(View::Unplaced),
        }
    }
}

async fn dujiao(client: &DujiaoClient, upstream_id: &str) -> Result<View, StepError> {
    let Ok(id) = upstream_id.parse::<u64>() else {
        return Ok(View::Missing);
    };
    let detail = match client.get_order(id).await {
        Ok(detail) => detail,
        Err(DujiaoError::Api { status: 404, .. }) => return Ok(View::Missing),
        Err(error) => return Err(StepError::PartnerUnavailable(error.to_string())),
    };
    let status = detail
        .status
        .parse::<DujiaoOrderStatus>()
        .map_err(|_| StepError::PartnerUnavailable("unknown dujiao order status".to_owned()))?;
    Ok(View::Found(RemoteOrder {
        upstream_order_id: detail.order_id.to_string(),
        upstream_order_no: Some(detail.order_no.clone()),
        status_word: detail.status.clone(),
        status: status.to_procurement_status(),
        amount: detail.amount_money().ok(),
    }))
}

async fn vending(
    client: &VendingClient,
    sub: &ProcurementOrder,
    upstream_id: &str,
) -> Result<View, StepError> {
    let key = &sub.idempotency_key;
    let machine = key
        .get(key.len().saturating_sub(8)..)
        .and_then(|digits| MachineNo::parse(digits).ok())
        .ok_or_else(|| StepError::invalid("trade id does not end with a machine number"))?;
    let queried = match client.query(&machine, upstream_id).await {
        Ok(queried) => queried,
        Err(VendingError::Api {
            code: VENDING_NOT_FOUND,
            ..
        }) => return Ok(View::Missing),
        Err(error) => return Err(StepError::PartnerUnavailable(error.to_string())),
    };
    let Some(order_status) = queried.status else {
        return Err(StepError::PartnerUnavailable(
            "vending query without a status".to_owned(),
        ));
    };
    // Money that went back (refund, close, revoke) or never came (pay error) outranks the
    // records; otherwise the records decide, as they do for the relayer.
    let records: Vec<RecordStatus> = queried.records.iter().filter_map(|r| r.status).collect();
    let ours = match order_status {
        VendingOrderStatus::Refund
        | VendingOrderStatus::Closed
        | VendingOrderStatus::Revoked
        | VendingOrderStatus::Payerror => order_status.to_order_status(),
        _ => order_status_from_records(&records).unwrap_or(order_status.to_order_status()),
    };
    let priced = queried.records.iter().any(|record| record.price.is_some());
    let amount = priced.then(|| {
        let minor = queried
            .records
            .iter()
            .map(|r| r.price.unwrap_or(0) * i64::from(r.quantity.unwrap_or(1)))
            .sum();
        Money::from_minor(minor, sub.currency)
    });
    Ok(View::Found(RemoteOrder {
        upstream_order_id: upstream_id.to_owned(),
        upstream_order_no: None,
        status_word: serde_json::to_value(order_status)
            .ok()
            .and_then(|word| word.as_str().map(str::to_owned))
            .unwrap_or_default(),
        status: procurement_status_of(ours),
        amount,
    }))
}

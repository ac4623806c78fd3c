//! `GET /api/v1/upstream/orders?created_from=&created_to=&page=&page_size=`: the calling site's
//! orders placed in `[created_from, created_to)`, oldest first.
//!
//! Contract: not part of the Dujiao-Next protocol, which reads orders one id at a time; it is
//! the optional list a downstream reconciler reads to find orders the provider holds that the
//! downstream site lacks (`missing_local`, see `workers/src/reconciler/remote.rs`), so a chain of
//! Switchyard sites reconciles in both directions. Signed like every provider route (the query is
//! not part of what is signed); lists only the caller's own orders; `page_size` is 1–500
//! (default 50). A missing or malformed range is `400 bad_request` in the Dujiao format.

use axum::extract::{Query, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, SecondsFormat, Utc};
use http::StatusCode;
use serde::Deserialize;
use switchyard_partners::dujiao::{DujiaoOrderStatus, OrderPage, OrderSummary};
use switchyard_store::provider_order_list::{self, ListRange, ListedOrder};

use super::auth::{Endpoint, SignedCall};
use super::convert::{decimal, numeric_order_id};
use crate::state::AppState;

/// Largest page served.
const MAX_PAGE_SIZE: u32 = 500;

#[derive(Deserialize)]
pub(crate) struct ListQuery {
    created_from: Option<DateTime<Utc>>,
    created_to: Option<DateTime<Utc>>,
    page: Option<u32>,
    page_size: Option<u32>,
}

/// `GET /api/v1/upstream/orders`.
pub(crate) async fn list(
    State(state): State<AppState>,
    query: Result<Query<ListQuery>, axum::extract::rejection::QueryRejection>,
    call: SignedCall,
) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_order_list");
    let caller = match endpoint.authenticate(&call).await {
        Ok(caller) => caller,
        Err(answer) => return answer,
    };
    let bad = |message: &str| endpoint.reject(StatusCode::BAD_REQUEST, "bad_request", message);
    let Ok(Query(query)) = query else {
        return bad(
            "created_from and created_to must be RFC 3339 times; page and page_size numbers",
        );
    };
    let (Some(from), Some(to)) = (query.created_from, query.created_to) else {
        return bad("created_from and created_to are required");
    };
    if from >= to {
        return bad("created_from must be before created_to");
    }
    let page_size = query.page_size.unwrap_or(50);
    if !(1..=MAX_PAGE_SIZE).contains(&page_size) {
        return bad("page_size must be between 1 and 500");
    }
    let range = ListRange {
        credential_id: caller.credential_id,
        from,
        to,
        page: query.page.unwrap_or(1).max(1),
        page_size,
    };
    let (orders, total) = match provider_order_list::page(&state.pool, range).await {
        Ok(found) => found,
        Err(error) => return endpoint.unavailable(&error),
    };
    endpoint.count("accepted");
    Json(OrderPage {
        ok: true,
        items: orders.iter().map(summary).collect(),
        total,
        page: range.page,
        page_size,
    })
    .into_response()
}

fn summary(listed: &ListedOrder) -> OrderSummary {
    let order = &listed.order;
    OrderSummary {
        order_id: numeric_order_id(&order.order_no),
        order_no: order.order_no.clone(),
        downstream_order_no: listed.downstream_order_no.clone(),
        status: DujiaoOrderStatus::from_order_status(order.status)
            .as_str()
            .to_owned(),
        amount: decimal(order.total_minor, order.currency),
        currency: order.currency,
        created_at: order
            .created_at
            .to_rfc3339_opts(SecondsFormat::Millis, true),
    }
}

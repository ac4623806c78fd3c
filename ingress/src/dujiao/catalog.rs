//! Dujiao-Next provider reads: `ping`, `categories`, `products`, `products/:id` (from Postgres).

use axum::extract::{Path, RawQuery, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use chrono::{DateTime, Utc};
use http::StatusCode;
use serde::Deserialize;
use switchyard_partners::dujiao::wire;
use switchyard_store::catalog::{self, ProductQuery, MAX_PAGE_SIZE};
use switchyard_store::wallets;

use super::auth::{Endpoint, SignedCall};
use super::convert::{decimal, wire_product};
use crate::answer::dujiao_error;
use crate::state::AppState;

/// `POST|GET /api/v1/upstream/ping`: who we think the caller is and its balance.
pub(crate) async fn ping(State(state): State<AppState>, call: SignedCall) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_ping");
    let caller = match endpoint.authenticate(&call).await {
        Ok(caller) => caller,
        Err(refusal) => return refusal,
    };
    let wallet = match wallets::balance(&state.pool, caller.user_id).await {
        Ok(wallet) => wallet,
        Err(error) => return endpoint.unavailable(&error),
    };
    endpoint.count("accepted");
    Json(wire::PingAnswer {
        ok: true,
        site_name: state.config.site_name.clone(),
        protocol_version: "1.0".to_owned(),
        user_id: u64::try_from(caller.user_id).unwrap_or_default(),
        balance: decimal(wallet.balance_minor, wallet.currency),
        currency: wallet.currency,
        member_level: None,
    })
    .into_response()
}

/// `GET /api/v1/upstream/categories`.
pub(crate) async fn categories(State(state): State<AppState>, call: SignedCall) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_categories");
    if let Err(refusal) = endpoint.authenticate(&call).await {
        return refusal;
    }
    let categories = match catalog::categories(&state.pool).await {
        Ok(categories) => categories,
        Err(error) => return endpoint.unavailable(&error),
    };
    endpoint.count("accepted");
    let categories = categories
        .into_iter()
        .map(|category| wire::Category {
            id: u64::try_from(category.id).unwrap_or_default(),
            parent_id: category.parent_id.and_then(|id| u64::try_from(id).ok()),
            slug: category.slug,
            name: serde_json::from_value(category.name).unwrap_or_default(),
            icon: category.icon.unwrap_or_default(),
            sort_order: i64::from(category.sort_order),
        })
        .collect();
    Json(wire::CategoriesAnswer {
        ok: true,
        categories,
    })
    .into_response()
}

/// Query of `GET /products`; every field optional.
#[derive(Debug, Default, Deserialize)]
struct ProductsParams {
    page: Option<u32>,
    page_size: Option<u32>,
    updated_after: Option<String>,
    include_inactive: Option<bool>,
}

/// `GET /api/v1/upstream/products?page=&page_size=&updated_after=&include_inactive=`.
pub(crate) async fn products(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
    call: SignedCall,
) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_products");
    if let Err(refusal) = endpoint.authenticate(&call).await {
        return refusal;
    }
    let bad = |message: &str| endpoint.reject(StatusCode::BAD_REQUEST, "bad_request", message);
    let Ok(params) =
        serde_urlencoded::from_str::<ProductsParams>(query.as_deref().unwrap_or_default())
    else {
        return bad("invalid query parameters");
    };
    let updated_after = match params.updated_after.as_deref().filter(|t| !t.is_empty()) {
        None => None,
        Some(text) => match DateTime::parse_from_rfc3339(text) {
            Ok(at) => Some(at.with_timezone(&Utc)),
            Err(_) => return bad("updated_after must be RFC 3339"),
        },
    };
    let query = ProductQuery {
        page: params.page.unwrap_or(1).max(1),
        page_size: params.page_size.unwrap_or(20).clamp(1, MAX_PAGE_SIZE),
        updated_after,
        include_inactive: params.include_inactive.unwrap_or(false),
    };
    let page = match catalog::products_page(&state.pool, &query).await {
        Ok(page) => page,
        Err(error) => return endpoint.unavailable(&error),
    };
    endpoint.count("accepted");
    Json(wire::ProductPage {
        ok: true,
        items: page.items.iter().map(wire_product).collect(),
        total: u64::try_from(page.total).unwrap_or_default(),
        page: page.page,
        page_size: page.page_size,
    })
    .into_response()
}

/// `GET /api/v1/upstream/products/:id`: inactive → 200 `is_active:false`; unknown or deleted → 404.
pub(crate) async fn product(
    State(state): State<AppState>,
    Path(id): Path<String>,
    call: SignedCall,
) -> Response {
    let endpoint = Endpoint::new(&state, "dujiao_product");
    if let Err(refusal) = endpoint.authenticate(&call).await {
        return refusal;
    }
    let not_found = || {
        dujiao_error(
            StatusCode::NOT_FOUND,
            "product_not_found",
            "product not found",
        )
    };
    let Ok(id) = id.parse::<i64>() else {
        endpoint.count("rejected");
        return not_found();
    };
    match catalog::product(&state.pool, id).await {
        Ok(Some(product)) => {
            endpoint.count("accepted");
            Json(wire::ProductAnswer {
                ok: true,
                product: wire_product(&product),
            })
            .into_response()
        }
        Ok(None) => {
            endpoint.count("rejected");
            not_found()
        }
        Err(error) => endpoint.unavailable(&error),
    }
}

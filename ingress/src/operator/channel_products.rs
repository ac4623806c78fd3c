//! Operator: channel product mappings — which of our SKUs a D-Store `posProductId` or a 58
//! `goodsId` means, per channel connection.
//!
//! Contract: `POST` checks that the SKU exists (404), that the connection exists (404) and is of
//! the channel's kind (400 `invalid`); a second mapping of the same (connection, channel product
//! id) is `409 duplicate`. The ingress reads the mappings on every order (one query per order),
//! so a change applies to the next order at once.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use switchyard_store::channel_products::{
    self, ChannelProduct, ChannelProductFilter, NewChannelProduct,
};
use switchyard_store::orders::Channel;

use super::{problem, store_problem};
use crate::state::AppState;
use switchyard_runtime::operator::{Body, Filters};

fn mapping_json(mapping: &ChannelProduct) -> Value {
    json!({
        "id": mapping.id,
        "channel": mapping.channel.as_str(),
        "connection_id": mapping.connection_id,
        "channel_product_id": mapping.channel_product_id,
        "sku_id": mapping.sku_id,
        "created_at": mapping.created_at,
    })
}

/// `POST /admin/v1/channel-products` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct MappingBody {
    channel: Channel,
    connection_id: i64,
    channel_product_id: String,
    sku_id: i64,
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Body(body): Body<MappingBody>,
) -> Response {
    if channel_products::connection_kind(body.channel).is_none() {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "channel must be dstore or daojia",
        );
    }
    let id = body.channel_product_id.trim();
    if id.is_empty() || id.len() > 200 {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "channel_product_id must be 1 to 200 characters",
        );
    }
    let new = NewChannelProduct {
        channel: body.channel,
        connection_id: body.connection_id,
        channel_product_id: id.to_owned(),
        sku_id: body.sku_id,
    };
    match channel_products::create(&state.pool, &new).await {
        Ok(mapping) => (StatusCode::CREATED, Json(mapping_json(&mapping))).into_response(),
        Err(error) => store_problem(&error),
    }
}

/// `GET /admin/v1/channel-products` filters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    channel: Option<Channel>,
    connection_id: Option<i64>,
    sku_id: Option<i64>,
    channel_product_id: Option<String>,
    limit: Option<i64>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Filters(query): Filters<ListQuery>,
) -> Response {
    let filter = ChannelProductFilter {
        channel: query.channel,
        connection_id: query.connection_id,
        sku_id: query.sku_id,
        channel_product_id: query.channel_product_id,
        limit: query.limit.unwrap_or(100),
    };
    match channel_products::list(&state.pool, &filter).await {
        Ok(items) => Json(json!({ "items": items.iter().map(mapping_json).collect::<Vec<_>>() }))
            .into_response(),
        Err(error) => store_problem(&error),
    }
}

pub(crate) async fn delete(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match channel_products::delete(&state.pool, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => store_problem(&error),
    }
}

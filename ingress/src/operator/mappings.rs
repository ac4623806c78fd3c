//! Operator: SKU → fulfiller mappings one at a time (`/admin/v1/mappings`): create or replace,
//! list with filters, switch on or off. Bulk import is `mapping_import`.
//!
//! Contract: `POST` takes one object with the import's fields and checks it the same way (400
//! `invalid` for a bad field, 404 `not_found` for an unknown SKU or connection, 409 `conflict`
//! for a connection that is not active or of another kind); it creates the SKU's mapping (201)
//! or replaces it (200), and an identical one is left untouched (200). A list is paged by id:
//! pass the answer's `next_after_id` as `after_id` for the next page (`null` on the last).
//! The procurer resolves mappings per order, so a change applies to the next order.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Map, Value};
use switchyard_store::mapping_admin;
use switchyard_store::mapping_list::{self, MappingFilter};
use switchyard_store::mappings::{Fulfiller, FulfillerKind, ProductMapping};

use super::mapping_import::references::Misfit;
use super::mapping_import::{json_rows, load_references, row};
use super::{problem, store_problem};
use crate::state::AppState;
use switchyard_runtime::operator::{Body, Filters};

/// A mapping as the API shows it: the import's fields plus the upstream cache.
pub(crate) fn mapping_json(mapping: &ProductMapping) -> Value {
    let mut shown = json!({
        "id": mapping.id,
        "sku_id": mapping.sku_id,
        "fulfiller": mapping.fulfiller.kind().as_str(),
        "connection_id": mapping.fulfiller.connection_id(),
        "is_active": mapping.is_active,
        "upstream_price_minor": mapping.upstream_price_minor,
        "upstream_stock": mapping.upstream_stock,
        "synced_at": mapping.synced_at,
    });
    let target = match &mapping.fulfiller {
        Fulfiller::LocalStock => json!({}),
        Fulfiller::DujiaoUpstream {
            upstream_product_id,
            upstream_sku_id,
            ..
        } => json!({
            "upstream_product_id": upstream_product_id, "upstream_sku_id": upstream_sku_id,
        }),
        Fulfiller::Vending {
            machine_no,
            product_id,
            ..
        } => json!({ "machine_no": machine_no, "vending_product_id": product_id }),
        Fulfiller::WdtErp {
            spec_no, goods_no, ..
        } => json!({ "spec_no": spec_no, "goods_no": goods_no }),
    };
    if let (Some(shown), Value::Object(target)) = (shown.as_object_mut(), target) {
        shown.extend(target);
    }
    shown
}

pub(crate) async fn create(
    State(state): State<AppState>,
    Body(body): Body<Map<String, Value>>,
) -> Response {
    let spec = match json_rows::row(1, &body).and_then(|raw| row::spec(&raw)) {
        Ok(spec) => spec,
        Err(reason) => return problem(StatusCode::BAD_REQUEST, "invalid", &reason),
    };
    let references = match load_references(&state.pool, std::iter::once(&spec)).await {
        Ok(references) => references,
        Err(error) => return store_problem(&error),
    };
    match references.check(&spec) {
        Ok(()) => {}
        Err(Misfit::Missing(reason)) => {
            return problem(StatusCode::NOT_FOUND, "not_found", &reason)
        }
        Err(Misfit::Conflict(reason)) => return problem(StatusCode::CONFLICT, "conflict", &reason),
    }
    let applied = match mapping_admin::apply(&state.pool, std::slice::from_ref(&spec)).await {
        Ok(applied) => applied,
        Err(error) => return store_problem(&error),
    };
    match mapping_list::for_sku(&state.pool, spec.sku_id).await {
        Ok(Some(mapping)) => {
            let status = if applied.created > 0 {
                StatusCode::CREATED
            } else {
                StatusCode::OK
            };
            (status, Json(mapping_json(&mapping))).into_response()
        }
        Ok(None) => problem(
            StatusCode::CONFLICT,
            "conflict",
            "the mapping changed while it was written; try again",
        ),
        Err(error) => store_problem(&error),
    }
}

/// `GET /admin/v1/mappings` filters.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ListQuery {
    connection_id: Option<i64>,
    fulfiller: Option<FulfillerKind>,
    active: Option<bool>,
    sku_id: Option<i64>,
    after_id: Option<i64>,
    limit: Option<i64>,
}

pub(crate) async fn list(
    State(state): State<AppState>,
    Filters(query): Filters<ListQuery>,
) -> Response {
    let filter = MappingFilter {
        connection_id: query.connection_id,
        fulfiller: query.fulfiller,
        active: query.active,
        sku_id: query.sku_id,
        after_id: query.after_id,
        limit: query.limit.unwrap_or(100).clamp(1, 1000),
    };
    match mapping_list::list(&state.pool, &filter).await {
        Ok(page) => {
            let full = i64::try_from(page.len()).unwrap_or(i64::MAX) == filter.limit;
            let next_after_id = page.last().filter(|_| full).map(|mapping| mapping.id);
            Json(json!({
                "mappings": page.iter().map(mapping_json).collect::<Vec<_>>(),
                "next_after_id": next_after_id,
            }))
            .into_response()
        }
        Err(error) => store_problem(&error),
    }
}

/// `{active}` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Active {
    active: bool,
}

pub(crate) async fn set_active(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<Active>,
) -> Response {
    match mapping_list::set_active(&state.pool, id, body.active).await {
        Ok(mapping) => Json(mapping_json(&mapping)).into_response(),
        Err(error) => store_problem(&error),
    }
}

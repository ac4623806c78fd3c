//! Operator: categories, products, SKUs and stock served by the Dujiao-Next provider API.

use axum::extract::{Path, State};
use axum::response::{IntoResponse, Response};
use axum::Json;
use http::StatusCode;
use serde::Deserialize;
use serde_json::{json, Value};
use switchyard_store::catalog::{
    self, FulfillmentType, NewCategory, NewProduct, NewSku, Product, Sku,
};
use switchyard_store::{stock, Currency};

use super::{problem, store_problem};
use crate::state::AppState;
use switchyard_runtime::operator::Body;

fn empty_object() -> Value {
    json!({})
}

/// `POST /admin/v1/categories` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct CategoryBody {
    slug: String,
    #[serde(default = "empty_object")]
    name: Value,
    #[serde(default)]
    parent_id: Option<i64>,
    #[serde(default)]
    icon: Option<String>,
    #[serde(default)]
    sort_order: i32,
}

pub(crate) async fn create_category(
    State(state): State<AppState>,
    Body(body): Body<CategoryBody>,
) -> Response {
    let new = NewCategory {
        parent_id: body.parent_id,
        slug: body.slug,
        name: body.name,
        icon: body.icon,
        sort_order: body.sort_order,
    };
    match catalog::create_category(&state.pool, &new).await {
        Ok(category) => (
            StatusCode::CREATED,
            Json(json!({ "id": category.id, "slug": category.slug })),
        )
            .into_response(),
        Err(error) => store_problem(&error),
    }
}

/// `POST /admin/v1/products` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct ProductBody {
    slug: String,
    #[serde(default = "empty_object")]
    title: Value,
    #[serde(default = "empty_object")]
    description: Value,
    #[serde(default)]
    images: Vec<String>,
    #[serde(default)]
    category_id: Option<i64>,
    #[serde(default)]
    fulfillment_type: Option<FulfillmentType>,
    #[serde(default)]
    is_active: Option<bool>,
}

fn sku_json(sku: &Sku) -> Value {
    json!({
        "id": sku.id,
        "product_id": sku.product_id,
        "sku_code": sku.sku_code,
        "price_minor": sku.price_minor,
        "currency": sku.currency.as_str(),
        "stock_quantity": sku.stock_quantity,
        "stock_status": sku.stock_status.as_str(),
        "is_active": sku.is_active,
    })
}

fn product_json(product: &Product) -> Value {
    json!({
        "id": product.id,
        "slug": product.slug,
        "title": product.title,
        "category_id": product.category_id,
        "fulfillment_type": product.fulfillment_type.as_str(),
        "is_active": product.is_active,
        "skus": product.skus.iter().map(sku_json).collect::<Vec<_>>(),
    })
}

pub(crate) async fn create_product(
    State(state): State<AppState>,
    Body(body): Body<ProductBody>,
) -> Response {
    let new = NewProduct {
        category_id: body.category_id,
        slug: body.slug,
        title: body.title,
        description: body.description,
        images: body.images,
        fulfillment_type: body.fulfillment_type.unwrap_or(FulfillmentType::Auto),
        is_active: body.is_active.unwrap_or(true),
    };
    match catalog::create_product(&state.pool, &new).await {
        Ok(product) => (StatusCode::CREATED, Json(product_json(&product))).into_response(),
        Err(error) => store_problem(&error),
    }
}

pub(crate) async fn show_product(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match catalog::product(&state.pool, id).await {
        Ok(Some(product)) => Json(product_json(&product)).into_response(),
        Ok(None) => problem(StatusCode::NOT_FOUND, "not_found", "product not found"),
        Err(error) => store_problem(&error),
    }
}

pub(crate) async fn delete_product(State(state): State<AppState>, Path(id): Path<i64>) -> Response {
    match catalog::delete_product(&state.pool, id).await {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(error) => store_problem(&error),
    }
}

/// `{active}` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Active {
    active: bool,
}

pub(crate) async fn set_product_active(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<Active>,
) -> Response {
    match catalog::set_product_active(&state.pool, id, body.active).await {
        Ok(()) => Json(json!({ "id": id, "is_active": body.active })).into_response(),
        Err(error) => store_problem(&error),
    }
}

/// `POST /admin/v1/skus` body.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct SkuBody {
    product_id: i64,
    sku_code: String,
    price_minor: i64,
    currency: String,
    #[serde(default = "unlimited")]
    stock_quantity: i32,
    #[serde(default = "empty_object")]
    spec_values: Value,
    #[serde(default)]
    is_active: Option<bool>,
}

fn unlimited() -> i32 {
    -1
}

pub(crate) async fn create_sku(
    State(state): State<AppState>,
    Body(body): Body<SkuBody>,
) -> Response {
    let Ok(currency) = Currency::parse(&body.currency) else {
        return problem(
            StatusCode::BAD_REQUEST,
            "bad_request",
            "currency must be an ISO-4217 code",
        );
    };
    let new = NewSku {
        product_id: body.product_id,
        sku_code: body.sku_code,
        spec_values: body.spec_values,
        price_minor: body.price_minor,
        currency,
        stock_quantity: body.stock_quantity,
        is_active: body.is_active.unwrap_or(true),
    };
    match catalog::create_sku(&state.pool, &new).await {
        Ok(sku) => (StatusCode::CREATED, Json(sku_json(&sku))).into_response(),
        Err(error) => store_problem(&error),
    }
}

/// `{quantity}` body (-1 = unlimited).
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
pub(crate) struct Stock {
    quantity: i32,
}

pub(crate) async fn set_stock(
    State(state): State<AppState>,
    Path(id): Path<i64>,
    Body(body): Body<Stock>,
) -> Response {
    match stock::set_quantity(&state.pool, id, body.quantity).await {
        Ok(sku) => Json(sku_json(&sku)).into_response(),
        Err(error) => store_problem(&error),
    }
}

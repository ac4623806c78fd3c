//! The simulated site's catalog changes and page log (`/_control/catalog/...`, unsigned): tests
//! change stock, delete products, generate a large catalog, and read which product pages were
//! fetched (to check resumption and pacing).

use std::collections::{BTreeMap, HashMap};
use std::sync::Arc;

use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{delete, get, post};
use axum::{Json, Router};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use switchyard_partners::dujiao::wire::{FulfillmentType, Product, Sku, StockStatus};

use super::state::SiteState;

/// One `GET /products` the site answered.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PageFetch {
    /// Page number asked for.
    pub page: u32,
    /// `updated_after` sent, if any.
    pub updated_after: Option<String>,
    /// When, epoch ms.
    pub at_ms: i64,
}

/// Per-product change times and the page log.
#[derive(Debug, Default)]
pub(crate) struct CatalogLog {
    pub updated_at: HashMap<u64, DateTime<Utc>>,
    pub pages: Vec<PageFetch>,
}

#[derive(Deserialize)]
struct Quantity {
    quantity: i64,
}

#[derive(Deserialize)]
struct Generate {
    count: u64,
}

pub(crate) fn routes(state: Arc<SiteState>) -> Router {
    Router::new()
        .route("/_control/catalog/skus/{id}/stock", post(set_stock))
        .route("/_control/catalog/products/{id}", delete(remove))
        .route("/_control/catalog/generate", post(generate))
        .route("/_control/catalog/pages", get(pages))
        .with_state(state)
}

/// The stock level the protocol derives from a quantity.
pub fn stock_status(quantity: i64) -> StockStatus {
    match quantity {
        q if q < 0 => StockStatus::Unlimited,
        0 => StockStatus::OutOfStock,
        1..=5 => StockStatus::LowStock,
        _ => StockStatus::InStock,
    }
}

/// Sets SKU `id`'s stock (its product counts as changed now); false for an unknown SKU.
pub(crate) fn set_sku_stock(site: &SiteState, id: u64, quantity: i64) -> bool {
    let mut inner = site.lock();
    let mut changed = None;
    for product in &mut inner.products {
        if let Some(sku) = product.skus.iter_mut().find(|sku| sku.id == id) {
            sku.stock_quantity = quantity;
            sku.stock_status = stock_status(quantity);
            changed = Some(product.id);
        }
    }
    let Some(product) = changed else {
        return false;
    };
    inner.catalog.updated_at.insert(product, Utc::now());
    true
}

/// Deletes product `id` (it then answers 404); false when unknown.
pub(crate) fn remove_product(site: &SiteState, id: u64) -> bool {
    let mut inner = site.lock();
    let before = inner.products.len();
    inner.products.retain(|product| product.id != id);
    inner.products.len() < before
}

/// Replaces the catalog with `count` active products: product `n` has one SKU `100000 + n`,
/// priced 1.00, with `n % 100` units.
pub(crate) fn generate_catalog(site: &SiteState, count: u64) {
    let products = (1..=count).map(generated).collect();
    let mut inner = site.lock();
    inner.products = products;
    inner.catalog.updated_at.clear();
}

fn answer(done: bool) -> StatusCode {
    if done {
        StatusCode::NO_CONTENT
    } else {
        StatusCode::NOT_FOUND
    }
}

async fn set_stock(
    State(site): State<Arc<SiteState>>,
    Path(id): Path<u64>,
    Json(body): Json<Quantity>,
) -> StatusCode {
    answer(set_sku_stock(&site, id, body.quantity))
}

async fn remove(State(site): State<Arc<SiteState>>, Path(id): Path<u64>) -> StatusCode {
    answer(remove_product(&site, id))
}

async fn generate(State(site): State<Arc<SiteState>>, Json(body): Json<Generate>) -> StatusCode {
    generate_catalog(&site, body.count);
    StatusCode::NO_CONTENT
}

/// Product `n` of a generated catalog.
pub fn generated(n: u64) -> Product {
    let quantity = i64::try_from(n % 100).unwrap_or_default();
    Product {
        id: n,
        slug: format!("generated-{n}"),
        title: BTreeMap::from([("en".to_owned(), format!("Product {n}"))]),
        description: BTreeMap::new(),
        images: Vec::new(),
        price_amount: "1.00".into(),
        fulfillment_type: FulfillmentType::Auto,
        is_active: true,
        category_id: Some(1),
        skus: vec![Sku {
            id: 100_000 + n,
            sku_code: format!("G-{n}"),
            spec_values: BTreeMap::new(),
            price_amount: "1.00".into(),
            stock_status: stock_status(quantity),
            stock_quantity: quantity,
            is_active: true,
        }],
    }
}

async fn pages(State(site): State<Arc<SiteState>>) -> Json<Vec<PageFetch>> {
    Json(site.lock().catalog.pages.clone())
}

//! Categories, products and SKUs as the Dujiao-Next provider API serves them.
//!
//! Contract: a deleted product (`deleted_at` set) is invisible here — [`product`] returns `None`
//! (404 `product_not_found`) — while an inactive one is returned with `is_active = false`.
//! [`products_page`] is ordered by id, filters on `updated_after` (a SKU change moves its
//! product's `updated_at`), and clamps `page_size` to 1..=50 as the protocol requires.

use chrono::{DateTime, Utc};
use sqlx::{PgExecutor, PgPool};

use crate::error::{StoreError, StoreResult};
use switchyard_domain::text_enum;
use switchyard_domain::Currency;

/// Largest page the provider API serves.
pub const MAX_PAGE_SIZE: u32 = 50;

text_enum! {
    /// How a product is delivered.
    FulfillmentType {
        /// Delivered automatically (card codes, upstream delivery).
        Auto => "auto",
        /// Delivered by a person.
        Manual => "manual",
    }
}

text_enum! {
    /// Stock level derived by the database from `stock_quantity`.
    StockStatus {
        /// `stock_quantity = -1`.
        Unlimited => "unlimited",
        /// Above the low-stock threshold.
        InStock => "in_stock",
        /// At or below the low-stock threshold.
        LowStock => "low_stock",
        /// Zero.
        OutOfStock => "out_of_stock",
    }
}

/// A product category.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Category {
    /// Primary key.
    pub id: i64,
    /// Parent category.
    pub parent_id: Option<i64>,
    /// Unique slug.
    pub slug: String,
    /// Locale → name.
    pub name: serde_json::Value,
    /// Icon URL.
    pub icon: Option<String>,
    /// Display order.
    pub sort_order: i32,
}

/// A product with its SKUs.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Product {
    /// Primary key.
    pub id: i64,
    /// Category.
    pub category_id: Option<i64>,
    /// Unique slug.
    pub slug: String,
    /// Locale → title.
    pub title: serde_json::Value,
    /// Locale → description.
    pub description: serde_json::Value,
    /// Image URLs.
    pub images: Vec<String>,
    /// Auto or manual delivery.
    pub fulfillment_type: FulfillmentType,
    /// Whether it can be ordered.
    pub is_active: bool,
    /// Last change of the product or one of its SKUs.
    pub updated_at: DateTime<Utc>,
    /// Its SKUs, by id.
    #[sqlx(skip)]
    pub skus: Vec<Sku>,
}

/// A stock keeping unit.
#[derive(Debug, Clone, PartialEq, sqlx::FromRow)]
pub struct Sku {
    /// Primary key.
    pub id: i64,
    /// Owning product.
    pub product_id: i64,
    /// Code unique within the product.
    pub sku_code: String,
    /// Spec name → value.
    pub spec_values: serde_json::Value,
    /// Unit price in minor units.
    pub price_minor: i64,
    /// Price currency.
    pub currency: Currency,
    /// Units on hand; -1 = unlimited.
    pub stock_quantity: i32,
    /// Derived stock level.
    pub stock_status: StockStatus,
    /// Whether it can be ordered.
    pub is_active: bool,
    /// Last change.
    pub updated_at: DateTime<Utc>,
}

/// A new category.
#[derive(Debug, Clone)]
pub struct NewCategory {
    /// Parent category.
    pub parent_id: Option<i64>,
    /// Unique slug.
    pub slug: String,
    /// Locale → name (a JSON object).
    pub name: serde_json::Value,
    /// Icon URL.
    pub icon: Option<String>,
    /// Display order.
    pub sort_order: i32,
}

/// A new product (add SKUs with [`create_sku`]).
#[derive(Debug, Clone)]
pub struct NewProduct {
    /// Category.
    pub category_id: Option<i64>,
    /// Unique slug.
    pub slug: String,
    /// Locale → title (a JSON object).
    pub title: serde_json::Value,
    /// Locale → description (a JSON object).
    pub description: serde_json::Value,
    /// Image URLs.
    pub images: Vec<String>,
    /// Auto or manual delivery.
    pub fulfillment_type: FulfillmentType,
    /// Whether it can be ordered.
    pub is_active: bool,
}

/// A new SKU.
#[derive(Debug, Clone)]
pub struct NewSku {
    /// Owning product.
    pub product_id: i64,
    /// Code unique within the product.
    pub sku_code: String,
    /// Spec name → value (a JSON object).
    pub spec_values: serde_json::Value,
    /// Unit price in minor units.
    pub price_minor: i64,
    /// Price currency.
    pub currency: Currency,
    /// Units on hand; -1 = unlimited.
    pub stock_quantity: i32,
    /// Whether it can be ordered.
    pub is_active: bool,
}

/// Which page of products to read.
#[derive(Debug, Clone, Default)]
pub struct ProductQuery {
    /// 1-based page number (0 is treated as 1).
    pub page: u32,
    /// Items per page, clamped to 1..=50.
    pub page_size: u32,
    /// Only products changed strictly after this instant.
    pub updated_after: Option<DateTime<Utc>>,
    /// Include inactive products.
    pub include_inactive: bool,
}

/// One page of products.
#[derive(Debug, Clone, PartialEq)]
pub struct ProductPage {
    /// The products on this page, with their SKUs.
    pub items: Vec<Product>,
    /// Matching products on all pages.
    pub total: i64,
    /// The page served.
    pub page: u32,
    /// The page size used.
    pub page_size: u32,
}

pub(crate) const SKU_COLUMNS: &str =
    "id, product_id, sku_code, spec_values, price_minor, currency, \
                                      stock_quantity, stock_status, is_active, updated_at";
const PRODUCT_COLUMNS: &str = "id, category_id, slug, title, description, images, \
                               fulfillment_type, is_active, updated_at";

/// Stores a category.
pub async fn create_category(db: impl PgExecutor<'_>, new: &NewCategory) -> StoreResult<Category> {
    let category = sqlx::query_as::<_, Category>(
        "INSERT INTO categories (parent_id, slug, name, icon, sort_order) VALUES ($1, $2, $3, $4, $5)
         RETURNING id, parent_id, slug, name, icon, sort_order",
    )
    .bind(new.parent_id)
    .bind(&new.slug)
    .bind(&new.name)
    .bind(&new.icon)
    .bind(new.sort_order)
    .fetch_one(db)
    .await?;
    Ok(category)
}

/// Every category, by sort order then id.
pub async fn categories(db: impl PgExecutor<'_>) -> StoreResult<Vec<Category>> {
    let categories = sqlx::query_as::<_, Category>(
        "SELECT id, parent_id, slug, name, icon, sort_order FROM categories ORDER BY sort_order, id",
    )
    .fetch_all(db)
    .await?;
    Ok(categories)
}

/// Stores a product without SKUs.
pub async fn create_product(db: impl PgExecutor<'_>, new: &NewProduct) -> StoreResult<Product> {
    let product = sqlx::query_as::<_, Product>(&format!(
        "INSERT INTO products (category_id, slug, title, description, images, fulfillment_type, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {PRODUCT_COLUMNS}"
    ))
    .bind(new.category_id)
    .bind(&new.slug)
    .bind(&new.title)
    .bind(&new.description)
    .bind(&new.images)
    .bind(new.fulfillment_type)
    .bind(new.is_active)
    .fetch_one(db)
    .await?;
    Ok(product)
}

/// Stores a SKU.
pub async fn create_sku(db: impl PgExecutor<'_>, new: &NewSku) -> StoreResult<Sku> {
    let sku = sqlx::query_as::<_, Sku>(&format!(
        "INSERT INTO skus (product_id, sku_code, spec_values, price_minor, currency, stock_quantity, is_active)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING {SKU_COLUMNS}"
    ))
    .bind(new.product_id)
    .bind(&new.sku_code)
    .bind(&new.spec_values)
    .bind(new.price_minor)
    .bind(new.currency)
    .bind(new.stock_quantity)
    .bind(new.is_active)
    .fetch_one(db)
    .await?;
    Ok(sku)
}

/// Switches a product on or off.
pub async fn set_product_active(db: impl PgExecutor<'_>, id: i64, active: bool) -> StoreResult<()> {
    let updated =
        sqlx::query("UPDATE products SET is_active = $2 WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .bind(active)
            .execute(db)
            .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("product"));
    }
    Ok(())
}

/// Marks a product deleted (it then answers 404 but stays for old orders).
pub async fn delete_product(db: impl PgExecutor<'_>, id: i64) -> StoreResult<()> {
    let updated =
        sqlx::query("UPDATE products SET deleted_at = now() WHERE id = $1 AND deleted_at IS NULL")
            .bind(id)
            .execute(db)
            .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("product"));
    }
    Ok(())
}

/// One page of products with their SKUs (inactive SKUs only when `include_inactive`).
pub async fn products_page(pool: &PgPool, query: &ProductQuery) -> StoreResult<ProductPage> {
    let page = query.page.max(1);
    let page_size = query.page_size.clamp(1, MAX_PAGE_SIZE);
    let filter = "deleted_at IS NULL AND ($1 OR is_active) \
                  AND ($2::timestamptz IS NULL OR updated_at > $2)";
    let total: i64 = sqlx::query_scalar(&format!("SELECT count(*) FROM products WHERE {filter}"))
        .bind(query.include_inactive)
        .bind(query.updated_after)
        .fetch_one(pool)
        .await?;
    let mut items = sqlx::query_as::<_, Product>(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE {filter} ORDER BY id LIMIT $3 OFFSET $4"
    ))
    .bind(query.include_inactive)
    .bind(query.updated_after)
    .bind(i64::from(page_size))
    .bind(i64::from(page - 1) * i64::from(page_size))
    .fetch_all(pool)
    .await?;
    attach_skus(pool, &mut items, query.include_inactive).await?;
    Ok(ProductPage {
        items,
        total,
        page,
        page_size,
    })
}

/// The product with id `id` and all its SKUs; `None` when unknown or deleted.
pub async fn product(pool: &PgPool, id: i64) -> StoreResult<Option<Product>> {
    let found = sqlx::query_as::<_, Product>(&format!(
        "SELECT {PRODUCT_COLUMNS} FROM products WHERE id = $1 AND deleted_at IS NULL"
    ))
    .bind(id)
    .fetch_optional(pool)
    .await?;
    let Some(product) = found else {
        return Ok(None);
    };
    let mut items = vec![product];
    attach_skus(pool, &mut items, true).await?;
    Ok(items.pop())
}

/// The SKU with id `id`.
pub async fn sku(db: impl PgExecutor<'_>, id: i64) -> StoreResult<Option<Sku>> {
    let sku = sqlx::query_as::<_, Sku>(&format!("SELECT {SKU_COLUMNS} FROM skus WHERE id = $1"))
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(sku)
}

async fn attach_skus(
    pool: &PgPool,
    products: &mut [Product],
    include_inactive: bool,
) -> StoreResult<()> {
    let ids: Vec<i64> = products.iter().map(|product| product.id).collect();
    let skus = sqlx::query_as::<_, Sku>(&format!(
        "SELECT {SKU_COLUMNS} FROM skus WHERE product_id = ANY($1) AND ($2 OR is_active) ORDER BY id"
    ))
    .bind(&ids)
    .bind(include_inactive)
    .fetch_all(pool)
    .await?;
    for sku in skus {
        if let Some(product) = products
            .iter_mut()
            .find(|product| product.id == sku.product_id)
        {
            product.skus.push(sku);
        }
    }
    Ok(())
}

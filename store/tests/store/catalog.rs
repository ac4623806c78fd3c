//! Catalog pages, stock reservations and product mappings.

use serde_json::json;
use switchyard_store::catalog::{
    self, FulfillmentType, NewProduct, NewSku, ProductQuery, StockStatus,
};
use switchyard_store::connections::{self, ConnectionKind, NewConnection};
use switchyard_store::mappings::{self, Fulfiller};
use switchyard_store::{stock, Currency, StoreError};
use switchyard_testkit::database::TestDatabase;
use uuid::Uuid;

use crate::support::{database, secret_box};

pub async fn product_with_sku(
    db: &TestDatabase,
    slug: &str,
    price_minor: i64,
    stock_quantity: i32,
) -> (i64, i64) {
    let product = catalog::create_product(
        db.pool(),
        &NewProduct {
            category_id: None,
            slug: slug.into(),
            title: json!({"en": slug}),
            description: json!({}),
            images: vec![],
            fulfillment_type: FulfillmentType::Auto,
            is_active: true,
        },
    )
    .await
    .expect("product");
    let sku = catalog::create_sku(
        db.pool(),
        &NewSku {
            product_id: product.id,
            sku_code: "default".into(),
            spec_values: json!({}),
            price_minor,
            currency: Currency::CNY,
            stock_quantity,
            is_active: true,
        },
    )
    .await
    .expect("sku");
    (product.id, sku.id)
}

#[tokio::test]
async fn products_page_filters_on_updated_after_and_hides_deleted_products() {
    let db = database().await;
    let (first, _) = product_with_sku(&db, "first", 100, -1).await;
    let (second, second_sku) = product_with_sku(&db, "second", 200, 10).await;
    let (third, _) = product_with_sku(&db, "third", 300, 0).await;

    let page = catalog::products_page(
        db.pool(),
        &ProductQuery {
            page: 1,
            page_size: 2,
            ..Default::default()
        },
    )
    .await
    .expect("page");
    assert_eq!(page.total, 3);
    assert_eq!(
        page.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![first, second]
    );
    assert_eq!(page.items[0].skus[0].stock_status, StockStatus::Unlimited);
    assert_eq!(page.items[1].skus[0].stock_status, StockStatus::InStock);
    let clamped = catalog::products_page(
        db.pool(),
        &ProductQuery {
            page: 1,
            page_size: 500,
            ..Default::default()
        },
    )
    .await
    .expect("page");
    assert_eq!(clamped.page_size, 50);

    let cutoff: chrono::DateTime<chrono::Utc> =
        sqlx::query_scalar("SELECT max(updated_at) FROM products")
            .fetch_one(db.pool())
            .await
            .expect("cutoff");
    stock::set_quantity(db.pool(), second_sku, 3)
        .await
        .expect("stock change");
    let changed = catalog::products_page(
        db.pool(),
        &ProductQuery {
            page: 1,
            page_size: 50,
            updated_after: Some(cutoff),
            include_inactive: false,
        },
    )
    .await
    .expect("page");
    assert_eq!(
        changed.items.iter().map(|p| p.id).collect::<Vec<_>>(),
        vec![second],
        "a SKU change moves its product"
    );
    assert_eq!(changed.items[0].skus[0].stock_status, StockStatus::LowStock);

    catalog::set_product_active(db.pool(), first, false)
        .await
        .expect("deactivate");
    let inactive = catalog::product(db.pool(), first)
        .await
        .expect("get")
        .expect("still served");
    assert!(!inactive.is_active);
    let active_only = catalog::products_page(
        db.pool(),
        &ProductQuery {
            page: 1,
            page_size: 50,
            ..Default::default()
        },
    )
    .await
    .expect("page");
    assert_eq!(active_only.total, 2);

    catalog::delete_product(db.pool(), third)
        .await
        .expect("delete");
    assert!(
        catalog::product(db.pool(), third)
            .await
            .expect("get")
            .is_none(),
        "deleted answers 404"
    );
    assert!(matches!(
        catalog::delete_product(db.pool(), third).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn stock_reservations_are_idempotent_and_refuse_overselling() {
    let db = database().await;
    let (_, sku) = product_with_sku(&db, "cards", 100, 5).await;
    let (_, unlimited) = product_with_sku(&db, "unlimited", 100, -1).await;
    let order = Uuid::now_v7();
    sqlx::query("INSERT INTO orders (id, channel, channel_order_id, total_minor, currency) VALUES ($1, 'operator', 'o-1', 0, 'CNY')")
        .bind(order)
        .execute(db.pool())
        .await
        .expect("order");
    let mut conn = db.pool().acquire().await.expect("connection");

    assert!(matches!(
        stock::check(db.pool(), sku, 6).await,
        Err(StoreError::InsufficientStock)
    ));
    assert!(matches!(
        stock::check(db.pool(), 9_999, 1).await,
        Err(StoreError::SkuUnavailable)
    ));
    stock::reserve(&mut conn, order, sku, 3)
        .await
        .expect("reserve");
    stock::reserve(&mut conn, order, sku, 3)
        .await
        .expect("repeat is a no-op");
    let remaining = catalog::sku(db.pool(), sku)
        .await
        .expect("sku")
        .expect("exists")
        .stock_quantity;
    assert_eq!(remaining, 2);

    let other = Uuid::now_v7();
    sqlx::query("INSERT INTO orders (id, channel, channel_order_id, total_minor, currency) VALUES ($1, 'operator', 'o-2', 0, 'CNY')")
        .bind(other)
        .execute(db.pool())
        .await
        .expect("order");
    assert!(matches!(
        stock::reserve(&mut conn, other, sku, 3).await,
        Err(StoreError::InsufficientStock)
    ));
    let reservations: i64 =
        sqlx::query_scalar("SELECT count(*) FROM stock_reservations WHERE order_id = $1")
            .bind(other)
            .fetch_one(db.pool())
            .await
            .expect("count");
    assert_eq!(reservations, 0, "a refused reservation leaves nothing");

    stock::reserve(&mut conn, other, unlimited, 1_000)
        .await
        .expect("unlimited");
    assert_eq!(
        catalog::sku(db.pool(), unlimited)
            .await
            .expect("sku")
            .expect("exists")
            .stock_quantity,
        -1
    );

    assert!(stock::release(&mut conn, order, sku)
        .await
        .expect("release"));
    assert!(
        !stock::release(&mut conn, order, sku)
            .await
            .expect("second release"),
        "never returns stock twice"
    );
    assert_eq!(
        catalog::sku(db.pool(), sku)
            .await
            .expect("sku")
            .expect("exists")
            .stock_quantity,
        5
    );
    assert!(!stock::consume(db.pool(), order, sku)
        .await
        .expect("consume after release"));
}

#[tokio::test]
async fn mappings_resolve_skus_to_fulfillers() {
    let db = database().await;
    let secrets = secret_box(5);
    let upstream = connections::create(
        db.pool(),
        &secrets,
        &NewConnection::new(
            ConnectionKind::DujiaoUpstream,
            "site-b",
            "http://127.0.0.1:9",
        ),
    )
    .await
    .expect("connection");
    let vending = connections::create(
        db.pool(),
        &secrets,
        &NewConnection::new(ConnectionKind::Vending, "machine", "http://127.0.0.1:9"),
    )
    .await
    .expect("connection");
    let (_, local) = product_with_sku(&db, "local", 100, 5).await;
    let (_, mapped) = product_with_sku(&db, "mapped", 100, -1).await;
    let (_, dispensed) = product_with_sku(&db, "drink", 100, -1).await;

    let to_upstream = Fulfiller::DujiaoUpstream {
        connection_id: upstream.id,
        upstream_product_id: Some(7),
        upstream_sku_id: 70,
    };
    mappings::set(db.pool(), mapped, &to_upstream)
        .await
        .expect("map upstream");
    let to_machine = Fulfiller::Vending {
        connection_id: vending.id,
        machine_no: "12345678".into(),
        product_id: "p1".into(),
    };
    mappings::set(db.pool(), dispensed, &to_machine)
        .await
        .expect("map vending");

    let resolved = mappings::resolve_many(db.pool(), &[local, mapped, dispensed])
        .await
        .expect("resolve");
    assert_eq!(resolved[&local], Fulfiller::LocalStock);
    assert_eq!(resolved[&mapped], to_upstream);
    assert_eq!(resolved[&dispensed], to_machine);

    let wrong_kind = Fulfiller::WdtErp {
        connection_id: upstream.id,
        spec_no: Some("S1".into()),
        goods_no: None,
    };
    assert!(matches!(
        mappings::set(db.pool(), local, &wrong_kind).await,
        Err(StoreError::WrongConnectionKind)
    ));
    let bad_machine = Fulfiller::Vending {
        connection_id: vending.id,
        machine_no: "12".into(),
        product_id: "p1".into(),
    };
    assert!(matches!(
        mappings::set(db.pool(), local, &bad_machine).await,
        Err(StoreError::Constraint { .. })
    ));

    // Nothing switches mappings off yet but an operator's SQL; resolving must honour it.
    sqlx::query("UPDATE product_mappings SET is_active = false WHERE sku_id = $1")
        .bind(mapped)
        .execute(db.pool())
        .await
        .expect("switch off");
    assert!(matches!(
        mappings::resolve(db.pool(), mapped).await,
        Err(StoreError::SkuUnavailable)
    ));
}

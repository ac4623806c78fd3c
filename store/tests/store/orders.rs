//! Orders and the Dujiao-Next provider order path.

use switchyard_store::orders::{self, Channel, NewOrder, NewOrderItem, OrderContact, OrderStatus};
use switchyard_store::provider_orders::{self, ProviderOrder};
use switchyard_store::{catalog, credentials, wallets, Currency, Inserted, StoreError};
use uuid::Uuid;

use crate::catalog::product_with_sku;
use crate::support::{contact_phone, database, funded_user, ledger_entries, secret_box};

fn daojia_order(channel_order_id: &str) -> NewOrder {
    NewOrder {
        id: Uuid::now_v7(),
        channel: Channel::Daojia,
        channel_order_id: channel_order_id.into(),
        source_credential_id: None,
        source_connection_id: None,
        total_minor: 5_000,
        currency: Currency::CNY,
        callback_url: None,
        trace_id: None,
        items: vec![NewOrderItem {
            sku_id: None,
            channel_item_id: Some("goods-1".into()),
            title: Some("cleaning".into()),
            quantity: 1,
            unit_price_minor: 5_000,
            manual_form_data: None,
        }],
        contact: Some(OrderContact {
            contact_phone: Some("13800000000".into()),
            service_address: Some("1 Example Road".into()),
            details: None,
        }),
    }
}

#[tokio::test]
async fn a_repeated_push_finds_the_first_order() {
    let db = database().await;
    let mut conn = db.pool().acquire().await.expect("connection");
    let first = orders::insert(&mut conn, &daojia_order("58-1"))
        .await
        .expect("insert");
    assert!(first.is_created());
    let repeat = orders::insert(&mut conn, &daojia_order("58-1"))
        .await
        .expect("repeat");
    assert!(matches!(&repeat, Inserted::Existing(order) if order.id == first.get().id));
    let order = first.into_inner();
    assert_eq!(order.status, OrderStatus::Accepted);
    assert!(order.order_no.starts_with("SY"));
    assert_eq!(
        orders::items(db.pool(), order.id)
            .await
            .expect("items")
            .len(),
        1,
        "no second set of lines"
    );

    assert_eq!(
        contact_phone(&db, order.id).await,
        Some(Some("13800000000".to_owned()))
    );
    let printed = format!("{:?}", daojia_order("x"));
    assert!(
        !printed.contains("13800000000") && !printed.contains("Example Road"),
        "personal data never in Debug"
    );

    let other_channel = NewOrder {
        channel: Channel::Dstore,
        ..daojia_order("58-1")
    };
    assert!(orders::insert(&mut conn, &other_channel)
        .await
        .expect("insert")
        .is_created());
    assert!(orders::get(db.pool(), Uuid::now_v7())
        .await
        .expect("get")
        .is_none());
}

#[tokio::test]
async fn an_order_is_stored_whole_with_its_lines_in_order_or_not_at_all() {
    let db = database().await;
    let mut conn = db.pool().acquire().await.expect("connection");
    let mut new = daojia_order("58-lines");
    new.contact = None;
    new.items.push(NewOrderItem {
        sku_id: None,
        channel_item_id: None,
        title: Some("second".into()),
        quantity: 3,
        unit_price_minor: 700,
        manual_form_data: Some(serde_json::json!({"note": "ring twice"})),
    });
    let order = orders::insert(&mut conn, &new)
        .await
        .expect("insert")
        .into_inner();
    let items = orders::items(db.pool(), order.id).await.expect("items");
    let lines: Vec<_> = items
        .iter()
        .map(|item| (item.line_no, item.title.clone(), item.quantity))
        .collect();
    assert_eq!(
        lines,
        vec![
            (1, Some("cleaning".to_owned()), 1),
            (2, Some("second".to_owned()), 3)
        ]
    );
    assert_eq!(
        items[1].manual_form_data,
        Some(serde_json::json!({"note": "ring twice"}))
    );
    assert_eq!(
        contact_phone(&db, order.id).await,
        None,
        "no contact row when the protocol gives none"
    );

    // A line the schema refuses (quantity 0) leaves no order behind either.
    let mut broken = daojia_order("58-broken");
    broken.items[0].quantity = 0;
    assert!(orders::insert(&mut conn, &broken).await.is_err());
    assert!(
        orders::by_channel_id(db.pool(), Channel::Daojia, "58-broken")
            .await
            .expect("read")
            .is_none()
    );
}

#[tokio::test]
async fn order_status_changes_respect_the_allowed_sources() {
    let db = database().await;
    let mut conn = db.pool().acquire().await.expect("connection");
    let order = orders::insert(&mut conn, &daojia_order("58-2"))
        .await
        .expect("insert")
        .into_inner();
    let procuring = orders::set_status(db.pool(), order.id, OrderStatus::Procuring)
        .await
        .expect("set");
    assert_eq!(procuring.status, OrderStatus::Procuring);
    let delivered = orders::transition(
        &mut conn,
        order.id,
        &[OrderStatus::Procuring],
        OrderStatus::Delivered,
    )
    .await
    .expect("transition");
    assert_eq!(delivered.status, OrderStatus::Delivered);
    let cancel = orders::transition(
        &mut conn,
        order.id,
        &[OrderStatus::Accepted, OrderStatus::Procuring],
        OrderStatus::Canceled,
    )
    .await;
    assert!(matches!(
        cancel,
        Err(StoreError::InvalidTransition {
            entity: "order",
            ..
        })
    ));
    assert!(matches!(
        orders::set_status(db.pool(), Uuid::now_v7(), OrderStatus::Failed).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn provider_orders_debit_once_and_leave_nothing_when_payment_fails() {
    let db = database().await;
    let secrets = secret_box(6);
    let user_id = funded_user(&db, "site-a", 1_000).await;
    let credential = credentials::apply(db.pool(), &secrets, user_id)
        .await
        .expect("apply")
        .credential;
    let (_, sku) = product_with_sku(&db, "card", 400, 10).await;
    let request = |downstream_order_no: &str, quantity: i32| ProviderOrder {
        id: Uuid::now_v7(),
        credential_id: credential.id,
        downstream_order_no: downstream_order_no.into(),
        total_minor: 400 * i64::from(quantity),
        currency: Currency::CNY,
        callback_url: Some("https://a.example/api/v1/upstream/callback".into()),
        trace_id: None,
        items: vec![NewOrderItem {
            sku_id: Some(sku),
            channel_item_id: None,
            title: None,
            quantity,
            unit_price_minor: 400,
            manual_form_data: None,
        }],
    };
    let mut tx = db.pool().begin().await.expect("transaction");
    let placed = provider_orders::place(&mut tx, &request("DS-1", 1))
        .await
        .expect("place");
    tx.commit().await.expect("commit");
    assert!(placed.is_created());
    let order = placed.into_inner();

    let mut conn = db.pool().acquire().await.expect("connection");
    let repeat = provider_orders::place(&mut conn, &request("DS-1", 1))
        .await
        .expect("repeat");
    assert!(matches!(&repeat, Inserted::Existing(existing) if existing.id == order.id));
    assert_eq!(
        wallets::balance(db.pool(), user_id)
            .await
            .expect("balance")
            .balance_minor,
        600,
        "debited once"
    );
    let found = provider_orders::find(db.pool(), credential.id, "DS-1")
        .await
        .expect("find")
        .expect("recorded");
    assert_eq!(found.id, order.id);

    let broke = provider_orders::place(&mut conn, &request("DS-2", 2)).await;
    assert!(matches!(broke, Err(StoreError::InsufficientBalance)));
    assert!(provider_orders::find(db.pool(), credential.id, "DS-2")
        .await
        .expect("find")
        .is_none());
    assert_eq!(
        ledger_entries(&db, user_id).await,
        2,
        "top-up and one debit"
    );
    assert_eq!(
        catalog::sku(db.pool(), sku)
            .await
            .expect("sku")
            .expect("exists")
            .stock_quantity,
        9,
        "no stock taken"
    );

    let sold_out = provider_orders::place(&mut conn, &request("DS-3", 11)).await;
    assert!(matches!(sold_out, Err(StoreError::InsufficientStock)));
    let unknown = ProviderOrder {
        credential_id: 9_999,
        ..request("DS-4", 1)
    };
    assert!(matches!(
        provider_orders::place(&mut conn, &unknown).await,
        Err(StoreError::NotFound("credential"))
    ));
}

#[tokio::test]
async fn a_quote_checks_the_sku_and_reads_the_buyers_wallet_currency_in_one_go() {
    let db = database().await;
    let user_id = funded_user(&db, "site-q", 1_000).await;
    let (_, sku) = product_with_sku(&db, "quoted", 250, 3).await;

    let quote = provider_orders::quote(db.pool(), sku, 3, user_id)
        .await
        .expect("quote");
    assert_eq!(quote.sku.id, sku);
    assert_eq!(quote.sku.price_minor, 250);
    assert_eq!(quote.wallet_currency, Some(Currency::CNY));

    let no_wallet = provider_orders::quote(db.pool(), sku, 1, 9_999_999)
        .await
        .expect("quote without a wallet");
    assert_eq!(no_wallet.wallet_currency, None, "a buyer without a wallet");
    assert!(matches!(
        provider_orders::quote(db.pool(), sku, 4, user_id).await,
        Err(StoreError::InsufficientStock)
    ));
    assert!(matches!(
        provider_orders::quote(db.pool(), 9_999_999, 1, user_id).await,
        Err(StoreError::SkuUnavailable)
    ));
}

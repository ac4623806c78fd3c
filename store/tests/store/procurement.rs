//! Procurement orders, attempts and callback deliveries.

use chrono::{Duration, Utc};
use serde_json::json;
use switchyard_store::callbacks::{self, CallbackStatus, NewCallback};
use switchyard_store::connections::{self, ConnectionKind, NewConnection};
use switchyard_store::mappings::FulfillerKind;
use switchyard_store::orders::{self, Channel, NewOrder};
use switchyard_store::procurement::{
    self, AttemptOutcome, AttemptReport, NewProcurement, ProcurementFilter, ProcurementStatus,
    SourceType,
};
use switchyard_store::{credentials, Currency, StoreError};
use switchyard_testkit::database::TestDatabase;
use uuid::Uuid;

use crate::support::{database, funded_user, secret_box};

async fn order(db: &TestDatabase) -> Uuid {
    let mut conn = db.pool().acquire().await.expect("connection");
    let new = NewOrder {
        id: Uuid::now_v7(),
        channel: Channel::Operator,
        channel_order_id: Uuid::now_v7().to_string(),
        source_credential_id: None,
        source_connection_id: None,
        total_minor: 1_000,
        currency: Currency::CNY,
        callback_url: None,
        trace_id: None,
        items: vec![],
        contact: None,
    };
    orders::insert(&mut conn, &new)
        .await
        .expect("order")
        .into_inner()
        .id
}

fn outbound(order_id: Uuid, connection_id: i64, key: &str) -> NewProcurement {
    NewProcurement {
        id: Uuid::now_v7(),
        order_id,
        source_type: SourceType::Outbound,
        fulfiller: Some(FulfillerKind::DujiaoUpstream),
        connection_id: Some(connection_id),
        credential_id: None,
        idempotency_key: key.into(),
        amount_minor: 800,
        currency: Currency::CNY,
        items: vec![],
    }
}

#[tokio::test]
async fn procurement_is_idempotent_per_connection_and_records_every_attempt() {
    let db = database().await;
    let connection = connections::create(
        db.pool(),
        &secret_box(7),
        &NewConnection::new(
            ConnectionKind::DujiaoUpstream,
            "site-b",
            "http://127.0.0.1:9",
        ),
    )
    .await
    .expect("connection")
    .id;
    let order_id = order(&db).await;
    let mut conn = db.pool().acquire().await.expect("connection");

    let created = procurement::create(&mut conn, &outbound(order_id, connection, "SY-1-b"))
        .await
        .expect("create");
    assert!(created.is_created());
    let id = created.get().id;
    let again = procurement::create(&mut conn, &outbound(order_id, connection, "SY-1-b"))
        .await
        .expect("repeat");
    assert_eq!(
        again.get().id,
        id,
        "a redelivered event finds the same procurement order"
    );
    let local = NewProcurement {
        fulfiller: Some(FulfillerKind::LocalStock),
        connection_id: None,
        ..outbound(order_id, 0, "SY-1-local")
    };
    assert!(procurement::create(&mut conn, &local)
        .await
        .expect("local")
        .is_created());
    assert!(!procurement::create(&mut conn, &local)
        .await
        .expect("local repeat")
        .is_created());
    let unconnected = NewProcurement {
        connection_id: None,
        ..outbound(order_id, 0, "SY-1-x")
    };
    assert!(matches!(
        procurement::create(&mut conn, &unconnected).await,
        Err(StoreError::Constraint { .. })
    ));

    let retry_at = Utc::now() - Duration::seconds(1);
    let transient = AttemptReport {
        outcome: AttemptOutcome::TransientFailure,
        error_code: None,
        error: Some("HTTP 503".into()),
        http_status: Some(503),
        retry_at: Some(retry_at),
    };
    procurement::record_attempt(&mut conn, id, &transient)
        .await
        .expect("attempt 1");
    let lease = std::time::Duration::from_secs(30);
    let due = procurement::claim_due(db.pool(), lease, 10)
        .await
        .expect("due");
    assert_eq!(due, vec![id]);
    assert!(
        procurement::claim_due(db.pool(), lease, 10)
            .await
            .expect("leased")
            .is_empty(),
        "a claimed sub-order is leased to its claimer"
    );
    assert!(!procurement::claim(db.pool(), id, lease)
        .await
        .expect("claim"));

    let permanent = AttemptReport {
        outcome: AttemptOutcome::PermanentFailure,
        error_code: Some("insufficient_balance".into()),
        error: Some("upstream wallet too low".into()),
        http_status: Some(402),
        retry_at: None,
    };
    procurement::record_attempt(&mut conn, id, &permanent)
        .await
        .expect("attempt 2");
    let failed = procurement::get(db.pool(), id)
        .await
        .expect("get")
        .expect("exists");
    assert_eq!(
        (failed.status, failed.attempts),
        (ProcurementStatus::Failed, 2)
    );
    assert_eq!(
        failed.last_error_code.as_deref(),
        Some("insufficient_balance")
    );
    assert!(procurement::claim_due(db.pool(), lease, 10)
        .await
        .expect("due")
        .is_empty());

    let listed = procurement::list(
        db.pool(),
        &ProcurementFilter {
            status: Some(ProcurementStatus::Failed),
            connection_id: Some(connection),
            ..Default::default()
        },
    )
    .await
    .expect("list");
    assert_eq!(listed.len(), 1);
    let future = ProcurementFilter {
        created_from: Some(Utc::now() + Duration::hours(1)),
        ..Default::default()
    };
    assert!(procurement::list(db.pool(), &future)
        .await
        .expect("list")
        .is_empty());

    let retried = procurement::retry_now(db.pool(), id)
        .await
        .expect("operator retry");
    assert_eq!(retried.status, ProcurementStatus::Pending);
    assert!(matches!(
        procurement::retry_now(db.pool(), id).await,
        Err(StoreError::InvalidTransition { .. })
    ));
    let success = AttemptReport {
        outcome: AttemptOutcome::Succeeded,
        error_code: None,
        error: None,
        http_status: Some(200),
        retry_at: None,
    };
    procurement::record_attempt(&mut conn, id, &success)
        .await
        .expect("attempt 3");
    let placed = procurement::mark_placed(
        db.pool(),
        id,
        ProcurementStatus::Accepted,
        Some("77"),
        Some("B-77"),
    )
    .await
    .expect("placed");
    assert_eq!(placed.upstream_order_no.as_deref(), Some("B-77"));
    assert_eq!(placed.last_error, None);
    let delivered = procurement::mark_delivered(db.pool(), id, &json!({"codes": ["X"]}))
        .await
        .expect("delivered");
    assert_eq!(delivered.status, ProcurementStatus::Fulfilled);
    assert!(delivered.delivered_at.is_some());

    let log = procurement::attempts(db.pool(), id)
        .await
        .expect("attempts");
    assert_eq!(
        log.iter()
            .map(|a| (a.attempt_no, a.outcome))
            .collect::<Vec<_>>(),
        vec![
            (1, AttemptOutcome::TransientFailure),
            (2, AttemptOutcome::PermanentFailure),
            (3, AttemptOutcome::Succeeded),
        ]
    );
    assert_eq!(
        procurement::for_order(db.pool(), order_id)
            .await
            .expect("for order")
            .len(),
        2
    );
    assert!(
        procurement::by_idempotency_key(db.pool(), connection, "SY-1-b")
            .await
            .expect("lookup")
            .is_some()
    );
    assert!(matches!(
        procurement::record_attempt(&mut conn, Uuid::now_v7(), &success).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn callbacks_are_queued_once_per_event_and_fail_after_the_last_try() {
    let db = database().await;
    let user_id = funded_user(&db, "site-a", 0).await;
    let credential = credentials::apply(db.pool(), &secret_box(8), user_id)
        .await
        .expect("apply")
        .credential;
    let order_id = order(&db).await;
    let event_id = Uuid::now_v7();
    let new = NewCallback {
        order_id,
        credential_id: credential.id,
        event_id,
        url: "https://a.example/cb",
        body: r#"{"event":"order.fulfilled"}"#,
    };

    let queued = callbacks::enqueue(db.pool(), &new).await.expect("enqueue");
    assert!(queued.is_created());
    assert!(!callbacks::enqueue(db.pool(), &new)
        .await
        .expect("repeat")
        .is_created());
    let id = queued.get().id;
    let lease = std::time::Duration::from_secs(30);
    assert_eq!(
        callbacks::claim_due(db.pool(), lease, 10)
            .await
            .expect("due")
            .len(),
        1
    );
    assert!(callbacks::claim_due(db.pool(), lease, 10)
        .await
        .expect("leased")
        .is_empty());

    let later = Utc::now() + Duration::seconds(30);
    let pending = callbacks::record_failure(db.pool(), id, "HTTP 500", Some(500), Some(later))
        .await
        .expect("failure");
    assert_eq!(
        (pending.status, pending.attempts),
        (CallbackStatus::Pending, 1)
    );
    assert!(callbacks::claim_due(db.pool(), lease, 10)
        .await
        .expect("due")
        .is_empty());
    let failed = callbacks::record_failure(db.pool(), id, "ok:false", Some(200), None)
        .await
        .expect("last failure");
    assert_eq!(failed.status, CallbackStatus::Failed);

    let other = NewCallback {
        event_id: Uuid::now_v7(),
        ..new
    };
    let second = callbacks::enqueue(db.pool(), &other)
        .await
        .expect("enqueue")
        .into_inner();
    let delivered = callbacks::mark_delivered(db.pool(), second.id, 200)
        .await
        .expect("delivered");
    assert_eq!(delivered.status, CallbackStatus::Delivered);
    assert_eq!(
        callbacks::for_order(db.pool(), order_id)
            .await
            .expect("list")
            .len(),
        2
    );
    assert!(matches!(
        callbacks::mark_delivered(db.pool(), 9_999, 200).await,
        Err(StoreError::NotFound(_))
    ));
}

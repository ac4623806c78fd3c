//! The event outbox (the ingress spool among its writers) and stored answers for repeated pushes.

use std::collections::BTreeMap;

use switchyard_store::dedupe::{self, Claim, StoredAnswer};
use switchyard_store::outbox::{self, NewOutboxEvent};
use switchyard_store::StoreError;
use uuid::Uuid;

use crate::support::database;

#[tokio::test]
async fn the_outbox_drains_in_write_order_and_dedupes_event_ids() {
    let db = database().await;
    let headers = BTreeMap::from([("traceparent".to_owned(), "00-abc-def-01".to_owned())]);
    let mut event_ids = Vec::new();
    for n in 0..5u8 {
        let event_id = Uuid::now_v7();
        event_ids.push(event_id);
        let payload = [n];
        let event = NewOutboxEvent {
            event_id,
            topic: "orders.accepted",
            key: Some(b"order-1"),
            payload: &payload,
            headers: &headers,
        };
        assert!(outbox::insert(db.pool(), &event)
            .await
            .expect("spool")
            .is_created());
    }
    let repeat = NewOutboxEvent {
        event_id: event_ids[0],
        topic: "orders.accepted",
        key: None,
        payload: b"x",
        headers: &headers,
    };
    assert!(!outbox::insert(db.pool(), &repeat)
        .await
        .expect("repeat")
        .is_created());
    assert_eq!(outbox::pending_count(db.pool()).await.expect("count"), 5);

    let first = outbox::next_batch(db.pool(), 3).await.expect("batch");
    assert_eq!(
        first.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        event_ids[..3].to_vec()
    );
    assert_eq!(first[0].headers, headers);
    assert_eq!(first[0].payload, vec![0]);
    let ids: Vec<i64> = first.iter().map(|e| e.id).collect();
    assert_eq!(
        outbox::mark_published(db.pool(), &ids).await.expect("mark"),
        3
    );
    assert_eq!(
        outbox::mark_published(db.pool(), &ids)
            .await
            .expect("mark again"),
        0
    );

    let rest = outbox::next_batch(db.pool(), 10).await.expect("batch");
    assert_eq!(
        rest.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        event_ids[3..].to_vec()
    );
    let purged = switchyard_store::retention::purge_batch(
        db.pool(),
        switchyard_store::retention::Purge::PublishedOutbox,
        chrono::Utc::now() + chrono::Duration::seconds(1),
        100,
    )
    .await
    .expect("purge");
    assert_eq!(purged, 3, "only the published rows");
}

#[tokio::test]
async fn an_event_is_in_the_outbox_exactly_when_its_transaction_commits() {
    let db = database().await;
    let headers = BTreeMap::new();
    let event = |event_id| NewOutboxEvent {
        event_id,
        topic: "orders.status-changed",
        key: Some(b"order-1"),
        payload: b"p",
        headers: &headers,
    };
    let rolled_back = Uuid::now_v7();
    let mut tx = db.pool().begin().await.expect("begin");
    outbox::insert(&mut *tx, &event(rolled_back))
        .await
        .expect("write");
    tx.rollback().await.expect("rollback");
    assert_eq!(outbox::pending_count(db.pool()).await.expect("count"), 0);

    let committed = Uuid::now_v7();
    let mut tx = db.pool().begin().await.expect("begin");
    outbox::insert(&mut *tx, &event(committed))
        .await
        .expect("write");
    tx.commit().await.expect("commit");
    let pending = outbox::next_batch(db.pool(), 10).await.expect("batch");
    assert_eq!(
        pending.iter().map(|e| e.event_id).collect::<Vec<_>>(),
        vec![committed]
    );
    let under_old_name: i64 =
        sqlx::query_scalar("SELECT count(*) FROM ingress_spool WHERE published_at IS NULL")
            .fetch_one(db.pool())
            .await
            .expect("old name");
    assert_eq!(
        under_old_name, 1,
        "the former table name still reads the outbox"
    );
}

#[tokio::test]
async fn a_repeated_push_gets_the_first_answer() {
    let db = database().await;
    let first_event = Uuid::now_v7();
    assert_eq!(
        dedupe::claim(db.pool(), "dstore", "REQ-1", first_event)
            .await
            .expect("claim"),
        Claim::New
    );
    let in_flight = dedupe::claim(db.pool(), "dstore", "REQ-1", Uuid::now_v7())
        .await
        .expect("claim");
    assert_eq!(
        in_flight,
        Claim::InFlight {
            event_id: first_event
        }
    );

    let answer = StoredAnswer {
        status: 200,
        body: br#"{"result":{"resultStatus":"S"}}"#.to_vec(),
    };
    let position = dedupe::EventPosition {
        partition: 2,
        offset: 41,
    };
    dedupe::record_answer(db.pool(), "dstore", "REQ-1", &answer, Some(position))
        .await
        .expect("answer");
    let other = StoredAnswer {
        status: 500,
        body: b"later".to_vec(),
    };
    dedupe::record_answer(db.pool(), "dstore", "REQ-1", &other, None)
        .await
        .expect("first answer wins");
    let stored: (Option<i32>, Option<i64>) = sqlx::query_as(
        "SELECT event_partition, event_offset FROM ingress_dedupe
         WHERE channel = 'dstore' AND dedupe_key = 'REQ-1'",
    )
    .fetch_one(db.pool())
    .await
    .expect("claim row");
    assert_eq!(
        stored,
        (Some(position.partition), Some(position.offset)),
        "the first answer's position stays"
    );
    let repeat = dedupe::claim(db.pool(), "dstore", "REQ-1", Uuid::now_v7())
        .await
        .expect("claim");
    assert_eq!(
        repeat,
        Claim::Answered {
            event_id: first_event,
            answer
        }
    );
    assert_eq!(
        dedupe::claim(db.pool(), "daojia", "REQ-1", Uuid::now_v7())
            .await
            .expect("claim"),
        Claim::New,
        "keys are per channel"
    );

    let lost = Uuid::now_v7();
    assert_eq!(
        dedupe::claim(db.pool(), "daojia", "58-9", lost)
            .await
            .expect("claim"),
        Claim::New
    );
    assert!(dedupe::release(db.pool(), "daojia", "58-9", lost)
        .await
        .expect("release"));
    assert_eq!(
        dedupe::claim(db.pool(), "daojia", "58-9", Uuid::now_v7())
            .await
            .expect("claim"),
        Claim::New
    );
    assert!(!dedupe::release(db.pool(), "dstore", "REQ-1", first_event)
        .await
        .expect("answered claims stay"));
    let missing = dedupe::record_answer(
        db.pool(),
        "dstore",
        "nope",
        &StoredAnswer {
            status: 200,
            body: vec![],
        },
        None,
    )
    .await;
    assert!(matches!(missing, Err(StoreError::NotFound(_))));
}

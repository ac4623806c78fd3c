//! The event outbox (`event_outbox`): events owed to the broker, written in the transaction of
//! the change they announce — the workers' status and procurement events, and the ingress's spool
//! (events acknowledged to a partner while the broker could not confirm them).
//!
//! Contract: [`insert`] is idempotent on `event_id` and takes the writer's executor, so an event
//! written inside a transaction exists exactly when that transaction commits. [`next_batch`]
//! returns unpublished events in id order and [`mark_published`] retires them, so a drainer that
//! publishes a batch and then marks it keeps per-key order (writers of one key serialise on that
//! key's row, so their ids follow their commits); a crash between the two republishes the batch,
//! which consumers absorb through `processed_events`. [`mark_refused`] takes an event the broker
//! refuses for good out of the queue, keeping it with the reason. Run one drainer per database at a time
//! (the drainer in `switchyard-topics` takes an advisory lock).

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::StoreResult;
use crate::Inserted;

/// An event to write.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewOutboxEvent<'a> {
    /// The event id (also in the `event-id` header).
    pub event_id: Uuid,
    /// Destination topic.
    pub topic: &'a str,
    /// Kafka key.
    pub key: Option<&'a [u8]>,
    /// Encoded value.
    pub payload: &'a [u8],
    /// Kafka headers (name → text value).
    pub headers: &'a BTreeMap<String, String>,
}

/// An event waiting to be published.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutboxEvent {
    /// Drain order.
    pub id: i64,
    /// The event id.
    pub event_id: Uuid,
    /// Destination topic.
    pub topic: String,
    /// Kafka key.
    pub key: Option<Vec<u8>>,
    /// Encoded value.
    pub payload: Vec<u8>,
    /// Kafka headers.
    pub headers: BTreeMap<String, String>,
    /// When it was written.
    pub created_at: DateTime<Utc>,
}

#[derive(sqlx::FromRow)]
struct OutboxRow {
    id: i64,
    event_id: Uuid,
    topic: String,
    key: Option<Vec<u8>>,
    payload: Vec<u8>,
    headers: sqlx::types::Json<BTreeMap<String, String>>,
    created_at: DateTime<Utc>,
}

/// Writes an event; returns its drain position (the earlier one if the event id was written).
pub async fn insert(
    db: impl PgExecutor<'_>,
    event: &NewOutboxEvent<'_>,
) -> StoreResult<Inserted<i64>> {
    // The no-op DO UPDATE makes RETURNING yield the existing row's id in the same statement.
    let (id, created): (i64, bool) = sqlx::query_as(
        "INSERT INTO event_outbox (event_id, topic, key, payload, headers)
         VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (event_id) DO UPDATE SET event_id = excluded.event_id
         RETURNING id, (xmax = 0) AS created",
    )
    .bind(event.event_id)
    .bind(event.topic)
    .bind(event.key)
    .bind(event.payload)
    .bind(sqlx::types::Json(event.headers))
    .fetch_one(db)
    .await?;
    Ok(if created {
        Inserted::Created(id)
    } else {
        Inserted::Existing(id)
    })
}

/// Up to `limit` unpublished events, oldest first.
pub async fn next_batch(db: impl PgExecutor<'_>, limit: i64) -> StoreResult<Vec<OutboxEvent>> {
    let rows = sqlx::query_as::<_, OutboxRow>(
        "SELECT id, event_id, topic, key, payload, headers, created_at
         FROM event_outbox WHERE published_at IS NULL AND refused_at IS NULL ORDER BY id LIMIT $1",
    )
    .bind(limit)
    .fetch_all(db)
    .await?;
    Ok(rows
        .into_iter()
        .map(|row| OutboxEvent {
            id: row.id,
            event_id: row.event_id,
            topic: row.topic,
            key: row.key,
            payload: row.payload,
            headers: row.headers.0,
            created_at: row.created_at,
        })
        .collect())
}

/// Marks events as published; returns how many were still unpublished.
pub async fn mark_published(db: impl PgExecutor<'_>, ids: &[i64]) -> StoreResult<u64> {
    let updated = sqlx::query(
        "UPDATE event_outbox SET published_at = now() WHERE id = ANY($1) AND published_at IS NULL",
    )
    .bind(ids)
    .execute(db)
    .await?;
    Ok(updated.rows_affected())
}

/// The oldest and newest ids waiting to be published (`None` when nothing waits).
pub async fn unpublished_range(db: impl PgExecutor<'_>) -> StoreResult<(Option<i64>, Option<i64>)> {
    let range = sqlx::query_as(
        "SELECT min(id), max(id) FROM event_outbox
             WHERE published_at IS NULL AND refused_at IS NULL",
    )
    .fetch_one(db)
    .await?;
    Ok(range)
}

/// Takes an event the broker refused for good out of the drain queue, keeping it with `refusal`.
pub async fn mark_refused(db: impl PgExecutor<'_>, id: i64, refusal: &str) -> StoreResult<bool> {
    let updated = sqlx::query(
        "UPDATE event_outbox SET refused_at = now(), refusal = $2
         WHERE id = $1 AND published_at IS NULL AND refused_at IS NULL",
    )
    .bind(id)
    .bind(refusal)
    .execute(db)
    .await?;
    Ok(updated.rows_affected() == 1)
}

/// How many events the broker refused for good (kept for an operator).
pub async fn refused_count(db: impl PgExecutor<'_>) -> StoreResult<i64> {
    let count =
        sqlx::query_scalar("SELECT count(*) FROM event_outbox WHERE refused_at IS NOT NULL")
            .fetch_one(db)
            .await?;
    Ok(count)
}

/// How many events wait to be published (a readiness and metrics signal).
pub async fn pending_count(db: impl PgExecutor<'_>) -> StoreResult<i64> {
    let count = sqlx::query_scalar(
        "SELECT count(*) FROM event_outbox WHERE published_at IS NULL AND refused_at IS NULL",
    )
    .fetch_one(db)
    .await?;
    Ok(count)
}

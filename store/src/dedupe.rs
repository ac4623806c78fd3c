//! Stored answers for repeated partner pushes (D-Store `requestOrderId`, 58 `orderId`, ...).
//!
//! Contract: the first push [`claim`]s (channel, dedupe_key) with its event id; a repeat gets
//! [`Claim::InFlight`] (the first is still being produced — reuse its event id, so a produce
//! retry is absorbed by consumer dedupe) or [`Claim::Answered`] with the exact answer the first
//! push received. [`release`] drops a claim whose event neither the broker nor the spool took,
//! so the partner's retry is processed afresh. The answer is stored with the partition and
//! offset the broker confirmed the event at ([`EventPosition`]), so an operator can find it.

use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::{StoreError, StoreResult};

/// The answer given to the first push, replayed to repeats.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StoredAnswer {
    /// HTTP status.
    pub status: u16,
    /// Response body, byte for byte.
    pub body: Vec<u8>,
}

/// Where the broker confirmed a push's event (partition and offset of its topic).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EventPosition {
    /// Partition of the event's topic.
    pub partition: i32,
    /// Offset in that partition.
    pub offset: i64,
}

/// What a push found when it claimed its dedupe key.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Claim {
    /// First push: produce the event and then [`record_answer`].
    New,
    /// An earlier push with this key is still in flight under `event_id`.
    InFlight {
        /// The earlier push's event id.
        event_id: Uuid,
    },
    /// An earlier push was answered; give the same answer, produce nothing.
    Answered {
        /// The earlier push's event id.
        event_id: Uuid,
        /// The answer it received.
        answer: StoredAnswer,
    },
}

/// Claims (channel, dedupe_key) for `event_id`.
pub async fn claim(
    db: impl PgExecutor<'_> + Copy,
    channel: &str,
    dedupe_key: &str,
    event_id: Uuid,
) -> StoreResult<Claim> {
    let inserted = sqlx::query(
        "INSERT INTO ingress_dedupe (channel, dedupe_key, event_id) VALUES ($1, $2, $3)
         ON CONFLICT (channel, dedupe_key) DO NOTHING",
    )
    .bind(channel)
    .bind(dedupe_key)
    .bind(event_id)
    .execute(db)
    .await?;
    if inserted.rows_affected() == 1 {
        return Ok(Claim::New);
    }
    let (event_id, status, body): (Uuid, Option<i32>, Option<Vec<u8>>) = sqlx::query_as(
        "SELECT event_id, response_status, response_body FROM ingress_dedupe
         WHERE channel = $1 AND dedupe_key = $2",
    )
    .bind(channel)
    .bind(dedupe_key)
    .fetch_optional(db)
    .await?
    // Released between our insert and this read: the caller may simply retry the claim.
    .ok_or(StoreError::NotFound("dedupe claim"))?;
    Ok(match (status, body) {
        (Some(status), Some(body)) => Claim::Answered {
            event_id,
            answer: StoredAnswer {
                status: u16::try_from(status).unwrap_or(500),
                body,
            },
        },
        _ => Claim::InFlight { event_id },
    })
}

/// Stores the answer given for a claimed key and where its event went (`None`: spooled); the
/// first answer wins.
pub async fn record_answer(
    db: impl PgExecutor<'_> + Copy,
    channel: &str,
    dedupe_key: &str,
    answer: &StoredAnswer,
    position: Option<EventPosition>,
) -> StoreResult<()> {
    let updated = sqlx::query(
        "UPDATE ingress_dedupe SET response_status = $3, response_body = $4, answered_at = now(),
                event_partition = $5, event_offset = $6
         WHERE channel = $1 AND dedupe_key = $2 AND response_status IS NULL",
    )
    .bind(channel)
    .bind(dedupe_key)
    .bind(i32::from(answer.status))
    .bind(&answer.body)
    .bind(position.map(|p| p.partition))
    .bind(position.map(|p| p.offset))
    .execute(db)
    .await?;
    if updated.rows_affected() == 0 {
        let exists: bool = sqlx::query_scalar(
            "SELECT EXISTS (SELECT 1 FROM ingress_dedupe WHERE channel = $1 AND dedupe_key = $2)",
        )
        .bind(channel)
        .bind(dedupe_key)
        .fetch_one(db)
        .await?;
        if !exists {
            return Err(StoreError::NotFound("dedupe claim"));
        }
    }
    Ok(())
}

/// Drops an unanswered claim made by `event_id`; returns whether one was dropped.
pub async fn release(
    db: impl PgExecutor<'_>,
    channel: &str,
    dedupe_key: &str,
    event_id: Uuid,
) -> StoreResult<bool> {
    let deleted = sqlx::query(
        "DELETE FROM ingress_dedupe
         WHERE channel = $1 AND dedupe_key = $2 AND event_id = $3 AND response_status IS NULL",
    )
    .bind(channel)
    .bind(dedupe_key)
    .bind(event_id)
    .execute(db)
    .await?;
    Ok(deleted.rows_affected() == 1)
}

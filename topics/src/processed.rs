//! Effectively-once helper: inside the handler's own transaction, record the event id in
//! `processed_events`; a redelivered event finds its id already there and the handler skips its
//! effect. Because the row commits or rolls back with the effect, "recorded" means "applied".
//!
//! Table (created by the project's migrations):
//! `processed_events(consumer_group text, event_id uuid, topic text,
//!  processed_at timestamptz default now(), primary key (consumer_group, event_id))`.

use sqlx::{Postgres, Transaction};

use crate::runner::Delivery;

/// Whether the event's effect must be applied now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ProcessedMark {
    /// First time this consumer group sees the event: apply the effect in this transaction.
    FirstTime,
    /// Already applied by an earlier delivery: do nothing and commit (or roll back).
    AlreadyProcessed,
}

/// Records `delivery.event_id` for its consumer group in `tx`; tells whether it was new.
pub async fn mark_processed(
    tx: &mut Transaction<'_, Postgres>,
    delivery: &Delivery,
) -> Result<ProcessedMark, sqlx::Error> {
    let inserted = sqlx::query(
        "insert into processed_events (consumer_group, event_id, topic) values ($1, $2, $3)
         on conflict (consumer_group, event_id) do nothing",
    )
    .bind(&*delivery.consumer_group)
    .bind(delivery.event_id)
    .bind(&*delivery.topic)
    .execute(&mut **tx)
    .await?
    .rows_affected();
    Ok(if inserted == 1 {
        ProcessedMark::FirstTime
    } else {
        ProcessedMark::AlreadyProcessed
    })
}

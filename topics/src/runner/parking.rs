//! The durable retry schedule: events a consumer group could not handle yet, in Postgres table
//! `parked_events` (DDL in `migrations/0007_parked_events.sql`).
//!
//! Per consumer group and key, rows form a queue in `id` order. Only the head has `due_at`
//! set; the runner retries it when due. When the head is done (handled or dead-lettered) the
//! next row of the key becomes the head, due at once. Later events of a parked key are inserted
//! behind it (`due_at` null) instead of being handled, which keeps per-key order while the
//! partition moves on. Inserts are idempotent on the origin offset, so a redelivery after a
//! crash does not park an event twice.

use std::collections::HashSet;
use std::time::Duration;

use sqlx::postgres::PgRow;
use sqlx::{PgPool, Row};

use super::record::HeaderBlock;
pub(crate) use super::record::Record;

/// A parked event with its schedule row id and attempts made so far.
#[derive(Debug, Clone)]
pub(crate) struct ParkedEvent {
    pub(crate) id: i64,
    pub(crate) record: Record,
    /// Handler attempts already made (0 for an event waiting behind its key's head).
    pub(crate) attempt: u32,
}

const COLUMNS: &str =
    "id, topic, partition, kafka_offset, event_key, payload, header_names, header_values, attempt";

fn parked_from_row(row: &PgRow) -> Result<ParkedEvent, sqlx::Error> {
    let names: Vec<String> = row.try_get("header_names")?;
    let values: Vec<Vec<u8>> = row.try_get("header_values")?;
    let attempt: i32 = row.try_get("attempt")?;
    Ok(ParkedEvent {
        id: row.try_get("id")?,
        attempt: attempt.max(0) as u32,
        record: Record {
            topic: row.try_get::<String, _>("topic")?.into(),
            partition: row.try_get("partition")?,
            offset: row.try_get("kafka_offset")?,
            key: row.try_get::<String, _>("event_key")?.into(),
            payload: row.try_get("payload")?,
            headers: HeaderBlock::from_pairs(names.into_iter().zip(values)),
        },
    })
}

/// Parks `record`: as the head of its key (`attempt` made, due after `delay`) or, with
/// `delay = None`, waiting behind the key's current head.
pub(crate) async fn park(
    pool: &PgPool,
    group: &str,
    record: &Record,
    attempt: u32,
    delay: Option<Duration>,
    error: Option<&str>,
) -> Result<(), sqlx::Error> {
    let (names, values): (Vec<&str>, Vec<&[u8]>) = record.headers.iter().unzip();
    sqlx::query(
        "insert into parked_events (consumer_group, topic, partition, kafka_offset, event_key,
             payload, header_names, header_values, attempt, due_at, last_error)
         values ($1, $2, $3, $4, $5, $6, $7, $8, $9,
             case when $10::bigint is null then null
                  else now() + $10::bigint * interval '1 millisecond' end, $11)
         on conflict (consumer_group, topic, partition, kafka_offset) do nothing",
    )
    .bind(group)
    .bind(&*record.topic)
    .bind(record.partition)
    .bind(record.offset)
    .bind(&*record.key)
    .bind(record.payload.as_deref())
    .bind(names)
    .bind(values)
    .bind(attempt as i32)
    .bind(delay.map(|d| d.as_millis() as i64))
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Keys of a partition that have parked events (loaded when the partition is assigned).
pub(crate) async fn parked_keys(
    pool: &PgPool,
    group: &str,
    topic: &str,
    partition: i32,
) -> Result<HashSet<String>, sqlx::Error> {
    let rows = sqlx::query(
        "select distinct event_key from parked_events
         where consumer_group = $1 and topic = $2 and partition = $3",
    )
    .bind(group)
    .bind(topic)
    .bind(partition)
    .fetch_all(pool)
    .await?;
    rows.iter().map(|row| row.try_get("event_key")).collect()
}

/// Heads whose retry is due, oldest first.
pub(crate) async fn due_heads(
    pool: &PgPool,
    group: &str,
    topics: &[String],
    limit: i64,
) -> Result<Vec<ParkedEvent>, sqlx::Error> {
    let rows = sqlx::query(&format!(
        "select {COLUMNS} from parked_events
         where consumer_group = $1 and due_at <= now() and topic = any($2)
         order by due_at limit $3"
    ))
    .bind(group)
    .bind(topics)
    .bind(limit)
    .fetch_all(pool)
    .await?;
    rows.iter().map(parked_from_row).collect()
}

/// Records a failed retry: `attempt` made, next try after `delay`.
pub(crate) async fn reschedule(
    pool: &PgPool,
    id: i64,
    attempt: u32,
    delay: Duration,
    error: &str,
) -> Result<(), sqlx::Error> {
    sqlx::query(
        "update parked_events
         set attempt = $2, due_at = now() + $3::bigint * interval '1 millisecond', last_error = $4
         where id = $1",
    )
    .bind(id)
    .bind(attempt as i32)
    .bind(delay.as_millis() as i64)
    .bind(error)
    .execute(pool)
    .await?;
    Ok(())
}

/// Removes a finished head and promotes the key's next parked event (returned, due now);
/// `None` means the key is no longer parked.
pub(crate) async fn finish_head(
    pool: &PgPool,
    group: &str,
    head: &ParkedEvent,
) -> Result<Option<ParkedEvent>, sqlx::Error> {
    let mut tx = pool.begin().await?;
    sqlx::query("delete from parked_events where id = $1")
        .bind(head.id)
        .execute(&mut *tx)
        .await?;
    let next = sqlx::query(&format!(
        "update parked_events set due_at = now()
         where id = (select id from parked_events
                     where consumer_group = $1 and topic = $2 and event_key = $3
                     order by id limit 1)
         returning {COLUMNS}"
    ))
    .bind(group)
    .bind(&*head.record.topic)
    .bind(&*head.record.key)
    .fetch_optional(&mut *tx)
    .await?;
    tx.commit().await?;
    next.as_ref().map(parked_from_row).transpose()
}

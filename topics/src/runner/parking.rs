//! The durable retry schedule: events a consumer group could not handle yet, in Postgres table
//! `parked_events` (DDL in `migrations/0007_parked_events.sql`).
//!
//! Per consumer group and key, rows form a queue in `id` order. Only the head has `due_at`
//! set; the runner claims due heads in batches ([`claim_due`]: `FOR UPDATE SKIP LOCKED`, the
//! claim pushes `due_at` a lease ahead, so two replicas never run one head) and retries them.
//! Decisions on retried heads are written many at once ([`settle_heads`]): when a head is done
//! (handled or dead-lettered) it is deleted and the next row of its key becomes the head,
//! claimed by the same runner, which runs it at once. Later events of a parked key are inserted
//! behind it (`due_at` null) instead of being handled, which keeps per-key order while the
//! partition moves on. Inserts are idempotent on the origin offset, so a redelivery after a
//! crash does not park an event twice.

use std::collections::HashSet;
use std::sync::Arc;
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

/// The columns of a [`ParkedEvent`], of the updated row `p`.
const PREFIXED: &str = "p.id, p.topic, p.partition, p.kafka_offset, p.event_key, p.payload, \
     p.header_names, p.header_values, p.attempt";

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

/// Claims up to `limit` heads whose retry is due, oldest first, on the partitions in `owned`
/// (`(topic, partition)`): one statement, `FOR UPDATE SKIP LOCKED`, and each claimed head's
/// `due_at` moves `lease` ahead, so no other replica (nor a later claim) takes it while it
/// runs. A claimed head that is never finished (its process died) is due again after `lease`.
pub(crate) async fn claim_due(
    pool: &PgPool,
    group: &str,
    owned: &[(String, i32)],
    limit: i64,
    lease: Duration,
) -> Result<Vec<ParkedEvent>, sqlx::Error> {
    let (topics, partitions): (Vec<&str>, Vec<i32>) = owned
        .iter()
        .map(|(topic, partition)| (topic.as_str(), *partition))
        .unzip();
    let rows = sqlx::query(&format!(
        "with due as (
             select id from parked_events
             where consumer_group = $1 and due_at <= now()
               and (topic, partition) in (select * from unnest($2::text[], $3::int[]))
             order by due_at
             limit $4
             for update skip locked)
         update parked_events p
         set due_at = now() + $5::bigint * interval '1 millisecond'
         from due where p.id = due.id
         returning {PREFIXED}"
    ))
    .bind(group)
    .bind(topics)
    .bind(partitions)
    .bind(limit)
    .bind(lease.as_millis() as i64)
    .fetch_all(pool)
    .await?;
    let mut claimed: Vec<ParkedEvent> =
        rows.iter().map(parked_from_row).collect::<Result<_, _>>()?;
    // `returning` keeps no order; ids grow with parking time, a fair stand-in for `due_at`.
    claimed.sort_by_key(|parked| parked.id);
    Ok(claimed)
}

/// Gives claimed heads back (due now), e.g. queued retries dropped on revocation.
pub(crate) async fn release(pool: &PgPool, ids: &[i64]) -> Result<(), sqlx::Error> {
    if ids.is_empty() {
        return Ok(());
    }
    sqlx::query(
        "update parked_events set due_at = now() where id = any($1) and due_at is not null",
    )
    .bind(ids)
    .execute(pool)
    .await?;
    Ok(())
}

/// What became of a retried head.
#[derive(Debug, Clone)]
pub(crate) enum HeadDecision {
    /// Handled or dead-lettered: delete it and promote the key's next parked event.
    Finish { topic: Arc<str>, key: Arc<str> },
    /// Failed again: `attempt` made, next try after `delay`.
    Reschedule {
        attempt: u32,
        delay: Duration,
        error: String,
    },
}

/// Applies the decisions of many heads in one transaction (one delete, one update of the
/// rescheduled, one promotion of every finished key's next event, claimed for `lease`). Returns
/// per input, in order, the promoted next event of a finished head (`None`: key no longer
/// parked, or a rescheduled head).
pub(crate) async fn settle_heads(
    pool: &PgPool,
    group: &str,
    decisions: &[(i64, HeadDecision)],
    lease: Duration,
) -> Result<Vec<Option<ParkedEvent>>, sqlx::Error> {
    let mut finished = Vec::new();
    let (mut topics, mut keys) = (Vec::new(), Vec::new());
    let (mut ids, mut attempts, mut delays, mut errors) =
        (Vec::new(), Vec::new(), Vec::new(), Vec::new());
    for (id, decision) in decisions {
        match decision {
            HeadDecision::Finish { topic, key } => {
                finished.push(*id);
                topics.push(&**topic);
                keys.push(&**key);
            }
            HeadDecision::Reschedule {
                attempt,
                delay,
                error,
            } => {
                ids.push(*id);
                attempts.push(*attempt as i32);
                delays.push(delay.as_millis() as i64);
                errors.push(error.as_str());
            }
        }
    }
    let mut tx = pool.begin().await?;
    if !ids.is_empty() {
        sqlx::query(
            "update parked_events p
             set attempt = r.attempt,
                 due_at = now() + r.delay_ms * interval '1 millisecond',
                 last_error = r.error
             from unnest($1::bigint[], $2::int[], $3::bigint[], $4::text[])
                  as r(id, attempt, delay_ms, error)
             where p.id = r.id",
        )
        .bind(&ids)
        .bind(&attempts)
        .bind(&delays)
        .bind(&errors)
        .execute(&mut *tx)
        .await?;
    }
    let mut promoted = Vec::new();
    if !finished.is_empty() {
        sqlx::query("delete from parked_events where id = any($1)")
            .bind(&finished)
            .execute(&mut *tx)
            .await?;
        let rows = sqlx::query(&format!(
            "update parked_events p
             set due_at = now() + $4::bigint * interval '1 millisecond'
             from unnest($2::text[], $3::text[]) as k(topic, event_key)
             cross join lateral (
                 select id from parked_events n
                 where n.consumer_group = $1 and n.topic = k.topic and n.event_key = k.event_key
                 order by n.id limit 1) next
             where p.id = next.id
             returning {PREFIXED}"
        ))
        .bind(group)
        .bind(&topics)
        .bind(&keys)
        .bind(lease.as_millis() as i64)
        .fetch_all(&mut *tx)
        .await?;
        promoted = rows.iter().map(parked_from_row).collect::<Result<_, _>>()?;
    }
    tx.commit().await?;
    Ok(decisions
        .iter()
        .map(|(_, decision)| match decision {
            HeadDecision::Finish { topic, key } => promoted
                .iter()
                .find(|next| next.record.topic == *topic && next.record.key == *key)
                .cloned(),
            HeadDecision::Reschedule { .. } => None,
        })
        .collect())
}

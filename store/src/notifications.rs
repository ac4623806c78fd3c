//! Channel notifications: what the status-syncer told an order's sales channel
//! (`channel_notifications`, migration `0012_channel_notifications.sql`).
//!
//! Contract: one row per (order, partner status). [`record`] upserts the outcome of one call: a
//! `sent` row is final (a later `record` of the same status changes nothing but its attempt
//! count), `retrying` and `refused` rows are overwritten by the next outcome. The `request_id`
//! of the first record is kept, so a retry always repeats the key the partner saw first.

use chrono::{DateTime, Utc};
use sqlx::PgExecutor;
use uuid::Uuid;

use crate::error::StoreResult;
use switchyard_domain::text_enum;

text_enum! {
    /// How a notification ended (so far).
    NotificationOutcome {
        /// The partner applied it.
        Sent => "sent",
        /// The partner refused it for good: an exception for an operator.
        Refused => "refused",
        /// Not answered yet, or a transient failure: it will be repeated identically.
        Retrying => "retrying",
    }
}

/// One notification as stored (serialised as the operator API shows it).
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow, serde::Serialize)]
pub struct Notification {
    /// Row id.
    #[serde(skip)]
    pub id: i64,
    /// The order.
    #[serde(skip)]
    pub order_id: Uuid,
    /// The channel connection it went to.
    pub connection_id: i64,
    /// `dstore` or `daojia`.
    pub channel: String,
    /// The partner's word or code for the status.
    #[serde(rename = "status")]
    pub partner_status: String,
    /// The idempotency key sent.
    pub request_id: String,
    /// Where it stands.
    pub outcome: NotificationOutcome,
    /// The partner's answer code, if any.
    pub answer_code: Option<String>,
    /// The partner's answer message or our reason, if any.
    pub answer_message: Option<String>,
    /// Calls made.
    pub attempts: i32,
    /// First call.
    #[serde(rename = "first_sent_at")]
    pub created_at: DateTime<Utc>,
    /// Last call.
    #[serde(rename = "last_sent_at")]
    pub updated_at: DateTime<Utc>,
}

/// One call's outcome, to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotification<'a> {
    /// The order.
    pub order_id: Uuid,
    /// The channel connection.
    pub connection_id: i64,
    /// `dstore` or `daojia`.
    pub channel: &'a str,
    /// The partner's word or code for the status.
    pub partner_status: &'a str,
    /// The idempotency key sent.
    pub request_id: &'a str,
    /// The outcome.
    pub outcome: NotificationOutcome,
    /// The partner's answer code, if any.
    pub answer_code: Option<&'a str>,
    /// The partner's message or our reason (no personal data).
    pub answer_message: Option<&'a str>,
}

/// Records one call's outcome (see the module contract).
pub async fn record(db: impl PgExecutor<'_>, new: &NewNotification<'_>) -> StoreResult<()> {
    sqlx::query(
        "insert into channel_notifications
             (order_id, connection_id, channel, partner_status, request_id, outcome,
              answer_code, answer_message)
         values ($1, $2, $3, $4, $5, $6, $7, left($8, 500))
         on conflict (order_id, partner_status) do update set
             attempts = channel_notifications.attempts + 1,
             updated_at = now(),
             outcome = case when channel_notifications.outcome = 'sent'
                            then channel_notifications.outcome else excluded.outcome end,
             answer_code = case when channel_notifications.outcome = 'sent'
                            then channel_notifications.answer_code else excluded.answer_code end,
             answer_message = case when channel_notifications.outcome = 'sent'
                            then channel_notifications.answer_message
                            else excluded.answer_message end",
    )
    .bind(new.order_id)
    .bind(new.connection_id)
    .bind(new.channel)
    .bind(new.partner_status)
    .bind(new.request_id)
    .bind(new.outcome)
    .bind(new.answer_code)
    .bind(new.answer_message)
    .execute(db)
    .await?;
    Ok(())
}

/// Every notification of `order_id`, in the order they were first made.
pub async fn of_order(db: impl PgExecutor<'_>, order_id: Uuid) -> StoreResult<Vec<Notification>> {
    let rows = sqlx::query_as::<_, Notification>(
        "select id, order_id, connection_id, channel, partner_status, request_id, outcome,
                answer_code, answer_message, attempts, created_at, updated_at
           from channel_notifications where order_id = $1 order by id",
    )
    .bind(order_id)
    .fetch_all(db)
    .await?;
    Ok(rows)
}

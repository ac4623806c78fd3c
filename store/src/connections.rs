//! Partner connections: where and how we talk to each partner, with the secret encrypted at rest.
//!
//! Contract: the secret (one string; adapters that need several seal a JSON document) is stored
//! only as AES-256-GCM ciphertext and comes back decrypted only through [`get_with_secret`].
//! [`PartnerConnection::retry_delay`] is the connection's retry schedule: `retry_max` attempts
//! after the first, waiting `retry_intervals[n]` seconds, the last interval repeating.

use std::time::Duration;

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use sqlx::PgExecutor;

use crate::crypto::{SealedSecret, SecretBox};
use crate::error::{StoreError, StoreResult};
use switchyard_domain::text_enum;

text_enum! {
    /// Which partner protocol a connection speaks.
    ConnectionKind {
        /// An upstream Dujiao-Next site we buy from.
        DujiaoUpstream => "dujiao_upstream",
        /// Alipay+ D-Store.
        Dstore => "dstore",
        /// 58 Daojia.
        Daojia => "daojia",
        /// Wangdiantong ERP through Qimen.
        QimenWdt => "qimen_wdt",
        /// A vending-machine merchant API.
        Vending => "vending",
    }
}

text_enum! {
    /// Whether a connection is in use.
    ConnectionStatus {
        /// Configured, not yet in use.
        Pending => "pending",
        /// In use.
        Active => "active",
        /// Switched off by an operator.
        Disabled => "disabled",
    }
}

/// A partner connection without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct PartnerConnection {
    /// Primary key.
    pub id: i64,
    /// Protocol.
    pub kind: ConnectionKind,
    /// Operator-chosen unique name.
    pub name: String,
    /// Partner base URL.
    pub base_url: String,
    /// Whether it is in use.
    pub status: ConnectionStatus,
    /// Outbound calls allowed per minute.
    pub rate_limit_per_minute: i32,
    /// Retries after the first attempt.
    pub retry_max: i32,
    /// Seconds between attempts; the last one repeats.
    pub retry_intervals: Vec<i32>,
    /// Public identifier sent in clear (api key, Appid, app_key, Client-Id).
    pub api_key: Option<String>,
    /// Secondary public identifier (target_app_key, serviceKey, posAccountId).
    pub app_id: Option<String>,
    /// Protocol-specific non-secret settings.
    pub settings: serde_json::Value,
    /// Whether a secret is stored.
    pub has_secret: bool,
    /// Creation time.
    pub created_at: DateTime<Utc>,
}

impl PartnerConnection {
    /// How long to wait before retry number `retry` (1-based: the first retry after the first
    /// attempt is 1); `None` when the connection's `retry_max` is exhausted.
    pub fn retry_delay(&self, retry: u32) -> Option<Duration> {
        if retry == 0 || i64::from(retry) > i64::from(self.retry_max) {
            return None;
        }
        let index = usize::try_from(retry - 1).unwrap_or(usize::MAX);
        let seconds = self
            .retry_intervals
            .get(index)
            .or(self.retry_intervals.last())
            .copied()
            .unwrap_or(30);
        Some(Duration::from_secs(u64::try_from(seconds).unwrap_or(30)))
    }
}

/// A connection with its decrypted secret, for the partner client.
#[derive(Debug)]
pub struct ConnectionWithSecret {
    /// The stored connection.
    pub connection: PartnerConnection,
    /// The plaintext secret, when one is stored (redacted in `Debug`).
    pub secret: Option<SecretString>,
}

/// What an operator supplies to create a connection.
#[derive(Debug)]
pub struct NewConnection {
    /// Protocol.
    pub kind: ConnectionKind,
    /// Unique name.
    pub name: String,
    /// Partner base URL (http or https).
    pub base_url: String,
    /// Initial status.
    pub status: ConnectionStatus,
    /// Outbound calls allowed per minute.
    pub rate_limit_per_minute: i32,
    /// Retries after the first attempt (default 5).
    pub retry_max: i32,
    /// Seconds between attempts (default `[30, 60, 300]`).
    pub retry_intervals: Vec<i32>,
    /// Public identifier.
    pub api_key: Option<String>,
    /// Secondary public identifier.
    pub app_id: Option<String>,
    /// Protocol-specific non-secret settings (a JSON object).
    pub settings: serde_json::Value,
    /// The secret, stored encrypted (redacted in `Debug`).
    pub secret: Option<SecretString>,
}

impl NewConnection {
    /// A connection with the protocol defaults: pending, 60/min, 5 retries after 30, 60, 300 s.
    pub fn new(kind: ConnectionKind, name: impl Into<String>, base_url: impl Into<String>) -> Self {
        Self {
            kind,
            name: name.into(),
            base_url: base_url.into(),
            status: ConnectionStatus::Pending,
            rate_limit_per_minute: 60,
            retry_max: 5,
            retry_intervals: vec![30, 60, 300],
            api_key: None,
            app_id: None,
            settings: serde_json::json!({}),
            secret: None,
        }
    }
}

const COLUMNS: &str = "id, kind, name, base_url, status, rate_limit_per_minute, retry_max, \
                       retry_intervals, api_key, app_id, settings, \
                       (secret_ciphertext IS NOT NULL) AS has_secret, created_at";

/// Stores a new connection; its secret is encrypted with `secrets`.
pub async fn create(
    db: impl PgExecutor<'_>,
    secrets: &SecretBox,
    new: &NewConnection,
) -> StoreResult<PartnerConnection> {
    let sealed = new
        .secret
        .as_ref()
        .map(|secret| secrets.encrypt(secret))
        .transpose()?;
    let connection = sqlx::query_as::<_, PartnerConnection>(&format!(
        "INSERT INTO partner_connections
             (kind, name, base_url, status, rate_limit_per_minute, retry_max, retry_intervals,
              api_key, app_id, settings, secret_nonce, secret_ciphertext, secret_key_id)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13)
         RETURNING {COLUMNS}"
    ))
    .bind(new.kind)
    .bind(&new.name)
    .bind(&new.base_url)
    .bind(new.status)
    .bind(new.rate_limit_per_minute)
    .bind(new.retry_max)
    .bind(&new.retry_intervals)
    .bind(&new.api_key)
    .bind(&new.app_id)
    .bind(&new.settings)
    .bind(sealed.as_ref().map(|s| &s.nonce))
    .bind(sealed.as_ref().map(|s| &s.ciphertext))
    .bind(sealed.as_ref().map(|s| &s.key_id))
    .fetch_one(db)
    .await?;
    Ok(connection)
}

/// The connection with id `id`, without its secret.
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> StoreResult<PartnerConnection> {
    sqlx::query_as::<_, PartnerConnection>(&format!(
        "SELECT {COLUMNS} FROM partner_connections WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("connection"))
}

/// The connection with id `id` and its decrypted secret.
pub async fn get_with_secret(
    db: impl PgExecutor<'_>,
    secrets: &SecretBox,
    id: i64,
) -> StoreResult<ConnectionWithSecret> {
    let row = sqlx::query_as::<_, SecretRow>(&format!(
        "SELECT {COLUMNS}, secret_nonce, secret_ciphertext, secret_key_id
         FROM partner_connections WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("connection"))?;
    let secret = match (row.secret_nonce, row.secret_ciphertext, row.secret_key_id) {
        (Some(nonce), Some(ciphertext), Some(key_id)) => Some(secrets.decrypt(&SealedSecret {
            nonce,
            ciphertext,
            key_id,
        })?),
        _ => None,
    };
    Ok(ConnectionWithSecret {
        connection: row.connection,
        secret,
    })
}

/// Every connection, optionally of one kind, by id.
pub async fn list(
    db: impl PgExecutor<'_>,
    kind: Option<ConnectionKind>,
) -> StoreResult<Vec<PartnerConnection>> {
    let connections = sqlx::query_as::<_, PartnerConnection>(&format!(
        "SELECT {COLUMNS} FROM partner_connections WHERE $1::text IS NULL OR kind = $1 ORDER BY id"
    ))
    .bind(kind)
    .fetch_all(db)
    .await?;
    Ok(connections)
}

/// Sets the status (an operator activating or disabling a connection).
pub async fn set_status(
    db: impl PgExecutor<'_>,
    id: i64,
    status: ConnectionStatus,
) -> StoreResult<PartnerConnection> {
    sqlx::query_as::<_, PartnerConnection>(&format!(
        "UPDATE partner_connections SET status = $2 WHERE id = $1 RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(status)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("connection"))
}

/// Replaces the secret (key rotation by the partner, or re-encryption under a new key id).
pub async fn set_secret(
    db: impl PgExecutor<'_>,
    secrets: &SecretBox,
    id: i64,
    secret: &SecretString,
) -> StoreResult<()> {
    let sealed = secrets.encrypt(secret)?;
    let updated = sqlx::query(
        "UPDATE partner_connections
         SET secret_nonce = $2, secret_ciphertext = $3, secret_key_id = $4 WHERE id = $1",
    )
    .bind(id)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .bind(&sealed.key_id)
    .execute(db)
    .await?;
    if updated.rows_affected() == 0 {
        return Err(StoreError::NotFound("connection"));
    }
    Ok(())
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    #[sqlx(flatten)]
    connection: PartnerConnection,
    secret_nonce: Option<Vec<u8>>,
    secret_ciphertext: Option<Vec<u8>>,
    secret_key_id: Option<String>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn connection(retry_max: i32, retry_intervals: Vec<i32>) -> PartnerConnection {
        PartnerConnection {
            id: 1,
            kind: ConnectionKind::DujiaoUpstream,
            name: "b".into(),
            base_url: "http://127.0.0.1:1".into(),
            status: ConnectionStatus::Active,
            rate_limit_per_minute: 60,
            retry_max,
            retry_intervals,
            api_key: None,
            app_id: None,
            settings: serde_json::json!({}),
            has_secret: false,
            created_at: Utc::now(),
        }
    }

    #[test]
    fn the_last_interval_repeats_until_retry_max() {
        let c = connection(5, vec![30, 60, 300]);
        let delays: Vec<_> = (1..=6)
            .map(|n| c.retry_delay(n).map(|d| d.as_secs()))
            .collect();
        assert_eq!(
            delays,
            vec![Some(30), Some(60), Some(300), Some(300), Some(300), None]
        );
        assert_eq!(c.retry_delay(0), None);
        assert_eq!(connection(0, vec![30]).retry_delay(1), None);
    }
}

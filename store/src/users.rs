//! Downstream site accounts. A user is created together with its wallet, so every user has
//! exactly one wallet. No personal data: only an operator-chosen display label.

use sqlx::PgExecutor;

use crate::error::StoreResult;
use switchyard_domain::Currency;

/// A downstream site account.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct User {
    /// Primary key.
    pub id: i64,
    /// Display label chosen by the operator.
    pub label: String,
}

/// Creates a user and its empty wallet in `currency` in one statement.
pub async fn create(db: impl PgExecutor<'_>, label: &str, currency: Currency) -> StoreResult<User> {
    let user = sqlx::query_as::<_, User>(
        "WITH created AS (INSERT INTO users (label) VALUES ($1) RETURNING id, label),
              wallet AS (INSERT INTO wallets (user_id, currency) SELECT id, $2 FROM created)
         SELECT id, label FROM created",
    )
    .bind(label)
    .bind(currency)
    .fetch_one(db)
    .await?;
    Ok(user)
}

/// Finds a user by id.
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> StoreResult<Option<User>> {
    let user = sqlx::query_as::<_, User>("SELECT id, label FROM users WHERE id = $1")
        .bind(id)
        .fetch_optional(db)
        .await?;
    Ok(user)
}

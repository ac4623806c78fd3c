//! Dujiao-Next provider API credentials issued to downstream sites.
//!
//! Contract: one credential per user. [`apply`] generates the api key and secret, stores the
//! secret encrypted and returns it once ([`IssuedCredential`]); afterwards it is only available
//! decrypted to the verifier through [`find_by_api_key`]. Status moves only along
//! pending_review → approved | rejected, approved ⇄ disabled; anything else is
//! [`StoreError::InvalidTransition`]. Only `approved` credentials may call the provider API.

use chrono::{DateTime, Utc};
use secrecy::SecretString;
use sqlx::PgExecutor;

use crate::crypto::{SealedSecret, SecretBox};
use crate::error::{StoreError, StoreResult};
use switchyard_domain::text_enum;

text_enum! {
    /// Review state of a credential.
    CredentialStatus {
        /// Applied for, waiting for an operator.
        PendingReview => "pending_review",
        /// May call the provider API.
        Approved => "approved",
        /// Refused by an operator (with a reason).
        Rejected => "rejected",
        /// Approved once, switched off by an operator.
        Disabled => "disabled",
    }
}

/// A credential without its secret.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct ApiCredential {
    /// Primary key.
    pub id: i64,
    /// The downstream site account it belongs to.
    pub user_id: i64,
    /// Public key sent in `Dujiao-Next-Api-Key`.
    pub api_key: String,
    /// Review state.
    pub status: CredentialStatus,
    /// Why it was rejected.
    pub reject_reason: Option<String>,
    /// When it was (first) approved.
    pub approved_at: Option<DateTime<Utc>>,
    /// When it was applied for.
    pub created_at: DateTime<Utc>,
}

/// A freshly issued credential and its secret, to be shown exactly once.
#[derive(Debug)]
pub struct IssuedCredential {
    /// The stored credential.
    pub credential: ApiCredential,
    /// The plaintext secret (redacted in `Debug`).
    pub secret: SecretString,
}

/// A credential with its decrypted secret, for signature verification and signing callbacks.
#[derive(Debug)]
pub struct CredentialWithSecret {
    /// The stored credential.
    pub credential: ApiCredential,
    /// The plaintext secret (redacted in `Debug`).
    pub secret: SecretString,
}

const COLUMNS: &str = "id, user_id, api_key, status, reject_reason, approved_at, created_at";

/// Applies for a credential for `user_id`: status `pending_review`, new random key and secret.
/// A second application for the same user is [`StoreError::Duplicate`].
pub async fn apply(
    db: impl PgExecutor<'_>,
    secrets: &SecretBox,
    user_id: i64,
) -> StoreResult<IssuedCredential> {
    let api_key = format!("dk_{}", hex_random::<16>());
    let secret = SecretString::from(hex_random::<32>());
    let sealed = secrets.encrypt(&secret)?;
    let credential = sqlx::query_as::<_, ApiCredential>(&format!(
        "INSERT INTO api_credentials (user_id, api_key, secret_nonce, secret_ciphertext, secret_key_id)
         VALUES ($1, $2, $3, $4, $5) RETURNING {COLUMNS}"
    ))
    .bind(user_id)
    .bind(&api_key)
    .bind(&sealed.nonce)
    .bind(&sealed.ciphertext)
    .bind(&sealed.key_id)
    .fetch_one(db)
    .await
    .map_err(|error| match StoreError::from(error) {
        StoreError::Constraint { constraint } if constraint == "api_credentials_user_id_fkey" => {
            StoreError::NotFound("user")
        }
        other => other,
    })?;
    Ok(IssuedCredential { credential, secret })
}

/// The credential with id `id`.
pub async fn get(db: impl PgExecutor<'_>, id: i64) -> StoreResult<ApiCredential> {
    sqlx::query_as::<_, ApiCredential>(&format!(
        "SELECT {COLUMNS} FROM api_credentials WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("credential"))
}

/// pending_review → approved.
pub async fn approve(db: impl PgExecutor<'_> + Copy, id: i64) -> StoreResult<ApiCredential> {
    use CredentialStatus::*;
    transition(db, id, "approve", &[PendingReview], Approved, None).await
}

/// pending_review → rejected, keeping the operator's reason.
pub async fn reject(
    db: impl PgExecutor<'_> + Copy,
    id: i64,
    reason: &str,
) -> StoreResult<ApiCredential> {
    use CredentialStatus::*;
    transition(db, id, "reject", &[PendingReview], Rejected, Some(reason)).await
}

/// approved → disabled.
pub async fn disable(db: impl PgExecutor<'_> + Copy, id: i64) -> StoreResult<ApiCredential> {
    use CredentialStatus::*;
    transition(db, id, "disable", &[Approved], Disabled, None).await
}

/// disabled → approved (keeps the original approval time).
pub async fn enable(db: impl PgExecutor<'_> + Copy, id: i64) -> StoreResult<ApiCredential> {
    use CredentialStatus::*;
    transition(db, id, "enable", &[Disabled], Approved, None).await
}

/// The credential for `api_key` with its decrypted secret; `None` for an unknown key. The caller
/// decides what a non-approved status means for the request.
pub async fn find_by_api_key(
    db: impl PgExecutor<'_>,
    secrets: &SecretBox,
    api_key: &str,
) -> StoreResult<Option<CredentialWithSecret>> {
    let row = sqlx::query_as::<_, SecretRow>(&format!(
        "SELECT {COLUMNS}, secret_nonce, secret_ciphertext, secret_key_id
         FROM api_credentials WHERE api_key = $1"
    ))
    .bind(api_key)
    .fetch_optional(db)
    .await?;
    row.map(|row| row.open(secrets)).transpose()
}

/// The credential with id `id` and its decrypted secret (to sign callbacks to that site).
pub async fn get_with_secret(
    db: impl PgExecutor<'_>,
    secrets: &SecretBox,
    id: i64,
) -> StoreResult<CredentialWithSecret> {
    sqlx::query_as::<_, SecretRow>(&format!(
        "SELECT {COLUMNS}, secret_nonce, secret_ciphertext, secret_key_id
         FROM api_credentials WHERE id = $1"
    ))
    .bind(id)
    .fetch_optional(db)
    .await?
    .ok_or(StoreError::NotFound("credential"))?
    .open(secrets)
}

#[derive(sqlx::FromRow)]
struct SecretRow {
    #[sqlx(flatten)]
    credential: ApiCredential,
    secret_nonce: Vec<u8>,
    secret_ciphertext: Vec<u8>,
    secret_key_id: String,
}

impl SecretRow {
    fn open(self, secrets: &SecretBox) -> StoreResult<CredentialWithSecret> {
        let secret = secrets.decrypt(&SealedSecret {
            nonce: self.secret_nonce,
            ciphertext: self.secret_ciphertext,
            key_id: self.secret_key_id,
        })?;
        Ok(CredentialWithSecret {
            credential: self.credential,
            secret,
        })
    }
}

async fn transition(
    db: impl PgExecutor<'_> + Copy,
    id: i64,
    action: &'static str,
    from: &[CredentialStatus],
    to: CredentialStatus,
    reject_reason: Option<&str>,
) -> StoreResult<ApiCredential> {
    let updated = sqlx::query_as::<_, ApiCredential>(&format!(
        "UPDATE api_credentials
         SET status = $3,
             reject_reason = $4,
             approved_at = CASE WHEN $3 = 'approved' THEN coalesce(approved_at, now()) ELSE approved_at END
         WHERE id = $1 AND status = ANY($2)
         RETURNING {COLUMNS}"
    ))
    .bind(id)
    .bind(from)
    .bind(to)
    .bind(reject_reason)
    .fetch_optional(db)
    .await?;
    match updated {
        Some(credential) => Ok(credential),
        None => {
            let current = get(db, id).await?;
            Err(StoreError::InvalidTransition {
                entity: "credential",
                from: current.status.to_string(),
                action,
            })
        }
    }
}

/// `N` random bytes from the OS-seeded generator as lowercase hex.
fn hex_random<const N: usize>() -> String {
    let bytes: [u8; N] = std::array::from_fn(|_| rand::random::<u8>());
    bytes.iter().map(|byte| format!("{byte:02x}")).collect()
}

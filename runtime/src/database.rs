//! The PostgreSQL pool every role shares.
//!
//! Start-up never fails because the database is down: [`connect`] builds a lazy pool and
//! [`wait_until_reachable`] retries with exponential backoff, logging each failure (without the
//! URL, which may hold a password) until the database answers or shutdown is requested. Readiness
//! probes it with [`DatabaseProbe`].

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::PgPool;
use tokio_util::sync::CancellationToken;

use crate::config::ConfigError;
use crate::readiness::{Probe, ProbeFuture};

/// `[database]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct DatabaseConfig {
    /// Connection URL (alias: `SWITCHYARD_DATABASE_URL`). Secret: it may carry a password.
    pub url: SecretString,
    /// Upper bound of pooled connections per process.
    pub max_connections: u32,
    /// How long a query waits for a free connection before failing (transient).
    pub acquire_timeout_ms: u64,
}

impl Default for DatabaseConfig {
    fn default() -> Self {
        Self {
            url: SecretString::from("postgres://postgres@127.0.0.1:5432/switchyard"),
            max_connections: 16,
            acquire_timeout_ms: 2_000,
        }
    }
}

impl DatabaseConfig {
    /// Parsed connection options; a malformed URL is a configuration error naming the key
    /// (never echoing the URL itself).
    pub fn connect_options(&self) -> Result<PgConnectOptions, ConfigError> {
        self.url
            .expose_secret()
            .parse::<PgConnectOptions>()
            .map_err(|_| ConfigError::invalid("database.url", "not a valid postgres:// URL"))
    }

    /// The database name the URL points at (safe to print).
    pub fn database_name(&self) -> Option<String> {
        self.connect_options()
            .ok()
            .and_then(|options| options.get_database().map(str::to_owned))
    }
}

/// A lazy pool: no connection is attempted until first use.
pub fn connect(config: &DatabaseConfig) -> Result<PgPool, ConfigError> {
    let options = config.connect_options()?;
    Ok(PgPoolOptions::new()
        .max_connections(config.max_connections)
        .acquire_timeout(Duration::from_millis(config.acquire_timeout_ms))
        .connect_lazy_with(options))
}

/// Waits until the database answers `SELECT 1`, retrying with backoff (capped at 10 s between
/// tries). Returns `false` when shutdown was requested first.
pub async fn wait_until_reachable(pool: &PgPool, shutdown: &CancellationToken) -> bool {
    let attempt = || async { sqlx::query("SELECT 1").execute(pool).await.map(|_| ()) };
    let retried = attempt
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(200))
                .with_max_delay(Duration::from_secs(10))
                .with_jitter()
                .without_max_times(),
        )
        .notify(|error, delay| {
            tracing::warn!(error = %error, retry_in_ms = delay.as_millis() as u64, "database not reachable yet");
        });
    tokio::select! {
        result = retried => result.is_ok(),
        () = shutdown.cancelled() => false,
    }
}

/// Readiness probe: the database answers a trivial query.
#[derive(Clone)]
pub struct DatabaseProbe(pub PgPool);

impl Probe for DatabaseProbe {
    fn name(&self) -> &'static str {
        "database"
    }

    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            sqlx::query("SELECT 1")
                .execute(&self.0)
                .await
                .map(|_| ())
                .map_err(|error| error.to_string())
        })
    }
}

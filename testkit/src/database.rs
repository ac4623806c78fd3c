//! A fresh PostgreSQL database per test.
//!
//! Contract: [`TestDatabase::new`] creates `switchyard_test_<12 hex>` on the server named by
//! `SWITCHYARD_TEST_DATABASE_ADMIN_URL` (default [`DEFAULT_ADMIN_URL`]), applies every migration
//! in the workspace's `migrations/` directory, and hands out a pool and a URL. Dropping the guard
//! drops the database `WITH (FORCE)` before `drop` returns — also when the test panics — so tests
//! never leave databases behind.
//!
//! Migrations are read from disk at run time rather than embedded with `sqlx::migrate!`: the
//! macro only notices new migration files when this crate happens to be rebuilt, and a stale
//! embedded set would silently test an old schema.

use std::path::Path;
use std::str::FromStr;

use anyhow::Context;
use sqlx::migrate::Migrator;
use sqlx::postgres::{PgConnectOptions, PgPoolOptions};
use sqlx::{ConnectOptions, Connection, PgConnection, PgPool};

/// Admin connection used when `SWITCHYARD_TEST_DATABASE_ADMIN_URL` is unset.
pub const DEFAULT_ADMIN_URL: &str = "postgres://postgres@127.0.0.1:5432/postgres";

/// Environment variable naming the admin connection (a database the tests may create from).
pub const ADMIN_URL_ENV: &str = "SWITCHYARD_TEST_DATABASE_ADMIN_URL";

/// Where the workspace's sqlx migrations live.
pub const MIGRATIONS_DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../migrations");

/// A uniquely named database that exists for the lifetime of this value.
pub struct TestDatabase {
    name: String,
    url: String,
    admin_url: String,
    pool: PgPool,
}

impl TestDatabase {
    /// Creates a new database with all migrations applied.
    pub async fn new() -> anyhow::Result<Self> {
        let database = Self::without_migrations().await?;
        let migrator = Migrator::new(Path::new(MIGRATIONS_DIR))
            .await
            .with_context(|| format!("reading migrations from {MIGRATIONS_DIR}"))?;
        migrator
            .run(&database.pool)
            .await
            .with_context(|| format!("applying migrations to {}", database.name))?;
        Ok(database)
    }

    /// Creates a new, empty database (no migrations): for tests of the migrations themselves.
    pub async fn without_migrations() -> anyhow::Result<Self> {
        let admin_url = std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
        let name = format!(
            "switchyard_test_{}",
            &uuid::Uuid::new_v4().simple().to_string()[..12]
        );
        let url = database_url(&admin_url, &name)?;

        let mut admin = PgConnection::connect(&admin_url)
            .await
            .with_context(|| format!("connecting to the admin database ({ADMIN_URL_ENV})"))?;
        // The name is generated above from hex digits only, so quoting it is enough.
        sqlx::query(&format!(r#"CREATE DATABASE "{name}""#))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating database {name}"))?;
        admin.close().await.ok();

        let options = PgConnectOptions::from_str(&url)
            .context("parsing the test database URL")?
            .disable_statement_logging();
        let pool = match PgPoolOptions::new()
            .max_connections(8)
            .connect_with(options)
            .await
        {
            Ok(pool) => pool,
            Err(error) => {
                drop_database_blocking(&admin_url, &name);
                return Err(error).with_context(|| format!("connecting to {name}"));
            }
        };
        Ok(Self {
            name,
            url,
            admin_url,
            pool,
        })
    }

    /// A pool connected to this database.
    pub fn pool(&self) -> &PgPool {
        &self.pool
    }

    /// The connection URL of this database (for code under test that builds its own pool).
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The database name (`switchyard_test_…`).
    pub fn name(&self) -> &str {
        &self.name
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        drop_database_blocking(&self.admin_url, &self.name);
    }
}

/// Replaces the database in `admin_url` with `name`, keeping host, credentials and parameters.
fn database_url(admin_url: &str, name: &str) -> anyhow::Result<String> {
    let mut url = url::Url::parse(admin_url).with_context(|| format!("parsing {ADMIN_URL_ENV}"))?;
    url.set_path(&format!("/{name}"));
    Ok(url.into())
}

/// Drops the database on a dedicated thread with its own runtime and waits for it.
///
/// `Drop` cannot await, may run inside or outside a Tokio runtime, and the test process may exit
/// right after, so the cleanup runs to completion before returning. `WITH (FORCE)` ends any
/// connections still open (including this guard's pool).
fn drop_database_blocking(admin_url: &str, name: &str) {
    let admin_url = admin_url.to_owned();
    let name = name.to_owned();
    let cleanup = std::thread::spawn(move || {
        let runtime = match tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
        {
            Ok(runtime) => runtime,
            Err(error) => return Err(anyhow::Error::from(error)),
        };
        runtime.block_on(async move {
            let mut admin = PgConnection::connect(&admin_url).await?;
            sqlx::query(&format!(r#"DROP DATABASE IF EXISTS "{name}" WITH (FORCE)"#))
                .execute(&mut admin)
                .await?;
            admin.close().await.ok();
            Ok(())
        })
    });
    match cleanup.join() {
        Ok(Ok(())) => {}
        Ok(Err(error)) => {
            #[allow(clippy::print_stderr)] // a test helper: the test output is the place to say so
            {
                eprintln!("testkit: could not drop a test database: {error:#}");
            }
        }
        Err(_) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("testkit: the database cleanup thread panicked");
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    async fn database_exists(name: &str) -> bool {
        let admin_url = std::env::var(ADMIN_URL_ENV).unwrap_or_else(|_| DEFAULT_ADMIN_URL.into());
        let mut admin = PgConnection::connect(&admin_url)
            .await
            .expect("admin connection");
        let found: Option<i32> = sqlx::query_scalar("SELECT 1 FROM pg_database WHERE datname = $1")
            .bind(name)
            .fetch_optional(&mut admin)
            .await
            .expect("query pg_database");
        found.is_some()
    }

    #[tokio::test]
    async fn creates_a_migrated_database_and_drops_it_on_drop() {
        let database = TestDatabase::new().await.expect("test database");
        let name = database.name().to_owned();
        assert!(name.starts_with("switchyard_test_"));
        assert!(database.url().ends_with(&name));
        let processed: i64 = sqlx::query_scalar("SELECT count(*) FROM processed_events")
            .fetch_one(database.pool())
            .await
            .expect("the migrated schema is there");
        assert_eq!(processed, 0);
        assert!(database_exists(&name).await);

        drop(database);
        assert!(
            !database_exists(&name).await,
            "the database is gone after drop"
        );
    }

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn an_empty_database_has_no_tables() {
        let database = TestDatabase::without_migrations()
            .await
            .expect("empty database");
        let tables: i64 = sqlx::query_scalar(
            "SELECT count(*) FROM information_schema.tables WHERE table_schema = 'public'",
        )
        .fetch_one(database.pool())
        .await
        .expect("count tables");
        assert_eq!(tables, 0);
    }

    #[test]
    fn the_url_keeps_credentials_and_parameters() {
        let url = database_url("postgres://u:p@db.local:6432/postgres?sslmode=disable", "x")
            .expect("valid url");
        assert_eq!(url, "postgres://u:p@db.local:6432/x?sslmode=disable");
    }
}

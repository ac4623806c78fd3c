//! `switchyard migrate`: creates the configured database when it does not exist, then applies
//! pending migrations. Idempotent: re-running applies nothing.

use anyhow::Context;
use sqlx::{ConnectOptions, Connection};
use switchyard_runtime::database;

use crate::settings::Settings;

/// Ensures the database exists and is migrated.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let _telemetry = switchyard_runtime::telemetry::init(&settings.telemetry)?;
    create_database_if_missing(settings).await?;
    let pool = database::connect(&settings.database)?;
    switchyard_store::migrate(&pool)
        .await
        .context("applying migrations")?;
    tracing::info!(
        database = settings.database.database_name().as_deref().unwrap_or("?"),
        "migrations applied"
    );
    Ok(())
}

async fn create_database_if_missing(settings: &Settings) -> anyhow::Result<()> {
    let options = settings.database.connect_options()?;
    let Some(name) = options.get_database().map(str::to_owned) else {
        return Ok(());
    };
    // Connect to the server's maintenance database to look for (and create) ours.
    let mut admin = options
        .database("postgres")
        .connect()
        .await
        .context("connecting to the PostgreSQL server")?;
    let exists: bool =
        sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM pg_database WHERE datname = $1)")
            .bind(&name)
            .fetch_one(&mut admin)
            .await?;
    if !exists {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        sqlx::query(&format!("CREATE DATABASE {quoted}"))
            .execute(&mut admin)
            .await
            .with_context(|| format!("creating database {name}"))?;
        tracing::info!(database = %name, "database created");
    }
    admin.close().await?;
    Ok(())
}

//! The long-running roles: `up` (everything), `ingress`, `worker NAME`.
//!
//! Start-up order: telemetry and signals; the admin listener (so `/healthz` answers at once and
//! `/readyz` reports missing dependencies); then, in the background, wait for the database and
//! provision topics with backoff — never a panic when the broker or database is not there yet;
//! then the roles. The process runs until SIGTERM/SIGINT and drains within `shutdown.grace_ms`.

use std::time::Duration;

use backon::{ExponentialBuilder, Retryable};
use switchyard_runtime::database;

use super::worker::WorkerName;
use crate::process::Process;
use crate::settings::Settings;

/// Which roles this process runs.
#[derive(Debug, Clone)]
pub struct Roles {
    ingress: bool,
    workers: Vec<WorkerName>,
}

impl Roles {
    /// The ingress and every worker.
    pub fn all() -> Self {
        Self {
            ingress: true,
            workers: WorkerName::ALL.to_vec(),
        }
    }

    /// Only the ingress.
    pub fn ingress_only() -> Self {
        Self {
            ingress: true,
            workers: Vec::new(),
        }
    }

    /// One worker.
    pub fn worker(name: WorkerName) -> Self {
        Self {
            ingress: false,
            workers: vec![name],
        }
    }
}

/// Runs the roles until shutdown.
pub async fn run(settings: Settings, roles: Roles) -> anyhow::Result<()> {
    let mut process = Process::start(&settings)?;
    let admin = process.serve_admin(&settings, axum::Router::new()).await?;
    announce("admin listener", admin);

    let token = process.shutdown.token();
    if !database::wait_until_reachable(&process.pool, &token).await {
        process.finish(&settings).await;
        return Ok(());
    }
    let kafka = settings.kafka.clone();
    let provisioned = (|| switchyard_topics::ensure_topics(&kafka))
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(500))
                .with_max_delay(Duration::from_secs(10))
                .without_max_times(),
        )
        .notify(|error, delay| {
            tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "topics not provisioned yet");
        });
    tokio::select! {
        result = provisioned => result?,
        () = token.cancelled() => {
            process.finish(&settings).await;
            return Ok(());
        }
    }

    tracing::info!(
        ingress = roles.ingress,
        workers = ?roles.workers.iter().map(|w| w.as_str()).collect::<Vec<_>>(),
        "roles starting"
    );
    process.finish(&settings).await;
    Ok(())
}

/// One line on stdout per listener, so operators (and tests) see where to connect.
fn announce(what: &str, address: std::net::SocketAddr) {
    #[allow(clippy::print_stdout)]
    {
        println!("switchyard: {what} on http://{address}");
    }
}

//! The long-running roles: `up` (everything), `ingress`, `worker NAME`.
//!
//! Start-up order: telemetry and signals; build the roles (no network: this registers their
//! metrics); the admin listener (so `/healthz` answers at once and `/readyz` reports missing
//! dependencies) with the operator API; then wait for the database and provision topics with
//! backoff — never a panic when the broker or database is not there yet; then the roles. The
//! ingress alone does not wait for the broker: it provisions topics in the background and
//! acknowledges through its spool meanwhile. The
//! process runs until SIGTERM/SIGINT and drains within `shutdown.grace_ms`.

use std::net::SocketAddr;
use std::time::Duration;

use anyhow::Context;
use backon::{ExponentialBuilder, Retryable};
use clap::builder::{PossibleValue, PossibleValuesParser, TypedValueParser};
use switchyard_connections::{ConnectionRegistry, RegistrySettings};
use switchyard_ingress::Ingress;
use switchyard_runtime::database;
use switchyard_workers::registry::{self, WORKERS};
use switchyard_workers::{Registration, WorkerContext, WorkerMetrics};

use crate::process::{Listening, Process, ReadinessPlan};
use crate::settings::Settings;

/// Which roles this process runs.
#[derive(Debug, Clone)]
pub struct Roles {
    ingress: bool,
    workers: Vec<&'static Registration>,
}

impl Roles {
    /// The ingress and every worker.
    pub fn all() -> Self {
        Self {
            ingress: true,
            workers: WORKERS.iter().collect(),
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
    pub fn worker(name: &'static Registration) -> Self {
        Self {
            ingress: false,
            workers: vec![name],
        }
    }
}

/// Parses a worker name for clap; `--help` lists every registered worker with its description.
pub fn worker_parser() -> impl TypedValueParser<Value = &'static Registration> {
    PossibleValuesParser::new(
        WORKERS
            .iter()
            .map(|worker| PossibleValue::new(worker.name).help(worker.description)),
    )
    .try_map(|name: String| registry::find(&name).ok_or_else(|| format!("unknown worker `{name}`")))
}

/// Runs the roles until shutdown.
pub async fn run(settings: Settings, roles: Roles) -> anyhow::Result<()> {
    let secret_box = settings.secrets.secret_box()?;
    let mut process = Process::start(&settings)?;

    // One connection registry for the process: the ingress's operator changes reach the workers.
    let partners = RegistrySettings {
        ttl: settings.ingress.connection_cache_ttl(),
        partner_timeout: Duration::from_millis(settings.workers.partner_timeout_ms),
        allow_private_partner_urls: settings.workers.allow_private_partner_urls,
    };
    let connections = ConnectionRegistry::new(process.pool.clone(), secret_box.clone(), partners);
    // Build every role first: nothing here touches the network, and it fills the registry.
    let ingress = if roles.ingress {
        Some(Ingress::new(
            settings.ingress.clone(),
            process.pool.clone(),
            process.producer.clone(),
            &settings.kafka,
            secret_box.clone(),
            connections.clone(),
            &mut process.registry,
        )?)
    } else {
        None
    };
    let worker_metrics = WorkerMetrics::register(&mut process.registry);
    let context = WorkerContext {
        pool: process.pool.clone(),
        producer: process.producer.clone(),
        kafka: settings.kafka.clone(),
        secrets: secret_box.clone(),
        config: settings.workers.clone(),
        connections,
    };
    let workers = roles
        .workers
        .iter()
        .map(|worker| worker.prepare(&context, &worker_metrics))
        .collect::<Result<Vec<_>, _>>()?;

    let mut operator = switchyard_workers::operator_routes(
        process.pool.clone(),
        settings.kafka.clone(),
        secret_box,
        partners,
    );
    if let Some(ingress) = &ingress {
        operator = operator.merge(ingress.operator_routes());
    }
    // The ingress alone needs no broker to acknowledge (it spools): it is ready once it listens.
    let ingress_only = workers.is_empty();
    let listening = ingress.as_ref().map(|_| Listening::default());
    let plan = ReadinessPlan {
        broker_required: !ingress_only,
        listening: listening.clone(),
    };
    let admin = process.serve_admin(&settings, operator, plan).await?;
    announce("admin listener", admin);

    let token = process.shutdown.token();
    if !database::wait_until_reachable(&process.pool, &token).await {
        process.finish(&settings).await;
        return Ok(());
    }
    let provisioned = provision_topics(settings.kafka.clone());
    if ingress_only {
        // Topics are provisioned in the background; until then the ingress spools.
        process.shutdown.spawn(async move {
            if let Err(error) = provisioned.await {
                tracing::error!(%error, "provisioning topics failed");
            }
        });
    } else {
        tokio::select! {
            result = provisioned => result.context("provisioning topics")?,
            () = token.cancelled() => {
                process.finish(&settings).await;
                return Ok(());
            }
        }
    }

    if let (Some(ingress), Some(listening)) = (&ingress, &listening) {
        let address = ingress.spawn(&process.shutdown).await?;
        listening.bound();
        announce("ingress", address);
    }
    // Workers run on this task rather than spawned: their futures borrow sqlx executors in a way
    // rustc cannot prove `Send` for every lifetime, and they need no thread of their own (the
    // runner spawns the handlers). They watch the same token and get the same grace period.
    let grace = Duration::from_millis(settings.shutdown.grace_ms);
    let runs = futures::future::join_all(workers.into_iter().map(|worker| {
        let root = process.shutdown.clone();
        async move {
            let name = worker.name();
            if let Err(error) = worker.run(root.token()).await {
                tracing::error!(worker = %name, error = %error, "worker stopped; shutting the process down");
                // A process whose worker cannot run is useless: let the orchestrator restart it.
                root.trigger();
            }
        }
    }));
    tokio::pin!(runs);
    tokio::select! {
        _ = &mut runs => {}
        () = token.cancelled() => {
            if tokio::time::timeout(grace, &mut runs).await.is_err() {
                tracing::warn!("workers did not drain within the grace period");
            }
        }
    }
    process.finish(&settings).await;
    Ok(())
}

/// Creates the topics that are missing, retrying with backoff until the broker lets it.
async fn provision_topics(kafka: switchyard_topics::KafkaConfig) -> anyhow::Result<()> {
    (|| switchyard_topics::ensure_topics(&kafka))
        .retry(
            ExponentialBuilder::default()
                .with_min_delay(Duration::from_millis(500))
                .with_max_delay(Duration::from_secs(10))
                .without_max_times(),
        )
        .notify(|error, delay| {
            tracing::warn!(%error, retry_in_ms = delay.as_millis() as u64, "topics not provisioned yet");
        })
        .await
        .map_err(anyhow::Error::from)
}

/// One line on stdout per listener, so operators (and tests) see where to connect.
fn announce(what: &str, address: SocketAddr) {
    #[allow(clippy::print_stdout)]
    {
        println!("switchyard: {what} on http://{address}");
    }
}

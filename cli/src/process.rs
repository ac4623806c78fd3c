//! What every long-running role does around its own work: telemetry, the shutdown root, the
//! metrics registry, readiness probes and the admin listener.
//!
//! [`Process::start`] brings these up without waiting for the broker or the database: a role
//! that starts before its dependencies reports not-ready on `/readyz` and retries, it never
//! panics. Readiness ([`ReadinessPlan`]): the database always; the broker for workers; for a
//! process whose only role is the ingress, its listener instead, with the broker advisory (the
//! ingress acknowledges through its spool while the broker is away). The broker's health is
//! always a metric and a log ([`crate::broker_watch`]). [`Process::finish`] drains everything
//! within the configured grace period.

use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use anyhow::Context;
use prometheus_client::registry::Registry;
use sqlx::PgPool;
use switchyard_runtime::admin::AdminServer;
use switchyard_runtime::database::{self, DatabaseProbe};
use switchyard_runtime::readiness::{Probe, ProbeFuture, Readiness};
use switchyard_runtime::shutdown::{DrainOutcome, ShutdownRoot};
use switchyard_runtime::telemetry::{self, TelemetryGuard};
use switchyard_topics::Producer;

use crate::broker_watch::BrokerGauge;
use crate::settings::Settings;

/// Timeout of each readiness probe.
const PROBE_TIMEOUT: Duration = Duration::from_secs(2);

/// The process's metrics registry. No prefix: every metric name carries `switchyard_` itself, so
/// the served names are the ones the components register and the README lists (tested below).
fn metrics_registry() -> Registry {
    Registry::default()
}

/// The plumbing of one running process.
pub struct Process {
    /// Every task hangs off this root.
    pub shutdown: ShutdownRoot,
    /// Lazy database pool (connects on first use).
    pub pool: PgPool,
    /// The process's producer (idempotent, acks=all).
    pub producer: Producer,
    /// Metrics registry; components register before [`Process::serve_admin`].
    pub registry: Registry,
    broker_gauge: BrokerGauge,
    _telemetry: TelemetryGuard,
}

/// What `/readyz` requires of this process's roles.
pub struct ReadinessPlan {
    /// Whether an unreachable broker makes the process unready (workers); otherwise it is shown
    /// as advisory (the ingress alone).
    pub broker_required: bool,
    /// Set once the ingress listener is bound, for a process that runs the ingress.
    pub listening: Option<Listening>,
}

/// Whether the ingress listener is bound (a readiness probe).
#[derive(Clone, Default)]
pub struct Listening(Arc<AtomicBool>);

impl Listening {
    /// Marks the listener bound.
    pub fn bound(&self) {
        self.0.store(true, Ordering::Release);
    }
}

impl Probe for Listening {
    fn name(&self) -> &'static str {
        "ingress_listener"
    }

    fn check(&self) -> ProbeFuture<'_> {
        let bound = self.0.load(Ordering::Acquire);
        Box::pin(async move {
            if bound {
                Ok(())
            } else {
                Err("the ingress listener is not bound yet".to_owned())
            }
        })
    }
}

impl Process {
    /// Telemetry, signals, database pool and producer; nothing here waits for the network.
    pub fn start(settings: &Settings) -> anyhow::Result<Self> {
        let telemetry = telemetry::init(&settings.telemetry)?;
        let shutdown = ShutdownRoot::new();
        shutdown.listen_for_signals();
        let pool = database::connect(&settings.database)?;
        let producer = Producer::new(&settings.kafka).context("creating the Kafka producer")?;
        let mut registry = metrics_registry();
        let broker_gauge = BrokerGauge::register(&mut registry);
        Ok(Self {
            shutdown,
            pool,
            producer,
            registry,
            broker_gauge,
            _telemetry: telemetry,
        })
    }

    /// Binds and serves the admin listener (health, readiness as `plan` says, metrics, plus the
    /// `operator` routes behind `admin.token`) and starts the broker watch; returns the bound
    /// address (the configured port may be 0).
    pub async fn serve_admin(
        &mut self,
        settings: &Settings,
        operator: axum::Router,
        plan: ReadinessPlan,
    ) -> anyhow::Result<SocketAddr> {
        let mut readiness = Readiness::new(PROBE_TIMEOUT).with(DatabaseProbe(self.pool.clone()));
        let broker = BrokerProbe(self.producer.clone());
        readiness = if plan.broker_required {
            readiness.with(broker)
        } else {
            readiness.advise(broker)
        };
        if let Some(listening) = plan.listening {
            readiness = readiness.with(listening);
        }
        self.broker_gauge
            .clone()
            .watch(self.producer.clone(), PROBE_TIMEOUT, &self.shutdown);
        let registry = Arc::new(std::mem::take(&mut self.registry));
        let server = AdminServer::new(readiness, registry)
            .with_operator_api(operator, settings.admin.token.clone());
        let listener = tokio::net::TcpListener::bind(settings.admin.listen)
            .await
            .with_context(|| format!("binding the admin listener on {}", settings.admin.listen))?;
        let address = listener.local_addr()?;
        tracing::info!(%address, "admin listener: /healthz /readyz /metrics");
        let token = self.shutdown.token();
        self.shutdown.spawn(async move {
            if let Err(error) = server.serve(listener, token).await {
                tracing::error!(%error, "admin listener failed");
            }
        });
        Ok(address)
    }

    /// Waits for the first signal, then drains every task within the grace period.
    pub async fn finish(self, settings: &Settings) {
        self.shutdown.token().cancelled().await;
        let grace = Duration::from_millis(settings.shutdown.grace_ms);
        match self.shutdown.drain(grace).await {
            DrainOutcome::Clean => tracing::info!("drained; bye"),
            DrainOutcome::TimedOut { remaining } => {
                tracing::warn!(
                    remaining,
                    "grace period over; exiting with tasks still running"
                )
            }
        }
        if let Err(error) = self.producer.flush(Duration::from_secs(5)) {
            tracing::warn!(%error, "producer flush on exit failed");
        }
    }
}

/// Readiness probe: the broker answers a metadata request.
struct BrokerProbe(Producer);

impl Probe for BrokerProbe {
    fn name(&self) -> &'static str {
        "broker"
    }

    fn check(&self) -> ProbeFuture<'_> {
        Box::pin(async move {
            if self.0.broker_reachable(PROBE_TIMEOUT).await {
                Ok(())
            } else {
                Err("broker did not answer a metadata request".to_owned())
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use prometheus_client::registry::Registry;
    use switchyard_ingress::IngressMetrics;
    use switchyard_runtime::admin::AdminServer;
    use switchyard_runtime::readiness::Readiness;
    use switchyard_runtime::shutdown::ShutdownRoot;
    use switchyard_workers::WorkerMetrics;

    use super::{metrics_registry, PROBE_TIMEOUT};

    /// Every backticked `switchyard_…` metric name in the README (label sets stripped).
    fn readme_metric_names() -> Vec<String> {
        let readme = include_str!("../../README.md");
        let mut names: Vec<String> = readme
            .split('`')
            .skip(1)
            .step_by(2)
            .filter(|quoted| quoted.starts_with("switchyard_"))
            .map(|quoted| quoted.split('{').next().unwrap_or(quoted).to_owned())
            .filter(|name| !name.ends_with('_'))
            .filter(|name| name.chars().all(|c| c.is_ascii_lowercase() || c == '_'))
            .collect();
        names.sort();
        names.dedup();
        names
    }

    /// The names of the families registered in `registry` (with any prefix applied).
    ///
    /// The text encoding leaves out a labelled family until it has a child, so a fresh process
    /// serves only part of its names; the registry's `Debug` lists every descriptor.
    fn registered_names(registry: &Registry) -> Vec<String> {
        format!("{registry:?}")
            .split("name: \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
            .map(str::to_owned)
            .collect()
    }

    #[tokio::test]
    async fn every_metric_the_readme_names_is_registered_and_served_names_are_documented() {
        let mut registry = metrics_registry();
        let ingress = IngressMetrics::register(&mut registry);
        WorkerMetrics::register(&mut registry);
        crate::broker_watch::BrokerGauge::register(&mut registry);
        ingress.count("dujiao_order", "accepted");
        let registered = registered_names(&registry);

        let server = AdminServer::new(Readiness::new(PROBE_TIMEOUT), Arc::new(registry));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let address = listener.local_addr().expect("address");
        let root = ShutdownRoot::new();
        let serving = root.spawn(server.serve(listener, root.token()));
        let served = reqwest::get(format!("http://{address}/metrics"))
            .await
            .expect("scrape")
            .text()
            .await
            .expect("body");
        root.trigger();
        let _ = serving.await;

        let documented = readme_metric_names();
        assert!(
            documented.len() >= 10,
            "the README lists the metrics: {documented:?}"
        );
        // OpenMetrics declares a counter under its base name; its samples add `_total`.
        let family = |name: &str| name.strip_suffix("_total").unwrap_or(name).to_owned();
        for name in &documented {
            assert!(
                registered.contains(&family(name)),
                "README names `{name}`, which no component registers: {registered:?}"
            );
        }
        let served_families: Vec<&str> = served
            .lines()
            .filter_map(|line| line.strip_prefix("# TYPE "))
            .filter_map(|declared| declared.split(' ').next())
            .collect();
        assert!(served_families.len() >= 5, "{served}");
        for name in served_families {
            assert!(
                documented.iter().any(|doc| family(doc) == name),
                "/metrics serves `{name}`, which the README does not list:\n{served}"
            );
        }
        assert!(!served.contains("switchyard_switchyard_"), "{served}");
    }
}

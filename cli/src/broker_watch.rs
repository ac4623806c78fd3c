//! Broker health as a metric and a log, for every role: `switchyard_broker_reachable` (1 while
//! the broker answers a metadata request, 0 while it does not), checked every
//! [`WATCH_INTERVAL`], and one log line per change (a warning when it goes away).
//!
//! Contract: this never decides readiness. Workers also require the broker on `/readyz`; the
//! ingress does not (it acknowledges through its spool while the broker is away), so there this
//! gauge and the log are how an SRE sees the broker is gone.

use std::time::Duration;

use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;
use switchyard_runtime::shutdown::ShutdownRoot;
use switchyard_topics::Producer;

/// How often the broker is checked.
pub const WATCH_INTERVAL: Duration = Duration::from_secs(5);

/// The gauge, registered on the process's registry.
#[derive(Clone, Default)]
pub struct BrokerGauge(Gauge);

impl BrokerGauge {
    /// Registers `switchyard_broker_reachable`.
    pub fn register(registry: &mut Registry) -> Self {
        let gauge = Self::default();
        registry.register(
            "switchyard_broker_reachable",
            "1 while the broker answers a metadata request, 0 while it does not",
            gauge.0.clone(),
        );
        gauge
    }

    /// Checks the broker every [`WATCH_INTERVAL`] until shutdown.
    pub fn watch(self, producer: Producer, timeout: Duration, root: &ShutdownRoot) {
        let token = root.token();
        root.spawn(async move {
            let mut was_up: Option<bool> = None;
            loop {
                let up = producer.broker_reachable(timeout).await;
                self.0.set(i64::from(up));
                match (was_up, up) {
                    (Some(true), false) | (None, false) => tracing::warn!(
                        "the broker does not answer: the ingress acknowledges through its spool, workers wait"
                    ),
                    (Some(false), true) => tracing::info!("the broker answers again"),
                    _ => {}
                }
                was_up = Some(up);
                tokio::select! {
                    () = tokio::time::sleep(WATCH_INTERVAL) => {}
                    () = token.cancelled() => break,
                }
            }
        });
    }
}

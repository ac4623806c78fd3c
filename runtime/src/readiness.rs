//! Readiness probes: each dependency a role needs (broker, database) implements [`Probe`]; the
//! admin listener's `/readyz` runs them all concurrently, each under a short timeout, and is green
//! only when every probe passes.

use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// What a probe returns: `Err` carries a short reason without secrets.
pub type ProbeFuture<'a> = Pin<Box<dyn Future<Output = Result<(), String>> + Send + 'a>>;

/// One dependency's reachability check.
pub trait Probe: Send + Sync + 'static {
    /// Stable name shown in `/readyz` output (e.g. `broker`, `database`).
    fn name(&self) -> &'static str;
    /// Checks the dependency once.
    fn check(&self) -> ProbeFuture<'_>;
}

/// The outcome of one probe.
#[derive(Debug, Clone, serde::Serialize)]
pub struct ProbeOutcome {
    /// Probe name.
    pub name: &'static str,
    /// Whether it passed.
    pub ok: bool,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every probe of a process.
#[derive(Clone, Default)]
pub struct Readiness {
    probes: Vec<Arc<dyn Probe>>,
    timeout: Duration,
}

impl Readiness {
    /// No probes yet; each probe gets `timeout` to answer.
    pub fn new(timeout: Duration) -> Self {
        Self {
            probes: Vec::new(),
            timeout,
        }
    }

    /// Adds a probe.
    pub fn with(mut self, probe: impl Probe) -> Self {
        self.probes.push(Arc::new(probe));
        self
    }

    /// Runs every probe concurrently.
    pub async fn check(&self) -> Vec<ProbeOutcome> {
        let checks = self.probes.iter().map(|probe| async move {
            let result = tokio::time::timeout(self.timeout, probe.check()).await;
            let error = match result {
                Ok(Ok(())) => None,
                Ok(Err(reason)) => Some(reason),
                Err(_) => Some(format!("no answer within {} ms", self.timeout.as_millis())),
            };
            ProbeOutcome {
                name: probe.name(),
                ok: error.is_none(),
                error,
            }
        });
        futures::future::join_all(checks).await
    }
}

//! Readiness probes: each dependency a role needs (broker, database) implements [`Probe`]; the
//! admin listener's `/readyz` runs them all concurrently, each under a short timeout, and is green
//! only when every *required* probe passes. An *advisory* probe ([`Readiness::advise`]) is run and
//! shown with the others but never makes the process unready: the ingress keeps acknowledging
//! (through its spool) while the broker is away, so the broker is advisory there.

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
    /// Whether a failure makes the process unready (advisory probes do not).
    pub required: bool,
    /// Why it failed, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
}

/// Every probe of a process.
#[derive(Clone, Default)]
pub struct Readiness {
    probes: Vec<(Arc<dyn Probe>, bool)>,
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

    /// Adds a required probe.
    pub fn with(mut self, probe: impl Probe) -> Self {
        self.probes.push((Arc::new(probe), true));
        self
    }

    /// Adds an advisory probe: shown, never a reason to be unready.
    pub fn advise(mut self, probe: impl Probe) -> Self {
        self.probes.push((Arc::new(probe), false));
        self
    }

    /// Whether these outcomes make the process ready: every required probe passed.
    pub fn ready(outcomes: &[ProbeOutcome]) -> bool {
        outcomes
            .iter()
            .all(|outcome| outcome.ok || !outcome.required)
    }

    /// Runs every probe concurrently.
    pub async fn check(&self) -> Vec<ProbeOutcome> {
        let checks = self.probes.iter().map(|(probe, required)| async move {
            let result = tokio::time::timeout(self.timeout, probe.check()).await;
            let error = match result {
                Ok(Ok(())) => None,
                Ok(Err(reason)) => Some(reason),
                Err(_) => Some(format!("no answer within {} ms", self.timeout.as_millis())),
            };
            ProbeOutcome {
                name: probe.name(),
                ok: error.is_none(),
                required: *required,
                error,
            }
        });
        futures::future::join_all(checks).await
    }
}

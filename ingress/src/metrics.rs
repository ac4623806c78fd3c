//! Prometheus metrics of the ingress, registered once on the process registry.
//!
//! `switchyard_ingress_requests_total{endpoint,outcome}` counts every answered request by what
//! happened (`accepted`, `duplicate`, `rejected`, `unavailable`, `shed`, `too_large`);
//! `switchyard_ingress_events_spooled_total` and `switchyard_ingress_spool_drained_total` show
//! broker outages and recovery; `switchyard_ingress_unconfirmed_deliveries_total` counts broker
//! reports that named no offset (those events were spooled instead of acknowledged on the report's
//! word); `switchyard_ingress_requests_waiting` is how many requests wait for a service slot right
//! now (the overload queue); `switchyard_ingress_dstore_answers_signed_total` counts private-key
//! operations (only verified D-Store requests get one);
//! `switchyard_ingress_dujiao_credential_lookups_total` counts database reads of a Dujiao-Next
//! credential by API key (an unknown key is read once per `unknown_key_cache_ttl_ms`);
//! `switchyard_ingress_connections_open` and `switchyard_ingress_connections_refused_total` show
//! the connection cap (`max_connections`). Names carry the `switchyard_` namespace themselves: the process registry adds none.
//! Labels never carry keys, ids or personal data.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of `switchyard_ingress_requests_total`.
#[derive(Debug, Clone, Hash, PartialEq, Eq, EncodeLabelSet)]
pub struct RequestLabels {
    /// Stable endpoint name, e.g. `dstore_create_order`.
    pub endpoint: &'static str,
    /// What happened.
    pub outcome: &'static str,
}

/// Handles to the ingress metrics (cheap to clone).
#[derive(Clone, Default)]
pub struct IngressMetrics {
    /// Answered requests by endpoint and outcome.
    pub requests: Family<RequestLabels, Counter>,
    /// Events acknowledged through the spool.
    pub spooled: Counter,
    /// Spooled events later confirmed by the broker.
    pub drained: Counter,
    /// Deliveries the broker reported without an offset (spooled, not trusted).
    pub unconfirmed: Counter,
    /// Requests waiting for a service slot right now.
    pub waiting: Gauge,
    /// D-Store answers signed with a POS private key (one private-key operation each).
    pub dstore_signed: Counter,
    /// Database reads of a Dujiao-Next credential by API key.
    pub credential_lookups: Counter,
    /// Client connections open right now.
    pub connections_open: Gauge,
    /// Client connections closed at once because `max_connections` were open.
    pub connections_refused: Counter,
}

impl IngressMetrics {
    /// Creates the metrics and registers them on `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "switchyard_ingress_requests",
            "Partner requests answered, by endpoint and outcome",
            metrics.requests.clone(),
        );
        registry.register(
            "switchyard_ingress_events_spooled",
            "Events acknowledged through the Postgres spool because the broker did not confirm in time",
            metrics.spooled.clone(),
        );
        registry.register(
            "switchyard_ingress_spool_drained",
            "Spooled events later confirmed by the broker",
            metrics.drained.clone(),
        );
        registry.register(
            "switchyard_ingress_unconfirmed_deliveries",
            "Broker delivery reports without an offset; the event was spooled rather than trusted",
            metrics.unconfirmed.clone(),
        );
        registry.register(
            "switchyard_ingress_requests_waiting",
            "Requests waiting for a service slot right now",
            metrics.waiting.clone(),
        );
        registry.register(
            "switchyard_ingress_dstore_answers_signed",
            "D-Store answers signed with a POS private key; refusals of unverified requests are not signed",
            metrics.dstore_signed.clone(),
        );
        registry.register(
            "switchyard_ingress_dujiao_credential_lookups",
            "Database reads of a Dujiao-Next credential by API key (cached and known-unknown keys read none)",
            metrics.credential_lookups.clone(),
        );
        registry.register(
            "switchyard_ingress_connections_open",
            "Client connections open right now",
            metrics.connections_open.clone(),
        );
        registry.register(
            "switchyard_ingress_connections_refused",
            "Client connections answered 503 and closed because max_connections were open",
            metrics.connections_refused.clone(),
        );
        metrics
    }

    /// Counts one answered request.
    pub fn count(&self, endpoint: &'static str, outcome: &'static str) {
        self.requests
            .get_or_create(&RequestLabels { endpoint, outcome })
            .inc();
    }
}

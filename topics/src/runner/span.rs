//! The tracing span of one handled event.
//!
//! Contract: every handler call runs inside an `event` span carrying the worker, topic,
//! partition, offset and event id. When the record has a W3C `traceparent` header, that context
//! is the span's parent, so an OpenTelemetry exporter links the consumer's work to the request
//! that produced the event (one trace per order). A malformed header is ignored: the span then
//! starts a trace of its own.

use opentelemetry::propagation::{Extractor, TextMapPropagator};
use opentelemetry::trace::TraceContextExt;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use tracing_opentelemetry::OpenTelemetrySpanExt;

use super::handler::Delivery;

/// The span the handler of `delivery` runs in.
pub(crate) fn event_span(worker: &str, delivery: &Delivery) -> tracing::Span {
    let span = tracing::info_span!(
        "event",
        otel.kind = "consumer",
        worker,
        topic = &*delivery.topic,
        partition = delivery.partition,
        offset = delivery.offset,
        event_id = %delivery.event_id,
        attempt = delivery.attempt,
    );
    if let Some(traceparent) = delivery.traceparent.as_deref() {
        let parent = TraceContextPropagator::new().extract(&TraceParent(traceparent));
        if parent.span().span_context().is_valid() {
            let _ = span.set_parent(parent);
        }
    }
    span
}

/// A carrier holding only a `traceparent` value.
struct TraceParent<'a>(&'a str);

impl Extractor for TraceParent<'_> {
    fn get(&self, key: &str) -> Option<&str> {
        (key == "traceparent").then_some(self.0)
    }

    fn keys(&self) -> Vec<&str> {
        vec!["traceparent"]
    }
}

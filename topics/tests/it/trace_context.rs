//! One trace per order: the runner's span for an event continues the trace of the producer's
//! `traceparent` header, and names the worker, topic, partition, offset and event id.

use std::sync::{Arc, OnceLock};
use std::time::{Duration, Instant};

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_sdk::trace::{InMemorySpanExporter, SdkTracerProvider};
use switchyard_topics::{encode, ensure_topics, EventMeta, Producer, Runner, RunnerMetrics};
use tokio_util::sync::CancellationToken;
use tracing_subscriber::layer::SubscriberExt;

use crate::common::*;

const TRACE_ID: &str = "4bf92f3577b34da6a3ce929d0e0e4736";
const PARENT_SPAN_ID: &str = "00f067aa0ba902b7";

/// The process-wide subscriber exporting to memory. Global, not a thread's default: other tests
/// of this binary run concurrently, and a callsite first seen without a subscriber can be
/// cached as uninteresting for a thread-scoped one. Spans are told apart by their topic.
fn exporter() -> &'static (InMemorySpanExporter, SdkTracerProvider) {
    static EXPORTER: OnceLock<(InMemorySpanExporter, SdkTracerProvider)> = OnceLock::new();
    EXPORTER.get_or_init(|| {
        let exporter = InMemorySpanExporter::default();
        let provider = SdkTracerProvider::builder()
            .with_simple_exporter(exporter.clone())
            .build();
        let subscriber = tracing_subscriber::registry()
            .with(tracing_opentelemetry::layer().with_tracer(provider.tracer("test")));
        tracing::subscriber::set_global_default(subscriber).expect("the only global subscriber");
        (exporter, provider)
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_event_span_continues_the_producers_trace() {
    let (exporter, provider) = exporter();

    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let db = test_database().await;
    let event = stock_event("traced", 1);
    let meta = EventMeta::new().with_traceparent(format!("00-{TRACE_ID}-{PARENT_SPAN_ID}-01"));
    let encoded = encode(&config, &event, meta).unwrap();
    Producer::new(&config)
        .unwrap()
        .send(&encoded, Duration::from_secs(10))
        .await
        .unwrap();

    let seen: Seen = Arc::default();
    let handler = ScriptedHandler {
        pool: db.pool().clone(),
        script: Arc::new(|_, _| None),
        seen: Arc::clone(&seen),
    };
    let runner = Runner::new(
        &config,
        "stock-syncer",
        handler,
        db.pool().clone(),
        RunnerMetrics::default(),
    )
    .unwrap();
    let stop = CancellationToken::new();
    let running = tokio::spawn(runner.run(stop.clone()));
    let deadline = Instant::now() + Duration::from_secs(30);
    while seen.lock().unwrap().is_empty() {
        assert!(Instant::now() < deadline, "the event was not handled");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    stop.cancel();
    running.await.unwrap().unwrap();
    provider.force_flush().unwrap();

    let topic = format!("{}stock.changed", config.topic_prefix);
    let spans = exporter.get_finished_spans().unwrap();
    let span = spans
        .iter()
        .filter(|span| span.name == "event")
        .find(|span| {
            span.attributes
                .iter()
                .any(|kv| kv.key.as_str() == "topic" && kv.value.to_string() == topic)
        })
        .unwrap_or_else(|| {
            panic!(
                "no `event` span among {:?}",
                spans.iter().map(|s| s.name.clone()).collect::<Vec<_>>()
            )
        });
    assert_eq!(span.span_context.trace_id().to_string(), TRACE_ID);
    assert_eq!(span.parent_span_id.to_string(), PARENT_SPAN_ID);
    let attribute = |key: &str| {
        span.attributes
            .iter()
            .find(|kv| kv.key.as_str() == key)
            .map(|kv| kv.value.to_string())
    };
    assert_eq!(attribute("worker").as_deref(), Some("stock-syncer"));
    assert_eq!(
        attribute("topic"),
        Some(format!("{}stock.changed", config.topic_prefix))
    );
    assert_eq!(attribute("event_id"), Some(encoded.event_id.to_string()));
    assert!(attribute("partition").is_some() && attribute("offset").is_some());
}

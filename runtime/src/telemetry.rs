//! Telemetry, set up once per process by [`init`]: a `tracing` subscriber writing human or JSON
//! logs to stderr, filtered by `telemetry.filter` (or `RUST_LOG`), and — when
//! `telemetry.otlp_endpoint` is set — an OpenTelemetry layer exporting spans over OTLP/HTTP with
//! the W3C trace-context propagator installed globally (so `traceparent` headers travel from
//! webhook to Kafka header to outbound partner call).
//!
//! Log lines carry structured fields; secrets and personal data are never fields (the types that
//! hold them redact their `Debug`).

use opentelemetry::trace::TracerProvider as _;
use opentelemetry_otlp::WithExportConfig;
use opentelemetry_sdk::propagation::TraceContextPropagator;
use opentelemetry_sdk::trace::SdkTracerProvider;
use opentelemetry_sdk::Resource;
use serde::Deserialize;
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::{EnvFilter, Layer};

/// Log line format.
#[derive(Debug, Clone, Copy, Default, Deserialize, PartialEq, Eq)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable lines (default).
    #[default]
    Human,
    /// One JSON object per line, for log shippers.
    Json,
}

/// `[telemetry]` section.
#[derive(Debug, Clone, Deserialize)]
#[serde(default, deny_unknown_fields)]
pub struct TelemetryConfig {
    /// Log line format.
    pub format: LogFormat,
    /// `tracing` filter directive, e.g. `info,switchyard=debug`; `RUST_LOG` wins when set.
    pub filter: String,
    /// OTLP/HTTP endpoint (e.g. `http://collector:4318/v1/traces`); no export when unset.
    pub otlp_endpoint: Option<String>,
    /// `service.name` resource attribute of exported spans.
    pub service_name: String,
}

impl Default for TelemetryConfig {
    fn default() -> Self {
        Self {
            format: LogFormat::Human,
            filter: "info".to_owned(),
            otlp_endpoint: None,
            service_name: "switchyard".to_owned(),
        }
    }
}

/// Keeps the exporter alive; dropping it flushes pending spans.
pub struct TelemetryGuard {
    provider: Option<SdkTracerProvider>,
}

impl Drop for TelemetryGuard {
    fn drop(&mut self) {
        if let Some(provider) = self.provider.take() {
            if let Err(error) = provider.shutdown() {
                tracing::warn!(%error, "span exporter did not shut down cleanly");
            }
        }
    }
}

/// Errors setting telemetry up.
#[derive(Debug, thiserror::Error)]
pub enum TelemetryError {
    /// The filter directive does not parse.
    #[error("invalid configuration: `telemetry.filter`: {0}")]
    Filter(String),
    /// The OTLP exporter could not be built.
    #[error("invalid configuration: `telemetry.otlp_endpoint`: {0}")]
    Exporter(String),
    /// A global subscriber was already installed.
    #[error("telemetry already initialised")]
    AlreadyInitialised,
}

/// Installs the global subscriber (and exporter). Call once, early in `main`.
pub fn init(config: &TelemetryConfig) -> Result<TelemetryGuard, TelemetryError> {
    let filter = match std::env::var("RUST_LOG") {
        Ok(directive) if !directive.is_empty() => EnvFilter::try_new(directive),
        _ => EnvFilter::try_new(&config.filter),
    }
    .map_err(|error| TelemetryError::Filter(error.to_string()))?;

    let fmt_layer = match config.format {
        LogFormat::Human => tracing_subscriber::fmt::layer()
            .with_writer(std::io::stderr)
            .boxed(),
        LogFormat::Json => tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(true)
            .with_writer(std::io::stderr)
            .boxed(),
    };

    let provider = config
        .otlp_endpoint
        .as_deref()
        .map(|endpoint| build_provider(endpoint, &config.service_name))
        .transpose()?;
    let otel_layer = provider
        .as_ref()
        .map(|provider| tracing_opentelemetry::layer().with_tracer(provider.tracer("switchyard")));
    opentelemetry::global::set_text_map_propagator(TraceContextPropagator::new());

    tracing_subscriber::registry()
        .with(filter)
        .with(fmt_layer)
        .with(otel_layer)
        .try_init()
        .map_err(|_| TelemetryError::AlreadyInitialised)?;
    Ok(TelemetryGuard { provider })
}

fn build_provider(endpoint: &str, service_name: &str) -> Result<SdkTracerProvider, TelemetryError> {
    let exporter = opentelemetry_otlp::SpanExporter::builder()
        .with_http()
        .with_endpoint(endpoint)
        .build()
        .map_err(|error| TelemetryError::Exporter(error.to_string()))?;
    Ok(SdkTracerProvider::builder()
        .with_batch_exporter(exporter)
        .with_resource(
            Resource::builder()
                .with_service_name(service_name.to_owned())
                .build(),
        )
        .build())
}

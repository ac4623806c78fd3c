//! `switchyard topics`: creates missing topics (and their retry and dead-letter topics) and
//! verifies existing ones against the catalogue.

use anyhow::Context;

use crate::settings::Settings;

/// Provisions the topic catalogue on the configured broker.
pub async fn run(settings: &Settings) -> anyhow::Result<()> {
    let _telemetry = switchyard_runtime::telemetry::init(&settings.telemetry)?;
    switchyard_topics::ensure_topics(&settings.kafka)
        .await
        .context("provisioning topics")?;
    tracing::info!(prefix = %settings.kafka.topic_prefix, "topics ready");
    Ok(())
}

//! `switchyard replay`: re-publishes one worker's dead letters of one topic to their origin.
//!
//! The replay keeps its own cursor (group `{group_prefix}replay.{worker}`), so running it twice
//! re-publishes only dead letters that arrived since; other workers' dead letters are skipped.

use anyhow::Context;
use clap::Args;
use switchyard_topics::{replay, ReplayRequest};

use crate::settings::Settings;

/// Which dead letters to replay.
#[derive(Debug, Args)]
pub struct ReplayArgs {
    /// Logical origin topic, e.g. `orders.accepted` (its dead letters are in `<topic>.dlq`).
    #[arg(long)]
    pub topic: String,
    /// Worker whose dead letters to replay, e.g. `procurer`.
    #[arg(long)]
    pub worker: String,
    /// Stop after this many events.
    #[arg(long)]
    pub max: Option<usize>,
}

/// Runs the replay and prints what it did.
pub async fn run(settings: &Settings, args: ReplayArgs) -> anyhow::Result<()> {
    let _telemetry = switchyard_runtime::telemetry::init(&settings.telemetry)?;
    let request = ReplayRequest {
        logical_topic: args.topic,
        worker: args.worker,
        max_events: args.max,
    };
    let report = replay(&settings.kafka, &request)
        .await
        .context("replaying dead letters")?;
    #[allow(clippy::print_stdout)]
    {
        println!(
            "replayed {} dead letter(s) of {} for {}; skipped {} of other workers",
            report.republished, request.logical_topic, request.worker, report.skipped
        );
    }
    Ok(())
}

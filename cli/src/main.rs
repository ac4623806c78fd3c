//! The `switchyard` binary: one image, one binary, many roles.
//!
//! `up` runs the ingress and every worker in one process (the embedded default for a laptop);
//! `ingress` and `worker NAME` run one role each (how Kubernetes scales them); `migrate`,
//! `topics`, `replay` and `admin` are operator commands. Configuration is layered: built-in
//! defaults, then the TOML file given by `--config`/`SWITCHYARD_CONFIG`, then `SWITCHYARD_…`
//! environment variables.

mod broker_watch;
mod commands;
mod process;
mod settings;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

/// Every role allocates per request and per event; mimalloc is markedly cheaper than glibc's
/// malloc under tokio's thread hopping (see BENCHMARKS.md, runner).
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// Switchyard: an integration hub for partner order platforms on Kafka and PostgreSQL.
#[derive(Debug, Parser)]
#[command(name = "switchyard", version, about, long_about = None)]
struct Cli {
    /// Optional TOML configuration file (layered over the defaults, under the environment).
    #[arg(long, global = true, env = "SWITCHYARD_CONFIG")]
    config: Option<PathBuf>,

    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Run the ingress and every worker in one process (the local default).
    Up,
    /// Run only the HTTP ingress (partner webhooks and APIs) and its spool drainer.
    Ingress,
    /// Run one worker: one consumer group, scaled by running more replicas.
    Worker {
        /// Which worker to run (every worker the registry holds).
        #[arg(value_parser = commands::up::worker_parser())]
        name: &'static switchyard_workers::Registration,
    },
    /// Create the database if it is missing and apply pending migrations (idempotent).
    Migrate,
    /// Create missing topics (and their dead-letter topics) and verify existing ones.
    Topics,
    /// Re-publish a worker's dead-lettered events of one topic to their origin topic.
    Replay(commands::replay::ReplayArgs),
    /// Print the effective configuration with secrets redacted, and exit.
    Config,
    /// Operator commands over the admin listener's API (credentials, wallets, catalog, connections).
    Admin(commands::admin::AdminArgs),
    /// Operator commands for procurement orders: list, show attempts, retry a failed one, cancel.
    Procurement(commands::procurement::ProcurementArgs),
    /// Reconciliation with the partners: start a run, list runs and discrepancies, resolve one.
    Reconciliation(commands::reconciliation::ReconciliationArgs),
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let settings = match settings::Settings::load(cli.config.as_deref()) {
        Ok(settings) => settings,
        Err(error) => {
            // The one clear line the operator sees; telemetry is not up yet.
            #[allow(clippy::print_stderr)]
            {
                eprintln!("switchyard: {error}");
            }
            return ExitCode::from(2);
        }
    };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(error) => {
            #[allow(clippy::print_stderr)]
            {
                eprintln!("switchyard: cannot start the async runtime: {error}");
            }
            return ExitCode::FAILURE;
        }
    };
    let outcome = runtime.block_on(commands::run(cli.command, settings));
    match outcome {
        Ok(()) => ExitCode::SUCCESS,
        Err(error) => {
            tracing::error!("{error:#}");
            #[allow(clippy::print_stderr)]
            {
                eprintln!("switchyard: {error:#}");
            }
            ExitCode::FAILURE
        }
    }
}

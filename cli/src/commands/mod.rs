//! One module per subcommand, plus [`client`], the operator API client `admin` and
//! `procurement` share; [`run`] dispatches.

pub mod admin;
pub mod channel_products;
pub mod client;
pub mod config;
pub mod mappings;
pub mod migrate;
pub mod procurement;
pub mod reconciliation;
pub mod replay;
pub mod topics;
pub mod up;

use crate::settings::Settings;
use crate::Command;

/// Runs one subcommand to completion.
pub async fn run(command: Command, settings: Settings) -> anyhow::Result<()> {
    match command {
        Command::Up => up::run(settings, up::Roles::all()).await,
        Command::Ingress => up::run(settings, up::Roles::ingress_only()).await,
        Command::Worker { name } => up::run(settings, up::Roles::worker(name)).await,
        Command::Migrate => migrate::run(&settings).await,
        Command::Topics => topics::run(&settings).await,
        Command::Config => config::run(&settings),
        Command::Replay(args) => replay::run(&settings, args).await,
        Command::Admin(args) => admin::run(&settings, args).await,
        Command::Procurement(args) => procurement::run(args, &settings).await,
        Command::Reconciliation(args) => reconciliation::run(args, &settings).await,
    }
}

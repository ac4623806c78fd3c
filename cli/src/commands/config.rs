//! `switchyard config`: prints the effective configuration, secrets redacted.

use crate::settings::Settings;

/// Prints the settings' `Debug` form (every secret type redacts itself).
pub fn run(settings: &Settings) -> anyhow::Result<()> {
    #[allow(clippy::print_stdout)]
    {
        println!("{settings:#?}");
    }
    Ok(())
}

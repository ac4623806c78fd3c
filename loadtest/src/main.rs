//! `loadtest`: open-loop signed load against Switchyard's ingress (see `loadtest --help` and
//! loadtest/BENCHMARKS.md). Prints the report as a table on stdout, optionally writes it as JSON,
//! and exits 1 when the topic verification found a lost or doubled event or, in `e2e`, when an
//! acknowledged order was not seen delivered.

use std::io::Write;
use std::process::ExitCode;

use anyhow::Context;
use clap::Parser;
use switchyard_loadtest::app::execute;
use switchyard_loadtest::cli::{Cli, Command};

fn main() -> ExitCode {
    match run() {
        Ok(code) => code,
        Err(error) => {
            let _ = writeln!(std::io::stderr(), "loadtest: {error:#}");
            ExitCode::from(2)
        }
    }
}

fn run() -> anyhow::Result<ExitCode> {
    let cli = Cli::parse();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .context("starting the async runtime")?;
    let report = runtime.block_on(execute(&cli.command))?;
    let load = match &cli.command {
        Command::Run(args) => &args.load,
        Command::Step(args) => &args.load,
        Command::E2e(args) => &args.load,
    };
    if let Some(path) = &load.json_out {
        let json = serde_json::to_string_pretty(&report).context("encoding the report")?;
        std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?;
    }
    let mut stdout = std::io::stdout().lock();
    stdout
        .write_all(report.render().as_bytes())
        .context("writing the report")?;
    let lost = report
        .topic_verification
        .as_ref()
        .is_some_and(|verification| !verification.passed);
    let undelivered = report
        .end_to_end
        .as_ref()
        .is_some_and(|e2e| e2e.delivered != e2e.accepted);
    Ok(if lost || undelivered {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    })
}

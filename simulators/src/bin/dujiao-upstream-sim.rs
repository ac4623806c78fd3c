//! `dujiao-upstream-sim`: the Dujiao-Next upstream simulator ([`DujiaoSimulator`]) as a process,
//! for benchmarks that run the real fleet (`loadtest/bench/e2e-fleet.sh`).
//!
//! Contract: serves one simulated site on `--listen` (default `127.0.0.1:18090`) with one
//! integrator credential (`--api-key`; secret from `$DUJIAO_SIM_SECRET`, never a flag, so it
//! stays out of process listings), a wallet of `--balance-minor`, the sample catalog (SKU 12:
//! 1.50 CNY, unlimited) and auto-fulfilment: every paid order is delivered at once and its signed
//! callback sent, retries scaled by `--callback-delay-factor` (default 1). Beside the site it is a
//! downstream shop's callback receiver: `POST /_sink/callback` answers `{"ok":true}` and counts,
//! `GET /_sink/count` says how many arrived, so the hub's downstream callbacks have a local far
//! side. Prints `dujiao-upstream-sim: listening on http://ADDR` once bound, runs until SIGTERM or
//! SIGINT, and exits 2 on bad arguments.

use std::io::Write;
use std::net::SocketAddr;
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;

use axum::extract::State;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde_json::{json, Value};
use switchyard_simulators::dujiao::{DujiaoSimConfig, DujiaoSimulator};
use switchyard_simulators::faults::spawn_on;

/// What the command line asks for.
struct Options {
    listen: SocketAddr,
    api_key: String,
    balance_minor: i64,
    callback_delay_factor: f64,
}

const USAGE: &str = "usage: DUJIAO_SIM_SECRET=... dujiao-upstream-sim --api-key KEY \
                     [--listen 127.0.0.1:18090] [--balance-minor N] [--callback-delay-factor F]";

fn parse(mut args: impl Iterator<Item = String>) -> Result<Options, String> {
    let mut options = Options {
        listen: SocketAddr::from(([127, 0, 0, 1], 18090)),
        api_key: String::new(),
        balance_minor: 1_000_000_000_000,
        callback_delay_factor: 1.0,
    };
    while let Some(flag) = args.next() {
        let value = args.next().ok_or_else(|| format!("{flag} needs a value"))?;
        let bad = || format!("{flag}: cannot use `{value}`");
        match flag.as_str() {
            "--listen" => options.listen = value.parse().map_err(|_| bad())?,
            "--api-key" => options.api_key.clone_from(&value),
            "--balance-minor" => options.balance_minor = value.parse().map_err(|_| bad())?,
            "--callback-delay-factor" => {
                options.callback_delay_factor = value.parse().map_err(|_| bad())?;
            }
            _ => return Err(format!("unknown option {flag}")),
        }
    }
    if options.api_key.is_empty() {
        return Err("--api-key is required".to_owned());
    }
    Ok(options)
}

async fn receive(State(count): State<Arc<AtomicU64>>) -> Json<Value> {
    count.fetch_add(1, Ordering::Relaxed);
    Json(json!({ "ok": true, "message": "received" }))
}

async fn received(State(count): State<Arc<AtomicU64>>) -> Json<Value> {
    Json(json!({ "received": count.load(Ordering::Relaxed) }))
}

async fn until_stopped() {
    let interrupt = tokio::signal::ctrl_c();
    match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
        Ok(mut terminate) => {
            tokio::select! {
                _ = interrupt => {}
                _ = terminate.recv() => {}
            }
        }
        Err(_) => {
            let _ = interrupt.await;
        }
    }
}

#[tokio::main]
async fn main() -> ExitCode {
    let options = match parse(std::env::args().skip(1)) {
        Ok(options) => options,
        Err(problem) => {
            let _ = writeln!(std::io::stderr(), "dujiao-upstream-sim: {problem}\n{USAGE}");
            return ExitCode::from(2);
        }
    };
    let Ok(secret) = std::env::var("DUJIAO_SIM_SECRET") else {
        let _ = writeln!(
            std::io::stderr(),
            "dujiao-upstream-sim: set DUJIAO_SIM_SECRET\n{USAGE}"
        );
        return ExitCode::from(2);
    };
    let simulator = DujiaoSimulator::new(DujiaoSimConfig {
        auto_fulfil: true,
        callback_delay_factor: options.callback_delay_factor,
        ..DujiaoSimConfig::default().with_credential(
            &options.api_key,
            &secret,
            options.balance_minor,
        )
    });
    let sink = Router::new()
        .route("/_sink/callback", post(receive))
        .route("/_sink/count", get(received))
        .with_state(Arc::new(AtomicU64::new(0)));
    let handle = match spawn_on(options.listen, simulator.router().merge(sink)).await {
        Ok(handle) => handle,
        Err(error) => {
            let _ = writeln!(
                std::io::stderr(),
                "dujiao-upstream-sim: cannot listen on {}: {error}",
                options.listen
            );
            return ExitCode::FAILURE;
        }
    };
    let _ = writeln!(
        std::io::stdout(),
        "dujiao-upstream-sim: listening on {}",
        handle.base_url()
    );
    until_stopped().await;
    handle.shutdown().await;
    ExitCode::SUCCESS
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(text: &str) -> impl Iterator<Item = String> + '_ {
        text.split_whitespace().map(str::to_owned)
    }

    #[test]
    fn flags_are_read_and_defaults_kept() {
        let options = parse(args("--api-key hub --listen 127.0.0.1:1234")).expect("valid");
        assert_eq!(options.api_key, "hub");
        assert_eq!(options.listen.port(), 1234);
        assert!((options.callback_delay_factor - 1.0).abs() < f64::EPSILON);
    }

    #[test]
    fn a_missing_key_or_value_or_an_unknown_flag_is_refused() {
        assert!(parse(args("--listen 127.0.0.1:1")).is_err());
        assert!(parse(args("--api-key")).is_err());
        assert!(parse(args("--api-key k --colour blue")).is_err());
        assert!(parse(args("--api-key k --balance-minor lots")).is_err());
    }
}

//! The command line: `loadtest run|step|e2e` with the shared load, target and credential options.
//!
//! Contract: every option has a default that works against the in-process baseline, so
//! `loadtest run` alone measures the bare handler; secrets may come from the environment so they
//! stay out of shell history, and are never echoed.

use std::path::PathBuf;
use std::time::Duration;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use secrecy::SecretString;
use switchyard_partners::dstore::DstorePrivateKey;

use crate::mix::{Credentials, FaultShares};

/// Open-loop signed load for Switchyard's ingress, with a bare-HTTP baseline.
#[derive(Debug, Parser)]
#[command(name = "loadtest", version)]
pub struct Cli {
    /// What to run.
    #[command(subcommand)]
    pub command: Command,
}

/// The modes.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// One constant-rate run (per target), optionally against the bare handler too.
    Run(RunArgs),
    /// Find the highest sustainable rate (p99 <= limit, no errors) by stepping the rate.
    Step(StepArgs),
    /// Orders through the ingress and the fleet, followed until delivered.
    E2e(E2eArgs),
}

/// `loadtest run`.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// Load shape and target.
    #[command(flatten)]
    pub load: LoadArgs,
}

/// `loadtest step`.
#[derive(Debug, Args)]
pub struct StepArgs {
    /// Load shape and target (`--rate`/`--duration` are ignored; see the step options).
    #[command(flatten)]
    pub load: LoadArgs,
    /// First rate tried, requests/s.
    #[arg(long, default_value_t = 100.0)]
    pub start_rate: f64,
    /// Rate multiplier between sustainable steps.
    #[arg(long, default_value_t = 2.0)]
    pub factor: f64,
    /// Highest rate tried, requests/s.
    #[arg(long, default_value_t = 50_000.0)]
    pub max_rate: f64,
    /// Bisection steps after the first unsustainable rate.
    #[arg(long, default_value_t = 3)]
    pub refine_steps: u32,
    /// Measured seconds per step.
    #[arg(long, default_value_t = 10.0)]
    pub step_duration: f64,
    /// Sustainable p99, milliseconds.
    #[arg(long, default_value_t = 1000.0)]
    pub p99_limit_ms: f64,
    /// Pause between steps, seconds (lets queues drain).
    #[arg(long, default_value_t = 2.0)]
    pub pause: f64,
}

/// `loadtest e2e`.
#[derive(Debug, Args)]
pub struct E2eArgs {
    /// Load shape and target (`--target` is required; only Dujiao orders are sent).
    #[command(flatten)]
    pub load: LoadArgs,
    /// Give up on an order this many seconds after its acknowledgement.
    #[arg(long, default_value_t = 60.0)]
    pub deliver_timeout: f64,
}

/// Options every mode shares.
#[derive(Debug, Args)]
pub struct LoadArgs {
    /// Base URL of the ingress under test; without it only the bare handler is measured.
    #[arg(long)]
    pub target: Option<String>,
    /// Also drive the in-process bare handler with the same requests (throughput ratio).
    #[arg(long)]
    pub baseline: bool,
    /// Requests per second.
    #[arg(long, default_value_t = 100.0)]
    pub rate: f64,
    /// Measured seconds.
    #[arg(long, default_value_t = 10.0)]
    pub duration: f64,
    /// Unmeasured seconds before the measured window.
    #[arg(long, default_value_t = 2.0)]
    pub warmup: f64,
    /// Requests in flight at most (= connections at most).
    #[arg(long, default_value_t = 256)]
    pub connections: usize,
    /// Per-request timeout, seconds.
    #[arg(long, default_value_t = 10.0)]
    pub timeout: f64,
    /// Protocol weights, `name=weight,…`, or `plain` for bare `POST /bare` requests.
    #[arg(long, default_value = crate::mix::weights_default())]
    pub mix: String,
    /// Share (0-1) of requests that repeat an acknowledged one.
    #[arg(long, default_value_t = 0.0)]
    pub duplicates: f64,
    /// Share (0-1) of requests with a tampered signature.
    #[arg(long, default_value_t = 0.0)]
    pub bad_signatures: f64,
    /// Share (0-1) of requests with a body over `--body-limit`.
    #[arg(long, default_value_t = 0.0)]
    pub oversized: f64,
    /// The target's body limit, bytes (oversized bodies exceed it by 1 KiB).
    #[arg(long, default_value_t = 256 * 1024)]
    pub body_limit: usize,
    /// Write the report as JSON here.
    #[arg(long)]
    pub json_out: Option<PathBuf>,
    /// No live progress line on stderr.
    #[arg(long)]
    pub no_progress: bool,
    /// Kafka bootstrap servers: verify every acknowledged event is on its topic exactly once.
    #[arg(long)]
    pub brokers: Option<String>,
    /// Topic prefix of the hub under test.
    #[arg(long, default_value = "")]
    pub topic_prefix: String,
    /// How long to wait for acknowledged events to appear (spooled events drain late), seconds.
    #[arg(long, default_value_t = 30.0)]
    pub verify_patience: f64,
    /// Partner credentials.
    #[command(flatten)]
    pub credentials: CredentialArgs,
}

/// The keys the hub under test is configured with.
#[derive(Debug, Args)]
pub struct CredentialArgs {
    /// Dujiao provider API key of the downstream site.
    #[arg(long, default_value = "loadtest-downstream")]
    pub dujiao_key: String,
    /// Its secret.
    #[arg(
        long,
        env = "LOADTEST_DUJIAO_SECRET",
        default_value = "loadtest-downstream-secret",
        hide_env_values = true
    )]
    pub dujiao_secret: String,
    /// A file of further downstream sites, one `API_KEY SECRET` per line, that share the Dujiao
    /// orders with `--dujiao-key` (see `loadtest/bench/provision.sh SITES`).
    #[arg(long)]
    pub dujiao_sites_file: Option<PathBuf>,
    /// SKU the downstream site orders.
    #[arg(long, default_value_t = 12)]
    pub dujiao_sku: u64,
    /// `callback_url` in Dujiao orders.
    #[arg(long, default_value = crate::mix::DOWNSTREAM_CALLBACK_URL)]
    pub dujiao_callback_url: String,
    /// API key of the upstream connection whose callbacks are sent.
    #[arg(long, default_value = "loadtest-upstream")]
    pub callback_key: String,
    /// Its secret.
    #[arg(
        long,
        env = "LOADTEST_CALLBACK_SECRET",
        default_value = "loadtest-upstream-secret",
        hide_env_values = true
    )]
    pub callback_secret: String,
    /// D-Store Client-Id.
    #[arg(long, default_value = "loadtest-dstore")]
    pub dstore_client_id: String,
    /// PEM file of the key D-Store signs with (default: the public test key in loadtest/keys/).
    #[arg(long)]
    pub dstore_private_key: Option<PathBuf>,
    /// D-Store posAccountId.
    #[arg(long, default_value = "POS-ACCOUNT-1")]
    pub dstore_pos_account: String,
    /// D-Store posStoreId.
    #[arg(long, default_value = "POS-STORE-1")]
    pub dstore_pos_store: String,
    /// D-Store posProductId ordered.
    #[arg(long, default_value = "POS-PRODUCT-1")]
    pub dstore_product: String,
    /// 58 Daojia push secret.
    #[arg(
        long,
        env = "LOADTEST_DAOJIA_SECRET",
        default_value = "loadtest-daojia-secret",
        hide_env_values = true
    )]
    pub daojia_secret: String,
    /// Vending machine number in dispense results.
    #[arg(long, default_value = "12345678")]
    pub vending_machine: String,
}

impl CredentialArgs {
    /// Loads keys and wraps secrets.
    pub fn credentials(&self) -> anyhow::Result<Credentials> {
        let pem = match &self.dstore_private_key {
            Some(path) => std::fs::read_to_string(path)
                .with_context(|| format!("reading {}", path.display()))?,
            None => crate::mix::TEST_DSTORE_PRIVATE_KEY.to_string(),
        };
        let dujiao_more_sites = match &self.dujiao_sites_file {
            Some(path) => read_sites(path)?,
            None => Vec::new(),
        };
        Ok(Credentials {
            dujiao_api_key: self.dujiao_key.clone(),
            dujiao_api_secret: SecretString::from(self.dujiao_secret.clone()),
            dujiao_more_sites,
            dujiao_sku_id: self.dujiao_sku,
            dujiao_callback_url: self.dujiao_callback_url.clone(),
            callback_api_key: self.callback_key.clone(),
            callback_api_secret: SecretString::from(self.callback_secret.clone()),
            dstore_client_id: self.dstore_client_id.clone(),
            dstore_private_key: DstorePrivateKey::from_pkcs8_pem(&pem)?,
            dstore_pos_account_id: self.dstore_pos_account.clone(),
            dstore_pos_store_id: self.dstore_pos_store.clone(),
            dstore_pos_product_id: self.dstore_product.clone(),
            daojia_secret: SecretString::from(self.daojia_secret.clone()),
            vending_machine_no: self.vending_machine.clone(),
        })
    }
}

/// Reads `API_KEY SECRET` lines (blank lines and `#` comments skipped).
fn read_sites(path: &std::path::Path) -> anyhow::Result<Vec<(String, SecretString)>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    let mut sites = Vec::new();
    for (number, line) in text.lines().enumerate() {
        let line = line.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut fields = line.split_whitespace();
        let (Some(key), Some(secret), None) = (fields.next(), fields.next(), fields.next()) else {
            anyhow::bail!(
                "{} line {}: expected `API_KEY SECRET`",
                path.display(),
                number + 1
            );
        };
        sites.push((key.to_owned(), SecretString::from(secret.to_owned())));
    }
    Ok(sites)
}

impl LoadArgs {
    /// The fault shares, checked to be shares.
    pub fn fault_shares(&self) -> anyhow::Result<FaultShares> {
        let shares = FaultShares {
            duplicates: self.duplicates,
            bad_signatures: self.bad_signatures,
            oversized: self.oversized,
        };
        let all = [shares.duplicates, shares.bad_signatures, shares.oversized];
        anyhow::ensure!(
            all.iter().all(|s| (0.0..=1.0).contains(s)) && all.iter().sum::<f64>() <= 1.0,
            "--duplicates, --bad-signatures and --oversized are shares between 0 and 1 that sum to at most 1"
        );
        Ok(shares)
    }
}

/// Seconds from the command line as a duration (negative or NaN → an error).
pub fn seconds(name: &str, value: f64) -> anyhow::Result<Duration> {
    Duration::try_from_secs_f64(value)
        .with_context(|| format!("--{name} must be a non-negative number of seconds"))
}

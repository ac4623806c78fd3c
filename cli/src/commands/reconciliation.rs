//! `switchyard reconciliation …`: reconciliation runs and their discrepancies, a client of the
//! operator API's `/admin/v1/reconciliation/…` routes.
//!
//! `start` requests a run for a connection, a period and a type (asking again for the same ones
//! prints the run already there); `runs` lists runs with their progress; `discrepancies` lists
//! what runs found, filtered by run, kind and resolution; `resolve` closes one with a note.
//! Calls go through [`OperatorClient`] (`--url`, `--token-file`, `SWITCHYARD_CLI_…`), so a
//! refusal prints the API's `{error, message}`.

use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde_json::{json, Value};
use sqlx::types::chrono::{DateTime, Utc};

use super::client::{ClientArgs, OperatorClient};
use crate::settings::Settings;

/// `switchyard reconciliation`: where the operator API is, and one verb.
#[derive(Debug, Args)]
pub struct ReconciliationArgs {
    #[command(flatten)]
    client: ClientArgs,

    #[command(subcommand)]
    command: ReconciliationCommand,
}

/// The `reconciliation` verbs.
#[derive(Debug, Subcommand)]
pub enum ReconciliationCommand {
    /// Request a run (idempotent per connection, period and type).
    Start {
        /// Partner connection id.
        #[arg(long)]
        connection: i64,
        /// Period start, inclusive (RFC 3339).
        #[arg(long)]
        from: DateTime<Utc>,
        /// Period end, exclusive (RFC 3339).
        #[arg(long)]
        to: DateTime<Utc>,
        /// status, amount or full.
        #[arg(long = "type", default_value = "full")]
        run_type: String,
    },
    /// List runs with their progress, newest first.
    Runs {
        /// Only this connection.
        #[arg(long)]
        connection: Option<i64>,
        /// Only this status (pending, running, completed, failed).
        #[arg(long)]
        status: Option<String>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// List discrepancies, oldest first.
    Discrepancies {
        /// Only this run.
        #[arg(long)]
        run: Option<i64>,
        /// Only this kind (status, amount, both, missing_upstream, missing_local).
        #[arg(long)]
        kind: Option<String>,
        /// Only resolved (true) or open (false) ones.
        #[arg(long)]
        resolved: Option<bool>,
        /// At most this many.
        #[arg(long, default_value_t = 100)]
        limit: i64,
    },
    /// Close a discrepancy with a note.
    Resolve {
        /// Discrepancy id.
        id: i64,
        /// Why it is closed.
        #[arg(long)]
        note: String,
        /// Who closes it.
        #[arg(long, default_value = "operator")]
        by: String,
    },
}

/// Runs one verb and prints its result.
pub async fn run(args: ReconciliationArgs, settings: &Settings) -> anyhow::Result<()> {
    let client = OperatorClient::new(settings, args.client)?;
    match args.command {
        ReconciliationCommand::Start {
            connection,
            from,
            to,
            run_type,
        } => {
            let body = json!({
                "connection_id": connection, "period_start": from, "period_end": to,
                "run_type": run_type,
            });
            let request = client
                .request(Method::POST, "/admin/v1/reconciliation/runs")
                .json(&body);
            let answer = client.send(request).await?;
            say(&run_line(
                answer.get("run").context("no run in the answer")?,
            ));
        }
        ReconciliationCommand::Runs {
            connection,
            status,
            limit,
        } => {
            let mut query = vec![("limit", limit.to_string())];
            query.extend(connection.map(|id| ("connection_id", id.to_string())));
            query.extend(status.map(|status| ("status", status)));
            let request = client
                .request(Method::GET, "/admin/v1/reconciliation/runs")
                .query(&query);
            for run in items(client.send(request).await?)? {
                say(&run_line(&run));
            }
        }
        ReconciliationCommand::Discrepancies {
            run,
            kind,
            resolved,
            limit,
        } => {
            let mut query = vec![("limit", limit.to_string())];
            query.extend(run.map(|id| ("run_id", id.to_string())));
            query.extend(kind.map(|kind| ("kind", kind)));
            query.extend(resolved.map(|resolved| ("resolved", resolved.to_string())));
            let request = client
                .request(Method::GET, "/admin/v1/reconciliation/discrepancies")
                .query(&query);
            for item in items(client.send(request).await?)? {
                say(&item_line(&item));
            }
        }
        ReconciliationCommand::Resolve { id, note, by } => {
            let path = format!("/admin/v1/reconciliation/discrepancies/{id}/resolve");
            let request = client
                .request(Method::POST, &path)
                .json(&json!({ "note": note, "resolved_by": by }));
            let answer = client.send(request).await?;
            say(&item_line(
                answer
                    .get("discrepancy")
                    .context("no discrepancy in the answer")?,
            ));
        }
    }
    Ok(())
}

fn items(answer: Value) -> anyhow::Result<Vec<Value>> {
    match answer.get("items") {
        Some(Value::Array(items)) => Ok(items.clone()),
        _ => anyhow::bail!("unexpected answer from the operator API"),
    }
}

fn text(value: &Value, field: &str) -> String {
    match value.get(field) {
        None | Some(Value::Null) => "-".to_owned(),
        Some(Value::String(text)) => text.clone(),
        Some(other) => other.to_string(),
    }
}

fn run_line(run: &Value) -> String {
    let field = |name: &str| text(run, name);
    format!(
        "run {} conn={} {}..{} type={} status={} phase={} checked={}/{} matched={} mismatches={} skipped={} listed={} note={}",
        field("id"), field("connection_id"), field("period_start"), field("period_end"),
        field("run_type"), field("status"), field("phase"), field("checked_count"),
        field("total_count"), field("matched_count"), field("mismatch_count"),
        field("skipped_count"), field("remote_listed_count"), field("note"),
    )
}

fn item_line(item: &Value) -> String {
    let field = |name: &str| text(item, name);
    format!(
        "{} run={} {} procurement={} upstream={} status {}/{} amount {}/{} resolved={} {}",
        field("id"),
        field("run_id"),
        field("mismatch_kind"),
        field("procurement_order_id"),
        field("upstream_order_id"),
        field("local_status"),
        field("remote_status"),
        field("local_amount_minor"),
        field("remote_amount_minor"),
        field("resolved_at"),
        field("resolution_note"),
    )
}

/// Operator output goes to stdout, one line per record.
fn say(line: &str) {
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
}

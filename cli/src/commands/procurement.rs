//! `switchyard procurement …`: the operator's view of procurement orders, a client of the
//! operator API's `/admin/v1/procurement/…` and `/admin/v1/orders/{id}/cancel` routes.
//!
//! `list` filters by status, connection and creation period; `show` prints a sub-order with
//! every attempt and its reason; `retry` puts a `failed` sub-order back in line (a running
//! procurer places it within its poll interval); `cancel` cancels an order upstream first and
//! refuses when an upstream refuses. Calls go through [`OperatorClient`] (`--url`,
//! `--token-file`, `SWITCHYARD_CLI_…`), so a refusal prints the API's `{error, message}`.
//! Delivery content is never printed.

use anyhow::Context;
use clap::{Args, Subcommand};
use reqwest::Method;
use serde::Deserialize;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::Uuid;
use switchyard_workers::operator::{ProcurementDetail, ProcurementView};

use super::client::{ClientArgs, OperatorClient};
use crate::settings::Settings;

/// `switchyard procurement`: where the operator API is, and one verb.
#[derive(Debug, Args)]
pub struct ProcurementArgs {
    #[command(flatten)]
    client: ClientArgs,

    #[command(subcommand)]
    command: ProcurementCommand,
}

/// The `procurement` verbs.
#[derive(Debug, Subcommand)]
pub enum ProcurementCommand {
    /// List procurement orders, newest first.
    List {
        /// Only this status (pending, accepted, fulfilled, failed, …).
        #[arg(long)]
        status: Option<String>,
        /// Only this partner connection id.
        #[arg(long)]
        connection: Option<i64>,
        /// Created at or after (RFC 3339).
        #[arg(long)]
        from: Option<DateTime<Utc>>,
        /// Created before (RFC 3339).
        #[arg(long)]
        to: Option<DateTime<Utc>>,
        /// At most this many.
        #[arg(long, default_value_t = 50)]
        limit: i64,
    },
    /// Show one procurement order with its attempts.
    Show {
        /// Procurement order id.
        id: Uuid,
    },
    /// Retry a failed procurement order now.
    Retry {
        /// Procurement order id.
        id: Uuid,
    },
    /// Cancel an order, upstream first.
    Cancel {
        /// Order id.
        order_id: Uuid,
    },
    /// What the status-syncer told an order's sales channel, call by call.
    Notifications {
        /// Order id.
        order_id: Uuid,
    },
}

#[derive(Deserialize)]
struct Notifications {
    items: Vec<NotificationLine>,
}

#[derive(Deserialize)]
struct NotificationLine {
    channel: String,
    status: String,
    request_id: String,
    outcome: String,
    answer_code: Option<String>,
    answer_message: Option<String>,
    attempts: i32,
    last_sent_at: DateTime<Utc>,
}

#[derive(Deserialize)]
struct Page {
    items: Vec<ProcurementView>,
}

#[derive(Deserialize)]
struct Retried {
    procurement: ProcurementView,
}

#[derive(Deserialize)]
struct Canceled {
    sub_orders_canceled: usize,
    refunded_minor: i64,
}

/// Runs one verb and prints its result.
pub async fn run(args: ProcurementArgs, settings: &Settings) -> anyhow::Result<()> {
    let client = OperatorClient::new(settings, args.client)?;
    match args.command {
        ProcurementCommand::List {
            status,
            connection,
            from,
            to,
            limit,
        } => {
            let mut query = vec![("limit", limit.to_string())];
            query.extend(status.map(|status| ("status", status)));
            query.extend(connection.map(|id| ("connection_id", id.to_string())));
            query.extend(from.map(|at| ("from", at.to_rfc3339())));
            query.extend(to.map(|at| ("to", at.to_rfc3339())));
            let request = client
                .request(Method::GET, "/admin/v1/procurement/orders")
                .query(&query);
            let page: Page = parse(client.send(request).await?)?;
            for row in &page.items {
                print_line(row);
            }
        }
        ProcurementCommand::Show { id } => {
            let path = format!("/admin/v1/procurement/orders/{id}");
            let detail: ProcurementDetail =
                parse(client.send(client.request(Method::GET, &path)).await?)?;
            print_line(&detail.procurement);
            for attempt in detail.attempts {
                say(&format!(
                    "  attempt {} at {}: {} {} {} {}",
                    attempt.attempt_no,
                    attempt.attempted_at.to_rfc3339(),
                    attempt.outcome,
                    attempt
                        .http_status
                        .map(|s| s.to_string())
                        .unwrap_or_default(),
                    attempt.error_code.unwrap_or_default(),
                    attempt.error.unwrap_or_default(),
                ));
            }
        }
        ProcurementCommand::Retry { id } => {
            let path = format!("/admin/v1/procurement/orders/{id}/retry");
            let retried: Retried = parse(client.send(client.request(Method::POST, &path)).await?)?;
            print_line(&retried.procurement);
        }
        ProcurementCommand::Cancel { order_id } => {
            let path = format!("/admin/v1/orders/{order_id}/cancel");
            let canceled: Canceled =
                parse(client.send(client.request(Method::POST, &path)).await?)?;
            say(&format!(
                "order {order_id} canceled: {} sub-orders, {} refunded (minor units)",
                canceled.sub_orders_canceled, canceled.refunded_minor
            ));
        }
        ProcurementCommand::Notifications { order_id } => {
            let path = format!("/admin/v1/orders/{order_id}/notifications");
            let told: Notifications =
                parse(client.send(client.request(Method::GET, &path)).await?)?;
            for line in told.items {
                say(&format!(
                    "{} {} {} request_id={} attempts={} last={} {} {}",
                    line.channel,
                    line.status,
                    line.outcome,
                    line.request_id,
                    line.attempts,
                    line.last_sent_at.to_rfc3339(),
                    line.answer_code.unwrap_or_default(),
                    line.answer_message.unwrap_or_default(),
                ));
            }
        }
    }
    Ok(())
}

fn parse<T: serde::de::DeserializeOwned>(answer: serde_json::Value) -> anyhow::Result<T> {
    serde_json::from_value(answer).context("unexpected answer from the operator API")
}

fn print_line(row: &ProcurementView) {
    say(&format!(
        "{} order={} {} conn={} status={} attempts={} key={} upstream={} {} {}",
        row.id,
        row.order_id,
        row.fulfiller.as_deref().unwrap_or("-"),
        row.connection_id
            .map(|id| id.to_string())
            .unwrap_or_else(|| "-".into()),
        row.status,
        row.attempts,
        row.idempotency_key,
        row.upstream_order_id.as_deref().unwrap_or("-"),
        row.last_error_code.as_deref().unwrap_or(""),
        row.last_error.as_deref().unwrap_or(""),
    ));
}

/// Operator output goes to stdout, one line per record.
fn say(line: &str) {
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
}

//! `switchyard procurement …`: the operator's view of procurement orders, straight from the
//! database (the same functions as the admin API's `/admin/v1/procurement/…` routes).
//!
//! `list` filters by status, connection and creation period; `show` prints a sub-order with
//! every attempt and its reason; `retry` puts a `failed` sub-order back in line (a running
//! procurer places it within its poll interval); `cancel` cancels an order upstream first and
//! refuses when an upstream refuses. Delivery content is never printed.

use std::time::Duration;

use anyhow::Context;
use clap::Subcommand;
use sqlx::types::chrono::{DateTime, Utc};
use sqlx::types::Uuid;
use switchyard_runtime::database;
use switchyard_store::procurement::{ProcurementFilter, ProcurementStatus};
use switchyard_workers::operator::{self, ProcurementView};

use crate::settings::Settings;

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
}

/// Runs one verb and prints its result.
pub async fn run(command: ProcurementCommand, settings: &Settings) -> anyhow::Result<()> {
    let pool = database::connect(&settings.database)?;
    match command {
        ProcurementCommand::List {
            status,
            connection,
            from,
            to,
            limit,
        } => {
            let status = status
                .map(|text| text.parse::<ProcurementStatus>())
                .transpose()
                .context("--status")?;
            let filter = ProcurementFilter {
                status,
                connection_id: connection,
                created_from: from,
                created_to: to,
                limit: limit.clamp(1, 1_000),
            };
            for row in operator::list(&pool, &filter).await? {
                print_line(&row);
            }
        }
        ProcurementCommand::Show { id } => {
            let detail = operator::show(&pool, id)
                .await?
                .with_context(|| format!("procurement order {id} not found"))?;
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
            let row = operator::retry(&pool, id).await?;
            print_line(&row);
        }
        ProcurementCommand::Cancel { order_id } => {
            let secrets = settings.secrets.secret_box()?;
            let timeout = Duration::from_millis(settings.workers.partner_timeout_ms);
            let outcome = switchyard_workers::cancel_order(
                &pool,
                &settings.kafka,
                &secrets,
                timeout,
                order_id,
            )
            .await?;
            say(&format!(
                "order {order_id} canceled: {} sub-orders, {} refunded (minor units)",
                outcome.sub_orders_canceled, outcome.refunded_minor
            ));
        }
    }
    Ok(())
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

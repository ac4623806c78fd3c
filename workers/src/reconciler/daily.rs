//! The daily runs: a [`LeaderJob`] that makes sure yesterday (UTC) has a `full` run for every
//! active fulfiller connection (Dujiao-Next, vending, WDT) that existed before yesterday ended.
//!
//! Contract: it looks every hour on one replica (at start and then hourly; not scaled by
//! `time_scale`, since it waits for nothing); requesting is idempotent, so looking again, or on
//! another replica after a failover, adds nothing.

use chrono::{DateTime, Duration as Days, Utc};
use sqlx::PgPool;
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus};
use switchyard_store::reconciliation::{NewRun, RequestedBy, RunType};
use switchyard_store::{Inserted, StoreError};

use std::sync::Arc;
use std::time::Duration;

use super::{request_run, Shared};
use crate::scheduler::{JobError, JobFuture, LeaderJob};

/// Requests yesterday's runs.
pub(super) struct DailyRuns(pub(super) Arc<Shared>);

/// Yesterday, `[00:00, 24:00)` UTC, as seen at `now`.
pub fn yesterday(now: DateTime<Utc>) -> (DateTime<Utc>, DateTime<Utc>) {
    let today = now
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|midnight| midnight.and_utc())
        .unwrap_or(now);
    (today - Days::days(1), today)
}

impl LeaderJob for DailyRuns {
    fn name(&self) -> &'static str {
        "reconciliation-daily"
    }

    fn period(&self) -> Duration {
        self.0.daily_check
    }

    fn run(&self) -> JobFuture<'_, Result<(), JobError>> {
        Box::pin(async move {
            request_yesterday(&self.0.pool, Utc::now())
                .await
                .map(drop)
                .map_err(JobError::new)
        })
    }
}

/// Requests a `full` run of the day before `now` for every active fulfiller connection; how
/// many runs were new.
pub async fn request_yesterday(pool: &PgPool, now: DateTime<Utc>) -> Result<usize, StoreError> {
    let (start, end) = yesterday(now);
    let mut created = 0;
    for connection in connections::list(pool, None).await? {
        let fulfiller = matches!(
            connection.kind,
            ConnectionKind::DujiaoUpstream | ConnectionKind::Vending | ConnectionKind::QimenWdt
        );
        // A connection made after the period cannot have procurements in it.
        let existed = connection.created_at < end;
        if !fulfiller || connection.status != ConnectionStatus::Active || !existed {
            continue;
        }
        let new = NewRun {
            connection_id: connection.id,
            period_start: start,
            period_end: end,
            run_type: RunType::Full,
            requested_by: RequestedBy::Daily,
        };
        if matches!(request_run(pool, &new).await?, Inserted::Created(_)) {
            created += 1;
        }
    }
    Ok(created)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn yesterday_is_the_previous_utc_day() {
        let now = "2026-03-02T13:45:00Z"
            .parse::<DateTime<Utc>>()
            .expect("time");
        let (start, end) = yesterday(now);
        assert_eq!(start.to_rfc3339(), "2026-03-01T00:00:00+00:00");
        assert_eq!(end.to_rfc3339(), "2026-03-02T00:00:00+00:00");
    }
}

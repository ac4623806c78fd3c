//! Placing one sub-order: claim it, make one attempt with its fulfiller, then in one transaction
//! record the attempt, move the sub-order and its parent, and write the events announcing them.
//!
//! Contract: see the module header of [`crate::procurer`]. Partner answers become attempts;
//! only database trouble is an error here (the lease then runs out and the sub-order is tried
//! again). `procurement.results` and `orders.status-changed` go through the outbox in the same
//! transaction, so they exist exactly when the attempt is recorded and are published by the
//! outbox drainer, even if this process dies right after the commit.

use chrono::{DateTime, Utc};
use sqlx::PgPool;
use switchyard_connections::{ConnectionError, ConnectionRegistry};
use switchyard_partners::vending::{notify_token, NotifyTokens};
use switchyard_store::mappings::FulfillerKind;
use switchyard_store::orders::{self, Order};
use switchyard_store::procurement::{
    self, AttemptOutcome, AttemptReport, ProcurementOrder, ProcurementStatus,
};
use switchyard_topics::events::StatusSource;
use switchyard_topics::{outbox, KafkaConfig};
use uuid::Uuid;

use super::attempt::{AttemptResult, PartnerFailure};
use super::events::announce_result;
use super::{dujiao, local, vending, waiting, wdt};
use crate::config::WorkersConfig;
use crate::context::WorkerContext;
use crate::error::StepError;
use crate::expiry_sweeper::dujiao_poll;
use crate::metrics::WorkerMetrics;
use crate::{downstream, parent};

/// Places sub-orders; shared by the handler and the retry loop.
pub struct Placer {
    pool: PgPool,
    kafka: KafkaConfig,
    config: WorkersConfig,
    connections: ConnectionRegistry,
    metrics: WorkerMetrics,
    /// Issues the token of each vending notify URL.
    notify_tokens: NotifyTokens,
}

impl Placer {
    /// A placer over the process's plumbing.
    pub fn new(ctx: &WorkerContext, metrics: WorkerMetrics) -> Self {
        Self {
            pool: ctx.pool.clone(),
            kafka: ctx.kafka.clone(),
            config: ctx.config.clone(),
            connections: ctx.connections.clone(),
            metrics,
            notify_tokens: NotifyTokens::new(ctx.secrets.derive_key(notify_token::PURPOSE).bytes()),
        }
    }

    pub(crate) fn notify_tokens(&self) -> &NotifyTokens {
        &self.notify_tokens
    }

    pub(crate) fn pool(&self) -> &PgPool {
        &self.pool
    }

    pub(crate) fn kafka(&self) -> &KafkaConfig {
        &self.kafka
    }

    pub(crate) fn config(&self) -> &WorkersConfig {
        &self.config
    }

    pub(crate) fn connections(&self) -> &ConnectionRegistry {
        &self.connections
    }

    /// One attempt at sub-order `id`; `claimed` when the caller already holds its lease.
    #[tracing::instrument(skip_all, fields(procurement_id = %id))]
    pub async fn place(&self, id: Uuid, claimed: bool) -> Result<(), StepError> {
        if !claimed && !procurement::claim(&self.pool, id, self.config.claim_lease()).await? {
            return Ok(());
        }
        let sub = procurement::get(&self.pool, id)
            .await?
            .ok_or_else(|| StepError::invalid("procurement order not found"))?;
        if sub.status != ProcurementStatus::Pending {
            return Ok(());
        }
        let order = orders::get(&self.pool, sub.order_id)
            .await?
            .ok_or_else(|| StepError::invalid("parent order not found"))?;
        let lines = procurement::covered_lines(&self.pool, id).await?;
        let result = match sub.fulfiller {
            Some(FulfillerKind::LocalStock) => local::deliver(self, &order, &sub, &lines).await,
            Some(FulfillerKind::DujiaoUpstream) => dujiao::place(self, &order, &sub, &lines).await,
            Some(FulfillerKind::Vending) => vending::place(self, &sub, &lines).await,
            Some(FulfillerKind::WdtErp) => wdt::place(self, &order, &sub, &lines).await,
            None => Ok(AttemptResult::Failed(PartnerFailure::permanent(
                "no_fulfiller",
                "sub-order has no fulfiller",
            ))),
        };
        match result {
            Err(StepError::Connection(ConnectionError::NotActive { id, status })) => {
                waiting::wait(self, &sub, id, status).await
            }
            result => self.finish(&order, &sub, result?).await,
        }
    }

    async fn finish(
        &self,
        order: &Order,
        sub: &ProcurementOrder,
        result: AttemptResult,
    ) -> Result<(), StepError> {
        let retry_at = match &result {
            AttemptResult::Failed(failure) if failure.transient => self.retry_at(sub).await?,
            _ => None,
        };
        let report = report(&result, retry_at);
        let reason = report.error_code.clone();
        let mut tx = self.pool.begin().await?;
        let attempt = procurement::record_attempt(&mut tx, sub.id, &report).await?;
        match &result {
            AttemptResult::Delivered { content } => {
                procurement::mark_delivered(&mut *tx, sub.id, content).await?;
            }
            AttemptResult::Placed {
                status,
                upstream_order_id,
                upstream_order_no,
                amount_minor,
            } => {
                procurement::mark_placed(
                    &mut *tx,
                    sub.id,
                    *status,
                    upstream_order_id.as_deref(),
                    upstream_order_no.as_deref(),
                )
                .await?;
                if let Some(amount) = amount_minor {
                    procurement::set_amount(&mut *tx, sub.id, *amount).await?;
                }
                if sub.fulfiller == Some(FulfillerKind::DujiaoUpstream)
                    && *status == ProcurementStatus::Accepted
                {
                    // If its callback never comes, the expiry-sweeper polls the upstream.
                    dujiao_poll::schedule(&mut *tx, &self.config, sub.id).await?;
                }
            }
            AttemptResult::Failed(_) => {}
        }
        let change = parent::refresh(&mut tx, sub.order_id).await?;
        let retrying = retry_at.is_some();
        announce_result(
            &mut tx,
            &self.kafka,
            order,
            sub,
            &result,
            attempt.attempt_no,
            retrying,
        )
        .await?;
        if let Some(change) = &change {
            let source = StatusSource::Procurer;
            parent::announce(
                &mut tx,
                &self.kafka,
                change,
                source,
                reason.as_deref(),
                None,
            )
            .await?;
        }
        tx.commit().await?;
        outbox::wake();

        let fulfiller = sub.fulfiller.map_or("none", |kind| kind.as_str());
        self.metrics.attempt(fulfiller, report.outcome.as_str());
        if let AttemptResult::Failed(failure) = &result {
            tracing::warn!(
                attempt = attempt.attempt_no,
                code = failure.code.as_deref().unwrap_or(""),
                error = %failure.message,
                retry = retrying,
                "procurement attempt failed"
            );
        }
        if change.is_some() {
            downstream::wake_sender();
        }
        Ok(())
    }

    /// When the next attempt is due on the connection's schedule, or `None` when none is left.
    async fn retry_at(&self, sub: &ProcurementOrder) -> Result<Option<DateTime<Utc>>, StepError> {
        let Some(connection_id) = sub.connection_id else {
            return Ok(None);
        };
        let connection = self.connections.connection(connection_id).await?;
        let retry = u32::try_from(sub.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        let Some(delay) = connection.connection().retry_delay(retry) else {
            return Ok(None);
        };
        let delay =
            chrono::Duration::from_std(self.config.scaled(delay)).unwrap_or(chrono::Duration::MAX);
        Ok(Some(Utc::now() + delay))
    }
}

fn report(result: &AttemptResult, retry_at: Option<DateTime<Utc>>) -> AttemptReport {
    match result {
        AttemptResult::Delivered { .. } | AttemptResult::Placed { .. } => AttemptReport {
            outcome: AttemptOutcome::Succeeded,
            error_code: None,
            error: None,
            http_status: None,
            retry_at: None,
        },
        AttemptResult::Failed(failure) => AttemptReport {
            outcome: if failure.transient {
                AttemptOutcome::TransientFailure
            } else {
                AttemptOutcome::PermanentFailure
            },
            error_code: failure.code.clone(),
            error: Some(failure.message.chars().take(500).collect()),
            http_status: failure.http_status,
            retry_at,
        },
    }
}

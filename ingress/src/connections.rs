//! Active partner connections with their decrypted secrets, cached for a short time.
//!
//! Contract: [`ConnectionCache::active`] returns the `active` connections of a kind as stored in
//! `partner_connections`, re-read from Postgres at most once per TTL; an operator's change (new
//! key, disabled connection) takes effect within the TTL. Secrets stay `SecretString`.

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, ConnectionWithSecret};
use switchyard_store::crypto::SecretBox;
use switchyard_store::StoreResult;

use crate::ttl_cache::TtlCache;

/// Short-lived cache of active connections by kind.
pub(crate) struct ConnectionCache {
    by_kind: TtlCache<&'static str, Arc<Vec<ConnectionWithSecret>>>,
}

impl ConnectionCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            by_kind: TtlCache::new(ttl),
        }
    }

    /// Active connections of `kind`, with secrets.
    pub(crate) async fn active(
        &self,
        pool: &PgPool,
        secrets: &SecretBox,
        kind: ConnectionKind,
    ) -> StoreResult<Arc<Vec<ConnectionWithSecret>>> {
        if let Some(hit) = self.by_kind.get(kind.as_str()) {
            return Ok(hit);
        }
        let mut loaded = Vec::new();
        for connection in connections::list(pool, Some(kind)).await? {
            if connection.status == ConnectionStatus::Active {
                loaded.push(connections::get_with_secret(pool, secrets, connection.id).await?);
            }
        }
        let loaded = Arc::new(loaded);
        self.by_kind.put(kind.as_str(), loaded.clone());
        Ok(loaded)
    }

    /// Forgets everything (after an operator changed a connection).
    pub(crate) fn invalidate(&self) {
        self.by_kind.clear();
    }
}

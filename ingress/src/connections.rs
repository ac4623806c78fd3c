//! Active partner connections with their decrypted secrets, cached for a short time.
//!
//! Contract: [`ConnectionCache::active`] returns the `active` connections of a kind as stored in
//! `partner_connections`, re-read from Postgres at most once per TTL; an operator's change (new
//! key, disabled connection) takes effect within the TTL. Secrets stay `SecretString`.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use sqlx::PgPool;
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, ConnectionWithSecret};
use switchyard_store::crypto::SecretBox;
use switchyard_store::StoreResult;

type Entry = (Instant, Arc<Vec<ConnectionWithSecret>>);

/// Short-lived cache of active connections by kind.
pub(crate) struct ConnectionCache {
    ttl: Duration,
    entries: Mutex<HashMap<&'static str, Entry>>,
}

impl ConnectionCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    /// Active connections of `kind`, with secrets.
    pub(crate) async fn active(
        &self,
        pool: &PgPool,
        secrets: &SecretBox,
        kind: ConnectionKind,
    ) -> StoreResult<Arc<Vec<ConnectionWithSecret>>> {
        if let Some(hit) = self.fresh(kind) {
            return Ok(hit);
        }
        let mut loaded = Vec::new();
        for connection in connections::list(pool, Some(kind)).await? {
            if connection.status == ConnectionStatus::Active {
                loaded.push(connections::get_with_secret(pool, secrets, connection.id).await?);
            }
        }
        let loaded = Arc::new(loaded);
        if let Ok(mut entries) = self.entries.lock() {
            entries.insert(kind.as_str(), (Instant::now(), loaded.clone()));
        }
        Ok(loaded)
    }

    fn fresh(&self, kind: ConnectionKind) -> Option<Arc<Vec<ConnectionWithSecret>>> {
        let entries = self.entries.lock().ok()?;
        let (at, value) = entries.get(kind.as_str())?;
        (at.elapsed() < self.ttl).then(|| value.clone())
    }

    /// Forgets everything (after an operator changed a connection).
    pub(crate) fn invalidate(&self) {
        if let Ok(mut entries) = self.entries.lock() {
            entries.clear();
        }
    }
}

//! Active partner connections with their decrypted secrets, cached for a short time.
//!
//! Contract: [`ConnectionCache::active`] returns the `active` connections of a kind as stored in
//! `partner_connections`, re-read from Postgres at most once per TTL; an operator's change (new
//! key, disabled connection) takes effect within the TTL. Secrets stay `SecretString`.
//! [`ConnectionCache::dstore_keys`] parses a D-Store connection's RSA keys once per TTL, not once
//! per request (parsing and CRT set-up cost more than the signature itself).

use std::sync::Arc;
use std::time::Duration;

use secrecy::ExposeSecret;
use sqlx::PgPool;
use switchyard_partners::dstore::{DstorePrivateKey, DstorePublicKey};
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, ConnectionWithSecret};
use switchyard_store::crypto::SecretBox;
use switchyard_store::StoreResult;

use crate::ttl_cache::TtlCache;

/// A D-Store connection's parsed keys; `None` where the stored text does not parse.
pub(crate) struct DstoreKeys {
    /// D-Store's public key (`settings.dstore_public_key`): verifies requests.
    pub(crate) public: Option<DstorePublicKey>,
    /// The POS private key (the connection's secret): signs answers.
    pub(crate) private: Option<DstorePrivateKey>,
}

/// Short-lived cache of active connections by kind.
pub(crate) struct ConnectionCache {
    by_kind: TtlCache<&'static str, Arc<Vec<ConnectionWithSecret>>>,
    dstore_keys: TtlCache<i64, Arc<DstoreKeys>>,
}

impl ConnectionCache {
    pub(crate) fn new(ttl: Duration) -> Self {
        Self {
            by_kind: TtlCache::new(ttl),
            dstore_keys: TtlCache::new(ttl),
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

    /// The parsed RSA keys of a D-Store connection returned by [`Self::active`].
    pub(crate) fn dstore_keys(&self, connection: &ConnectionWithSecret) -> Arc<DstoreKeys> {
        let id = connection.connection.id;
        if let Some(hit) = self.dstore_keys.get(&id) {
            return hit;
        }
        let public = connection
            .connection
            .settings
            .get("dstore_public_key")
            .and_then(|key| key.as_str())
            .and_then(|key| DstorePublicKey::parse(key).ok());
        let private = connection
            .secret
            .as_ref()
            .and_then(|secret| DstorePrivateKey::parse(secret.expose_secret()).ok());
        let keys = Arc::new(DstoreKeys { public, private });
        self.dstore_keys.put(id, keys.clone());
        keys
    }

    /// Forgets everything (after an operator changed a connection).
    pub(crate) fn invalidate(&self) {
        self.by_kind.clear();
        self.dstore_keys.clear();
    }
}

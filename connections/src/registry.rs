//! [`ConnectionRegistry`]: the one way the ingress and the workers reach a partner connection.
//!
//! Contract:
//! - Rows are read from `partner_connections` with the secret opened by the [`SecretBox`] and
//!   kept for `ttl`; [`ConnectionRegistry::invalidate`] forgets one at once. The operator API
//!   calls it after every change to a connection, so a change made through a process applies in
//!   that process on the next call (in `switchyard up` the ingress and the workers share one
//!   registry). Other processes see the change within `ttl`: we chose a short TTL (the
//!   `ingress.connection_cache_ttl_ms` setting, 5 s by default) over LISTEN/NOTIFY, which would
//!   add a listener connection, its reconnect logic and a trigger for a change that is rare and
//!   already bounded by the TTL. A refresh that finds the row and secret unchanged keeps the
//!   built client, so a short TTL costs one query per connection, not a new rate limiter.
//! - Outbound: [`ConnectionRegistry::client`] and the typed getters hand out a client only for
//!   an `active` connection; `pending` and `disabled` give [`ConnectionError::NotActive`], so no
//!   outbound call can use them. The status checked is the cached row's (at most `ttl` old in
//!   another process than the operator's).
//! - Inbound: [`ConnectionRegistry::active`] lists the active connections of a kind, for
//!   verifying partner calls (keys, push secrets).

use std::sync::Arc;
use std::time::Duration;

use sqlx::PgPool;
use switchyard_partners::daojia::DaojiaClient;
use switchyard_partners::dstore::DstoreClient;
use switchyard_partners::dujiao::DujiaoClient;
use switchyard_partners::qimen::QimenClient;
use switchyard_partners::vending::VendingClient;
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus};
use switchyard_store::crypto::SecretBox;
use switchyard_store::StoreError;

use crate::cache::TtlMap;
use crate::clients::PartnerClient;
use crate::error::ConnectionError;
use crate::loaded::LoadedConnection;

/// How long rows are reused, how long an outbound call may take and where it may go.
#[derive(Debug, Clone, Copy)]
pub struct RegistrySettings {
    /// How long a read row is reused before it is read again.
    pub ttl: Duration,
    /// The timeout of every outbound partner call.
    pub partner_timeout: Duration,
    /// Lets clients reach loopback, private and cluster-internal hosts (local runs against
    /// simulators). A process setting (`workers.allow_private_partner_urls`), never a row's.
    pub allow_private_partner_urls: bool,
}

/// Partner connections and their clients, cached (cheap to clone; clones share the cache).
#[derive(Clone)]
pub struct ConnectionRegistry(Arc<Inner>);

struct Inner {
    pool: PgPool,
    secrets: SecretBox,
    settings: RegistrySettings,
    by_id: TtlMap<i64, Arc<LoadedConnection>>,
    active_by_kind: TtlMap<ConnectionKind, Arc<[Arc<LoadedConnection>]>>,
}

impl ConnectionRegistry {
    /// A registry reading `pool`, opening secrets with `secrets`.
    pub fn new(pool: PgPool, secrets: SecretBox, settings: RegistrySettings) -> Self {
        Self(Arc::new(Inner {
            pool,
            secrets,
            settings,
            by_id: TtlMap::new(settings.ttl),
            active_by_kind: TtlMap::new(settings.ttl),
        }))
    }

    /// The settings it was made with (another registry for the same process can reuse them).
    pub fn settings(&self) -> RegistrySettings {
        self.0.settings
    }

    /// The connection `id` with its secret, whatever its status.
    pub async fn connection(&self, id: i64) -> Result<Arc<LoadedConnection>, ConnectionError> {
        if let Some(hit) = self.0.by_id.get(&id) {
            return Ok(hit);
        }
        let ticket = self.0.by_id.ticket();
        let loaded = self.load(id).await?;
        self.0.by_id.put(ticket, id, Arc::clone(&loaded));
        Ok(loaded)
    }

    /// The active connections of `kind`, by id (for verifying inbound calls).
    pub async fn active(
        &self,
        kind: ConnectionKind,
    ) -> Result<Arc<[Arc<LoadedConnection>]>, ConnectionError> {
        if let Some(hit) = self.0.active_by_kind.get(&kind) {
            return Ok(hit);
        }
        let (list_ticket, row_ticket) = (self.0.active_by_kind.ticket(), self.0.by_id.ticket());
        let mut active = Vec::new();
        for row in connections::list(&self.0.pool, Some(kind)).await? {
            if row.status != ConnectionStatus::Active {
                continue;
            }
            let loaded = match self.load(row.id).await {
                Ok(loaded) => loaded,
                // Deleted between the two reads: it is not active any more.
                Err(ConnectionError::NotFound(_)) => continue,
                Err(error) => return Err(error),
            };
            if loaded.connection().status == ConnectionStatus::Active {
                self.0.by_id.put(row_ticket, row.id, Arc::clone(&loaded));
                active.push(loaded);
            }
        }
        let active: Arc<[Arc<LoadedConnection>]> = active.into();
        self.0
            .active_by_kind
            .put(list_ticket, kind, Arc::clone(&active));
        Ok(active)
    }

    /// The outbound client of connection `id`; refused unless the connection is `active`.
    pub async fn client(&self, id: i64) -> Result<PartnerClient, ConnectionError> {
        let loaded = self.connection(id).await?;
        let status = loaded.connection().status;
        if status != ConnectionStatus::Active {
            return Err(ConnectionError::NotActive { id, status });
        }
        loaded.client()
    }

    /// The Dujiao-Next client of an active `dujiao_upstream` connection.
    pub async fn dujiao(&self, id: i64) -> Result<DujiaoClient, ConnectionError> {
        match self.client(id).await? {
            PartnerClient::Dujiao(client) => Ok(client),
            other => Err(wrong_kind(id, ConnectionKind::DujiaoUpstream, &other)),
        }
    }

    /// The D-Store client of an active `dstore` connection.
    pub async fn dstore(&self, id: i64) -> Result<DstoreClient, ConnectionError> {
        match self.client(id).await? {
            PartnerClient::Dstore(client) => Ok(*client),
            other => Err(wrong_kind(id, ConnectionKind::Dstore, &other)),
        }
    }

    /// The 58 Daojia client of an active `daojia` connection.
    pub async fn daojia(&self, id: i64) -> Result<DaojiaClient, ConnectionError> {
        match self.client(id).await? {
            PartnerClient::Daojia(client) => Ok(client),
            other => Err(wrong_kind(id, ConnectionKind::Daojia, &other)),
        }
    }

    /// The Qimen (WDT) client of an active `qimen_wdt` connection.
    pub async fn qimen(&self, id: i64) -> Result<QimenClient, ConnectionError> {
        match self.client(id).await? {
            PartnerClient::Qimen(client) => Ok(client),
            other => Err(wrong_kind(id, ConnectionKind::QimenWdt, &other)),
        }
    }

    /// The vending client of an active `vending` connection.
    pub async fn vending(&self, id: i64) -> Result<VendingClient, ConnectionError> {
        match self.client(id).await? {
            PartnerClient::Vending(client) => Ok(client),
            other => Err(wrong_kind(id, ConnectionKind::Vending, &other)),
        }
    }

    /// Forgets connection `id` and every list it may be in (after an operator changed it).
    pub fn invalidate(&self, id: i64) {
        self.0.by_id.remove(&id);
        self.0.active_by_kind.clear();
    }

    /// Forgets everything (after an operator created a connection).
    pub fn invalidate_all(&self) {
        self.0.by_id.clear();
        self.0.active_by_kind.clear();
    }

    /// Reads the row and opens its secret; keeps the cached entry when nothing changed.
    async fn load(&self, id: i64) -> Result<Arc<LoadedConnection>, ConnectionError> {
        let fresh = match connections::get_with_secret(&self.0.pool, &self.0.secrets, id).await {
            Ok(fresh) => fresh,
            Err(StoreError::NotFound(_)) => return Err(ConnectionError::NotFound(id)),
            Err(error) => return Err(error.into()),
        };
        if let Some(previous) = self.0.by_id.stale(&id) {
            if previous.built_from(&fresh) {
                return Ok(previous);
            }
        }
        Ok(Arc::new(LoadedConnection::new(fresh, self.0.settings)))
    }
}

fn wrong_kind(id: i64, expected: ConnectionKind, found: &PartnerClient) -> ConnectionError {
    let found = match found {
        PartnerClient::Dujiao(_) => ConnectionKind::DujiaoUpstream,
        PartnerClient::Dstore(_) => ConnectionKind::Dstore,
        PartnerClient::Daojia(_) => ConnectionKind::Daojia,
        PartnerClient::Qimen(_) => ConnectionKind::QimenWdt,
        PartnerClient::Vending(_) => ConnectionKind::Vending,
    };
    ConnectionError::WrongKind {
        id,
        expected,
        found,
    }
}

//! One connection as the registry holds it: the row, its opened secret, and what is built from
//! them on first use (the outbound client, D-Store's parsed keys).
//!
//! Contract: built things live as long as the entry, and an entry is kept across TTL refreshes
//! while its row and secret are unchanged, so a client keeps its rate limiter and RSA keys are
//! parsed once per change, not once per request. `Debug` never shows the secret.

use std::sync::{Arc, OnceLock};

use secrecy::{ExposeSecret, SecretString};
use switchyard_store::connections::{ConnectionWithSecret, PartnerConnection};

use crate::clients::{self, DstoreKeys, PartnerClient};
use crate::error::ConnectionError;
use crate::registry::RegistrySettings;

/// A connection row with its decrypted secret, as cached by the registry.
#[derive(Debug)]
pub struct LoadedConnection {
    row: ConnectionWithSecret,
    settings: RegistrySettings,
    client: OnceLock<Result<PartnerClient, &'static str>>,
    dstore_keys: OnceLock<Arc<DstoreKeys>>,
}

impl LoadedConnection {
    pub(crate) fn new(row: ConnectionWithSecret, settings: RegistrySettings) -> Self {
        Self {
            row,
            settings,
            client: OnceLock::new(),
            dstore_keys: OnceLock::new(),
        }
    }

    /// The stored connection (no secret).
    pub fn connection(&self) -> &PartnerConnection {
        &self.row.connection
    }

    /// Its id.
    pub fn id(&self) -> i64 {
        self.row.connection.id
    }

    /// The decrypted secret, when one is stored.
    pub fn secret(&self) -> Option<&SecretString> {
        self.row.secret.as_ref()
    }

    /// The secret 58 signs pushes with (a `daojia` connection).
    pub fn daojia_push_secret(&self) -> Option<SecretString> {
        clients::daojia_push_secret(&self.row)
    }

    /// The parsed RSA keys of a `dstore` connection (parsed on first use).
    pub fn dstore_keys(&self) -> Arc<DstoreKeys> {
        Arc::clone(
            self.dstore_keys
                .get_or_init(|| Arc::new(clients::dstore_keys(&self.row))),
        )
    }

    /// The outbound client (built on first use), whatever the connection's status.
    pub(crate) fn client(&self) -> Result<PartnerClient, ConnectionError> {
        let keys = (self.row.connection.kind
            == switchyard_store::connections::ConnectionKind::Dstore)
            .then(|| self.dstore_keys());
        self.client
            .get_or_init(|| clients::build(&self.row, keys.as_deref(), &self.settings))
            .clone()
            .map_err(|what| ConnectionError::Misconfigured {
                id: self.id(),
                what,
            })
    }

    /// True when `fresh` is the same row and secret this entry was built from.
    pub(crate) fn built_from(&self, fresh: &ConnectionWithSecret) -> bool {
        let same_secret = match (&self.row.secret, &fresh.secret) {
            (None, None) => true,
            (Some(ours), Some(theirs)) => ours.expose_secret() == theirs.expose_secret(),
            _ => false,
        };
        same_secret && self.row.connection == fresh.connection
    }
}

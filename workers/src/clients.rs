//! Partner clients built from `partner_connections` rows, cached per connection.
//!
//! Contract: a client carries the connection's own rate limit (`rate_limit_per_minute`) and the
//! configured timeout, and makes exactly one HTTP attempt per call (`max_retries = 0`): retries
//! follow the connection's `retry_max`/`retry_intervals` schedule and each one is recorded as a
//! procurement attempt. Clients are rebuilt after [`CLIENT_TTL`] so rotated keys are picked up.
//! Secret layout per kind: `dujiao_upstream` — the API secret; `vending` — JSON
//! `{"app_secret": …, "merchant_key": …}`; `qimen_wdt` — the Qimen app secret, with
//! `settings` `{sid, wdt_appkey, shop_no, sign_method}` and `app_id` = `target_app_key`.

use std::collections::HashMap;
use std::num::NonZeroU32;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use secrecy::{ExposeSecret, SecretString};
use sqlx::PgPool;
use switchyard_partners::dujiao::{DujiaoClient, DujiaoConnection};
use switchyard_partners::policy::PolicyConfig;
use switchyard_partners::qimen::config::QimenConfig;
use switchyard_partners::qimen::sign::SignMethod;
use switchyard_partners::qimen::QimenClient;
use switchyard_partners::vending::{VendingClient, VendingConnection};
use switchyard_store::connections::{
    self, ConnectionKind, ConnectionWithSecret, PartnerConnection,
};
use switchyard_store::crypto::SecretBox;

use crate::error::StepError;

/// How long a built client is reused.
pub const CLIENT_TTL: Duration = Duration::from_secs(60);

/// A client for one connection, with the connection row it was built from.
#[derive(Clone)]
pub enum PartnerClient {
    /// An upstream Dujiao-Next site.
    Dujiao(DujiaoClient),
    /// A vending platform account.
    Vending(VendingClient),
    /// Wangdiantong through Qimen.
    Qimen(QimenClient),
}

struct Cached {
    built: Instant,
    connection: PartnerConnection,
    client: PartnerClient,
}

/// Builds and caches partner clients.
#[derive(Clone)]
pub struct PartnerClients {
    pool: PgPool,
    secrets: SecretBox,
    timeout: Duration,
    cache: Arc<Mutex<HashMap<i64, Arc<Cached>>>>,
}

impl PartnerClients {
    /// Clients reading connections from `pool`, opening secrets with `secrets`.
    pub fn new(pool: PgPool, secrets: SecretBox, timeout: Duration) -> Self {
        Self {
            pool,
            secrets,
            timeout,
            cache: Arc::default(),
        }
    }

    /// The connection row and a client for it.
    pub async fn get(
        &self,
        connection_id: i64,
    ) -> Result<(PartnerConnection, PartnerClient), StepError> {
        if let Some(cached) = self.cached(connection_id) {
            return Ok((cached.connection.clone(), cached.client.clone()));
        }
        let loaded = connections::get_with_secret(&self.pool, &self.secrets, connection_id).await?;
        let client = build(&loaded, self.policy(&loaded.connection))?;
        let cached = Arc::new(Cached {
            built: Instant::now(),
            connection: loaded.connection,
            client,
        });
        self.lock().insert(connection_id, Arc::clone(&cached));
        Ok((cached.connection.clone(), cached.client.clone()))
    }

    /// The Dujiao client of a connection, or a permanent error if it is of another kind.
    pub async fn dujiao(
        &self,
        connection_id: i64,
    ) -> Result<(PartnerConnection, DujiaoClient), StepError> {
        match self.get(connection_id).await? {
            (connection, PartnerClient::Dujiao(client)) => Ok((connection, client)),
            _ => Err(StepError::invalid("connection is not a dujiao_upstream")),
        }
    }

    /// The vending client of a connection, or a permanent error if it is of another kind.
    pub async fn vending(
        &self,
        connection_id: i64,
    ) -> Result<(PartnerConnection, VendingClient), StepError> {
        match self.get(connection_id).await? {
            (connection, PartnerClient::Vending(client)) => Ok((connection, client)),
            _ => Err(StepError::invalid("connection is not a vending connection")),
        }
    }

    fn cached(&self, connection_id: i64) -> Option<Arc<Cached>> {
        let cache = self.lock();
        let cached = cache.get(&connection_id)?;
        (cached.built.elapsed() < CLIENT_TTL).then(|| Arc::clone(cached))
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<i64, Arc<Cached>>> {
        // The map holds only rebuildable clients; a poisoned lock loses nothing.
        self.cache
            .lock()
            .unwrap_or_else(|poisoned| poisoned.into_inner())
    }

    fn policy(&self, connection: &PartnerConnection) -> PolicyConfig {
        policy_for(connection.rate_limit_per_minute, self.timeout)
    }
}

/// One attempt per call, paced to the connection's per-minute limit (a second's worth may burst).
pub fn policy_for(rate_limit_per_minute: i32, timeout: Duration) -> PolicyConfig {
    let per_minute = u32::try_from(rate_limit_per_minute).unwrap_or(1).max(1);
    let per_second = NonZeroU32::new(per_minute.div_ceil(60)).unwrap_or(NonZeroU32::MIN);
    PolicyConfig {
        timeout,
        rate_per_second: per_second,
        burst: per_second,
        max_retries: 0,
        ..PolicyConfig::default()
    }
}

fn build(loaded: &ConnectionWithSecret, policy: PolicyConfig) -> Result<PartnerClient, StepError> {
    let connection = &loaded.connection;
    let secret = loaded
        .secret
        .clone()
        .ok_or_else(|| StepError::invalid(format!("connection {} has no secret", connection.id)))?;
    let api_key = connection.api_key.clone().ok_or_else(|| {
        StepError::invalid(format!("connection {} has no api key", connection.id))
    })?;
    let config_error =
        |what: &str| StepError::invalid(format!("connection {}: {what}", connection.id));
    match connection.kind {
        ConnectionKind::DujiaoUpstream => DujiaoClient::new(DujiaoConnection {
            base_url: connection.base_url.clone(),
            api_key,
            api_secret: secret,
            policy,
        })
        .map(PartnerClient::Dujiao)
        .map_err(|_| config_error("unusable dujiao settings")),
        ConnectionKind::Vending => {
            let keys: VendingSecret = serde_json::from_str(secret.expose_secret())
                .map_err(|_| config_error("vending secret is not {app_secret, merchant_key}"))?;
            VendingClient::new(VendingConnection {
                base_url: connection.base_url.clone(),
                appid: api_key,
                app_secret: SecretString::from(keys.app_secret),
                merchant_key: SecretString::from(keys.merchant_key),
                policy,
            })
            .map(PartnerClient::Vending)
            .map_err(|_| config_error("unusable vending settings"))
        }
        ConnectionKind::QimenWdt => {
            let settings: QimenSettings = serde_json::from_value(connection.settings.clone())
                .map_err(|_| config_error("qimen settings need sid, wdt_appkey, shop_no"))?;
            let sign_method = SignMethod::parse(&settings.sign_method)
                .ok_or_else(|| config_error("unknown sign_method"))?;
            QimenClient::new(QimenConfig {
                gateway_url: connection.base_url.clone(),
                app_key: api_key,
                app_secret: secret,
                target_app_key: connection.app_id.clone().unwrap_or_default(),
                sid: settings.sid,
                wdt_appkey: settings.wdt_appkey,
                shop_no: settings.shop_no,
                sign_method,
                policy,
            })
            .map(PartnerClient::Qimen)
            .map_err(|_| config_error("unusable qimen settings"))
        }
        ConnectionKind::Dstore | ConnectionKind::Daojia => {
            Err(config_error("not a fulfiller connection"))
        }
    }
}

#[derive(serde::Deserialize)]
struct VendingSecret {
    app_secret: String,
    merchant_key: String,
}

#[derive(serde::Deserialize)]
struct QimenSettings {
    sid: String,
    wdt_appkey: String,
    shop_no: String,
    #[serde(default = "default_sign_method")]
    sign_method: String,
}

fn default_sign_method() -> String {
    "md5".to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn policy_makes_one_attempt_at_the_connection_pace() {
        let policy = policy_for(60, Duration::from_secs(3));
        assert_eq!(policy.max_retries, 0);
        assert_eq!(policy.rate_per_second.get(), 1);
        assert_eq!(policy.timeout, Duration::from_secs(3));
        assert_eq!(
            policy_for(6_000, Duration::from_secs(1))
                .rate_per_second
                .get(),
            100
        );
        assert_eq!(
            policy_for(0, Duration::from_secs(1)).rate_per_second.get(),
            1
        );
    }
}

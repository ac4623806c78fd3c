//! How each partner's client is made from its connection row: the one place that knows which
//! column holds which key.
//!
//! Row layout per kind (`api_key`, `app_id`, `settings`, secret):
//! - `dujiao_upstream`: the key and secret the upstream site issued us.
//! - `dstore`: `api_key` = D-Store's Client-Id; `settings.dstore_public_key` = D-Store's public
//!   key (PEM or base64 SPKI); secret = our POS private key (PKCS#8 PEM).
//! - `daojia`: `app_id` = our serviceKey; secret = the push secret as plain text (inbound only),
//!   or JSON `{"push_secret", "service_secret", "access_token"}` for `updateOrderDetail` too.
//! - `qimen_wdt`: `api_key` = Qimen app_key, `app_id` = target_app_key; secret = the Qimen app
//!   secret; `settings` = `{sid, wdt_appkey, shop_no, sign_method?}` (md5 when absent).
//! - `vending`: `api_key` = Appid; secret = JSON `{"app_secret", "merchant_key"}`.
//!
//! Contract: a client makes exactly one HTTP attempt per call (`max_retries = 0`, the caller's
//! schedule owns retries and records each attempt), paced to the connection's
//! `rate_limit_per_minute`, with the registry's timeout. Internal targets are refused and
//! redirects are not followed (the partner policy), unless the process opted in with
//! `allow_private_partner_urls`. Errors name the field, not its value.

use std::num::NonZeroU32;

use secrecy::{ExposeSecret, SecretString};
use switchyard_partners::daojia::{DaojiaClient, DaojiaConfig};
use switchyard_partners::dstore::{DstoreClient, DstoreConfig, DstorePrivateKey, DstorePublicKey};
use switchyard_partners::dujiao::{DujiaoClient, DujiaoConnection};
use switchyard_partners::policy::PolicyConfig;
use switchyard_partners::qimen::{QimenClient, QimenConfig, SignMethod};
use switchyard_partners::vending::{VendingClient, VendingConnection};
use switchyard_store::connections::{ConnectionKind, ConnectionWithSecret};

use crate::registry::RegistrySettings;

/// An outbound client for one connection, of the connection's kind.
#[derive(Clone, Debug)]
pub enum PartnerClient {
    /// An upstream Dujiao-Next site we buy from.
    Dujiao(DujiaoClient),
    /// Alipay+ D-Store (`notifyOrderChange`, `syncProduct`); boxed: it carries two RSA keys.
    Dstore(Box<DstoreClient>),
    /// 58 Daojia (`updateOrderDetail`).
    Daojia(DaojiaClient),
    /// Wangdiantong through Qimen.
    Qimen(QimenClient),
    /// A vending platform account.
    Vending(VendingClient),
}

/// A D-Store connection's parsed keys; `None` where the stored text does not parse.
#[derive(Debug)]
pub struct DstoreKeys {
    /// D-Store's public key (`settings.dstore_public_key`): verifies its requests and answers.
    pub public: Option<DstorePublicKey>,
    /// The POS private key (the connection's secret): signs our requests and answers.
    pub private: Option<DstorePrivateKey>,
}

/// Parses a D-Store connection's keys (costly: done once per cached row).
pub(crate) fn dstore_keys(loaded: &ConnectionWithSecret) -> DstoreKeys {
    let public = loaded
        .connection
        .settings
        .get("dstore_public_key")
        .and_then(|key| key.as_str())
        .and_then(|key| DstorePublicKey::parse(key).ok());
    let private = loaded
        .secret
        .as_ref()
        .and_then(|secret| DstorePrivateKey::parse(secret.expose_secret()).ok());
    DstoreKeys { public, private }
}

/// The secret 58 signs its pushes with: the whole secret, or its `push_secret` field.
pub(crate) fn daojia_push_secret(loaded: &ConnectionWithSecret) -> Option<SecretString> {
    let secret = loaded.secret.as_ref()?;
    match serde_json::from_str::<DaojiaSecret>(secret.expose_secret()) {
        Ok(keys) => Some(SecretString::from(keys.push_secret)),
        Err(_) => Some(secret.clone()),
    }
}

/// One attempt per call, paced to the connection's per-minute limit (a second's worth may burst),
/// with the registry's timeout and target rule.
pub fn policy_for(rate_limit_per_minute: i32, settings: &RegistrySettings) -> PolicyConfig {
    let per_minute = u32::try_from(rate_limit_per_minute).unwrap_or(1).max(1);
    let per_second = NonZeroU32::new(per_minute.div_ceil(60)).unwrap_or(NonZeroU32::MIN);
    PolicyConfig {
        timeout: settings.partner_timeout,
        rate_per_second: per_second,
        burst: per_second,
        max_retries: 0,
        allow_private_targets: settings.allow_private_partner_urls,
        ..PolicyConfig::default()
    }
}

/// Builds the client of `loaded`'s kind, or names what is missing.
pub(crate) fn build(
    loaded: &ConnectionWithSecret,
    keys: Option<&DstoreKeys>,
    settings: &RegistrySettings,
) -> Result<PartnerClient, &'static str> {
    let connection = &loaded.connection;
    let policy = policy_for(connection.rate_limit_per_minute, settings);
    let secret = loaded.secret.clone().ok_or("no secret stored")?;
    let api_key = || connection.api_key.clone().ok_or("no api_key");
    let base_url = connection.base_url.clone();
    match connection.kind {
        ConnectionKind::DujiaoUpstream => DujiaoClient::new(DujiaoConnection {
            base_url,
            api_key: api_key()?,
            api_secret: secret,
            policy,
        })
        .map(PartnerClient::Dujiao)
        .map_err(|_| "unusable dujiao settings"),
        ConnectionKind::Dstore => {
            let keys = keys.ok_or("keys not parsed")?;
            DstoreClient::new(DstoreConfig {
                gateway_url: base_url,
                client_id: api_key()?,
                pos_private_key: keys.private.clone().ok_or("secret is not a private key")?,
                dstore_public_key: keys
                    .public
                    .clone()
                    .ok_or("settings.dstore_public_key is missing or not a key")?,
                policy,
            })
            .map(|client| PartnerClient::Dstore(Box::new(client)))
            .map_err(|_| "unusable dstore settings")
        }
        ConnectionKind::Daojia => {
            let keys: DaojiaSecret = serde_json::from_str(secret.expose_secret())
                .map_err(|_| "secret is not {push_secret, service_secret, access_token}")?;
            DaojiaClient::new(DaojiaConfig {
                api_url: base_url,
                access_token: SecretString::from(keys.access_token.ok_or("no access_token")?),
                service_key: connection.app_id.clone().ok_or("no app_id (serviceKey)")?,
                service_secret: SecretString::from(keys.service_secret.ok_or("no service_secret")?),
                policy,
            })
            .map(PartnerClient::Daojia)
            .map_err(|_| "unusable daojia settings")
        }
        ConnectionKind::QimenWdt => {
            let settings: QimenSettings = serde_json::from_value(connection.settings.clone())
                .map_err(|_| "settings need sid, wdt_appkey, shop_no")?;
            let sign_method =
                SignMethod::parse(&settings.sign_method).ok_or("unknown sign_method")?;
            QimenClient::new(QimenConfig {
                gateway_url: base_url,
                app_key: api_key()?,
                app_secret: secret,
                target_app_key: connection.app_id.clone().unwrap_or_default(),
                sid: settings.sid,
                wdt_appkey: settings.wdt_appkey,
                shop_no: settings.shop_no,
                sign_method,
                policy,
            })
            .map(PartnerClient::Qimen)
            .map_err(|_| "unusable qimen settings")
        }
        ConnectionKind::Vending => {
            let keys: VendingSecret = serde_json::from_str(secret.expose_secret())
                .map_err(|_| "secret is not {app_secret, merchant_key}")?;
            VendingClient::new(VendingConnection {
                base_url,
                appid: api_key()?,
                app_secret: SecretString::from(keys.app_secret),
                merchant_key: SecretString::from(keys.merchant_key),
                policy,
            })
            .map(PartnerClient::Vending)
            .map_err(|_| "unusable vending settings")
        }
    }
}

#[derive(serde::Deserialize)]
struct DaojiaSecret {
    push_secret: String,
    #[serde(default)]
    service_secret: Option<String>,
    #[serde(default)]
    access_token: Option<String>,
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
    use std::time::Duration;

    use super::*;
    use switchyard_store::connections::{ConnectionStatus, PartnerConnection};

    fn settings(timeout: Duration) -> RegistrySettings {
        RegistrySettings {
            ttl: Duration::ZERO,
            partner_timeout: timeout,
            allow_private_partner_urls: false,
        }
    }

    fn row(kind: ConnectionKind, secret: &str) -> ConnectionWithSecret {
        ConnectionWithSecret {
            connection: PartnerConnection {
                id: 1,
                kind,
                name: "n".into(),
                base_url: "http://127.0.0.1:1".into(),
                status: ConnectionStatus::Active,
                rate_limit_per_minute: 60,
                retry_max: 0,
                retry_intervals: vec![30],
                api_key: Some("key".into()),
                app_id: Some("service-key".into()),
                settings: serde_json::json!({}),
                has_secret: true,
                created_at: chrono::Utc::now(),
            },
            secret: Some(SecretString::from(secret.to_owned())),
        }
    }

    #[test]
    fn policy_makes_one_attempt_at_the_connection_pace() {
        let policy = policy_for(60, &settings(Duration::from_secs(3)));
        assert_eq!(policy.max_retries, 0);
        assert!(
            !policy.allow_private_targets,
            "internal targets refused unless opted in"
        );
        let local = RegistrySettings {
            allow_private_partner_urls: true,
            ..settings(Duration::from_secs(3))
        };
        assert!(policy_for(60, &local).allow_private_targets);
        assert_eq!(policy.rate_per_second.get(), 1);
        assert_eq!(policy.timeout, Duration::from_secs(3));
        let fast = policy_for(6_000, &settings(Duration::from_secs(1)));
        assert_eq!(fast.rate_per_second.get(), 100);
        assert_eq!(
            policy_for(0, &settings(Duration::from_secs(1)))
                .rate_per_second
                .get(),
            1
        );
    }

    #[test]
    fn a_daojia_secret_is_the_push_secret_or_a_document_with_it() {
        let plain = row(ConnectionKind::Daojia, "push-only");
        let push = daojia_push_secret(&plain).map(|s| s.expose_secret().to_owned());
        assert_eq!(push.as_deref(), Some("push-only"));
        assert_eq!(
            build(&plain, None, &settings(Duration::from_secs(1))).err(),
            Some("secret is not {push_secret, service_secret, access_token}")
        );
        let full = row(
            ConnectionKind::Daojia,
            r#"{"push_secret":"p","service_secret":"s","access_token":"t"}"#,
        );
        let push = daojia_push_secret(&full).map(|s| s.expose_secret().to_owned());
        assert_eq!(push.as_deref(), Some("p"));
        assert!(matches!(
            build(&full, None, &settings(Duration::from_secs(1))),
            Ok(PartnerClient::Daojia(_))
        ));
    }

    #[test]
    fn a_misconfigured_row_names_the_field_not_the_value() {
        let vending = row(ConnectionKind::Vending, "not json");
        assert_eq!(
            build(&vending, None, &settings(Duration::from_secs(1))).err(),
            Some("secret is not {app_secret, merchant_key}")
        );
        let dstore = row(ConnectionKind::Dstore, "not a key");
        let keys = dstore_keys(&dstore);
        assert!(keys.private.is_none() && keys.public.is_none());
        assert_eq!(
            build(&dstore, Some(&keys), &settings(Duration::from_secs(1))).err(),
            Some("secret is not a private key")
        );
    }
}

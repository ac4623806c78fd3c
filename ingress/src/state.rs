//! What every handler shares: configuration, pool, publisher, verifiers, metrics, key cache.

use std::sync::Arc;

use chrono::Utc;
use sqlx::PgPool;
use switchyard_connections::ConnectionRegistry;
use switchyard_partners::dujiao::DujiaoVerifier;
use switchyard_partners::vending::NotifyTokens;
use switchyard_store::credentials::CredentialWithSecret;
use switchyard_store::crypto::SecretBox;
use switchyard_topics::{encode, CodecError, EncodedEvent, Event, EventMeta};
use uuid::Uuid;

use crate::config::IngressConfig;
use crate::metrics::IngressMetrics;
use crate::publish::DurablePublisher;
use crate::ttl_cache::TtlCache;

/// Shared handler state (cheap to clone).
#[derive(Clone)]
pub(crate) struct AppState(Arc<Shared>);

pub(crate) struct Shared {
    pub(crate) config: IngressConfig,
    pub(crate) pool: PgPool,
    pub(crate) publisher: DurablePublisher,
    pub(crate) topic_prefix: String,
    pub(crate) secret_box: SecretBox,
    /// Verifies the token of vending notify URLs (key derived from the secret key).
    pub(crate) notify_tokens: NotifyTokens,
    pub(crate) dujiao: DujiaoVerifier,
    pub(crate) metrics: IngressMetrics,
    /// Partner connections, shared with the workers in one process.
    pub(crate) connections: ConnectionRegistry,
    /// Dujiao-Next credentials by API key (cleared by the operator API on every change).
    pub(crate) credentials: TtlCache<String, Arc<CredentialWithSecret>>,
    /// Dujiao-Next API keys no credential has, refused without a database read for
    /// `ingress.unknown_key_cache_ttl_ms` (cleared when a credential is issued here).
    pub(crate) unknown_api_keys: TtlCache<String, ()>,
}

impl std::ops::Deref for AppState {
    type Target = Shared;
    fn deref(&self) -> &Shared {
        &self.0
    }
}

impl AppState {
    pub(crate) fn new(shared: Shared) -> Self {
        Self(Arc::new(shared))
    }

    /// Encodes `event` for its topic with `event_id` and the request's trace context.
    pub(crate) fn encode<E: Event>(
        &self,
        event: &E,
        event_id: Uuid,
        traceparent: Option<&str>,
    ) -> Result<EncodedEvent, CodecError> {
        let mut meta = EventMeta::new();
        meta.event_id = event_id;
        if let Some(traceparent) = traceparent {
            meta = meta.with_traceparent(traceparent);
        }
        encode(self.topic_prefix.as_str(), event, meta)
    }
}

/// Now, in epoch milliseconds.
pub(crate) fn now_millis() -> i64 {
    Utc::now().timestamp_millis()
}

/// The `traceparent` header of a request, if it is well-formed enough to pass on.
pub(crate) fn traceparent(headers: &http::HeaderMap) -> Option<&str> {
    headers
        .get("traceparent")
        .and_then(|value| value.to_str().ok())
        .filter(|value| value.len() == 55 && value.is_ascii())
}

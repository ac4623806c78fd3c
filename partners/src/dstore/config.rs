//! D-Store connection settings: gateway, our Client-Id, the POS private key that signs our
//! requests, and D-Store's public key that verifies its answers and calls.
//!
//! Contract: `Debug` shows the Client-Id and URL but never key material (the key types redact
//! themselves).

use super::keys::{DstorePrivateKey, DstorePublicKey};
use crate::policy::PolicyConfig;

/// Everything needed to talk to one D-Store gateway.
#[derive(Debug, Clone)]
pub struct DstoreConfig {
    /// Gateway base URL, e.g. `https://open-region.alipayplus.com`.
    pub gateway_url: String,
    /// The Client-Id D-Store assigned to us.
    pub client_id: String,
    /// Signs our requests (and our answers to D-Store's calls).
    pub pos_private_key: DstorePrivateKey,
    /// Verifies D-Store's answers and calls.
    pub dstore_public_key: DstorePublicKey,
    /// Rate limit, timeout and retries for this connection.
    pub policy: PolicyConfig,
}

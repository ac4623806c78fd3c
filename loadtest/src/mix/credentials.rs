//! The keys the harness signs with, one set per partner, and the ids the payloads refer to.
//!
//! Contract: secrets are `SecretString`/[`DstorePrivateKey`] and never appear in `Debug`. The
//! defaults are the public test credentials (the D-Store pair in `loadtest/keys/` is the test key
//! of `/work/shared/vectors`); a hub under test must be configured with the same values.

use secrecy::SecretString;
use switchyard_partners::dstore::{DstorePrivateKey, KeyError};

/// Where the fake downstream site wants its callbacks (public, so an ingress that refuses
/// loopback and private callback URLs accepts it).
pub const DOWNSTREAM_CALLBACK_URL: &str =
    "https://downstream.example.test/api/v1/upstream/callback";

/// The public D-Store test private key (PKCS#8), as published in the shared test vectors.
pub const TEST_DSTORE_PRIVATE_KEY: &str = include_str!("../../keys/dstore_test_private.pem");

/// Everything the mix needs to sign and fill its requests.
#[derive(Clone)]
pub struct Credentials {
    /// Dujiao provider API: the downstream site's API key on the hub.
    pub dujiao_api_key: String,
    /// Dujiao provider API: its secret.
    pub dujiao_api_secret: SecretString,
    /// Dujiao provider API: the SKU ordered.
    pub dujiao_sku_id: u64,
    /// Dujiao provider API: where the downstream site wants its callbacks.
    pub dujiao_callback_url: String,
    /// Dujiao callbacks: the key of the upstream connection the hub calls.
    pub callback_api_key: String,
    /// Dujiao callbacks: its secret.
    pub callback_api_secret: SecretString,
    /// D-Store: the Client-Id D-Store signs with.
    pub dstore_client_id: String,
    /// D-Store: the private key D-Store signs with (the hub holds its public half).
    pub dstore_private_key: DstorePrivateKey,
    /// D-Store: the merchant at the POS.
    pub dstore_pos_account_id: String,
    /// D-Store: the store at the POS.
    pub dstore_pos_store_id: String,
    /// D-Store: the product ordered.
    pub dstore_pos_product_id: String,
    /// 58 Daojia: the shared push secret.
    pub daojia_secret: SecretString,
    /// Vending: the machine number dispense results name.
    pub vending_machine_no: String,
}

impl std::fmt::Debug for Credentials {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Credentials")
            .field("dujiao_sku_id", &self.dujiao_sku_id)
            .field("dstore_client_id", &self.dstore_client_id)
            .field("dstore_pos_store_id", &self.dstore_pos_store_id)
            .finish_non_exhaustive()
    }
}

impl Credentials {
    /// The public test credentials.
    pub fn test_defaults() -> Result<Self, KeyError> {
        Ok(Self {
            dujiao_api_key: "loadtest-downstream".into(),
            dujiao_api_secret: SecretString::from("loadtest-downstream-secret"),
            dujiao_sku_id: 12,
            dujiao_callback_url: DOWNSTREAM_CALLBACK_URL.into(),
            callback_api_key: "loadtest-upstream".into(),
            callback_api_secret: SecretString::from("loadtest-upstream-secret"),
            dstore_client_id: "loadtest-dstore".into(),
            dstore_private_key: DstorePrivateKey::from_pkcs8_pem(TEST_DSTORE_PRIVATE_KEY)?,
            dstore_pos_account_id: "POS-ACCOUNT-1".into(),
            dstore_pos_store_id: "POS-STORE-1".into(),
            dstore_pos_product_id: "POS-PRODUCT-1".into(),
            daojia_secret: SecretString::from("loadtest-daojia-secret"),
            vending_machine_no: "12345678".into(),
        })
    }
}

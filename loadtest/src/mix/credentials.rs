//! The keys the harness signs with, one set per partner, and the ids the payloads refer to.
//!
//! Contract: secrets are `SecretString`/[`DstorePrivateKey`] and never appear in `Debug`. The
//! defaults are the public test credentials (the D-Store pair in `loadtest/keys/` is the test key
//! of `partners/tests/vectors/`); a hub under test must be configured with the same values.

use secrecy::SecretString;
use switchyard_partners::dstore::{DstorePrivateKey, KeyError};

/// Where the fake downstream site wants its callbacks (public, so an ingress that refuses
/// loopback and private callback URLs accepts it).
pub const DOWNSTREAM_CALLBACK_URL: &str =
    "https://downstream.example.test/api/v1/upstream/callback";

/// The public D-Store test private key (PKCS#8), as in the partners crate's test vectors.
pub const TEST_DSTORE_PRIVATE_KEY: &str = include_str!("../../keys/dstore_test_private.pem");

/// Everything the mix needs to sign and fill its requests.
#[derive(Clone)]
pub struct Credentials {
    /// Dujiao provider API: the downstream site's API key on the hub.
    pub dujiao_api_key: String,
    /// Dujiao provider API: its secret.
    pub dujiao_api_secret: SecretString,
    /// Dujiao provider API: further downstream sites (API key, secret) that place orders too.
    /// Orders are spread over all sites by their `downstream_order_no`, so each site's wallet
    /// sees its share (a real hub serves many sites; one site's orders serialise on its wallet).
    pub dujiao_more_sites: Vec<(String, SecretString)>,
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
            .field("dujiao_sites", &(1 + self.dujiao_more_sites.len()))
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
            dujiao_more_sites: Vec::new(),
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

    /// The downstream site (API key, secret) that places the Dujiao order `downstream_order_no`:
    /// the same site for every repeat of one order.
    pub fn dujiao_site(&self, downstream_order_no: &str) -> (&str, &SecretString) {
        let sites = 1 + self.dujiao_more_sites.len();
        // FNV-1a: stable across runs and processes (unlike the std hasher).
        let hash = downstream_order_no
            .bytes()
            .fold(0xcbf2_9ce4_8422_2325_u64, |hash, byte| {
                (hash ^ u64::from(byte)).wrapping_mul(0x0100_0000_01b3)
            });
        match (hash % sites as u64) as usize {
            0 => (&self.dujiao_api_key, &self.dujiao_api_secret),
            n => {
                let (key, secret) = &self.dujiao_more_sites[n - 1];
                (key, secret)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn orders_spread_over_every_site_and_a_repeat_keeps_its_site() {
        let mut credentials = Credentials::test_defaults().expect("test key");
        credentials.dujiao_more_sites = (1..4)
            .map(|n| {
                (
                    format!("site-{n}"),
                    SecretString::from(format!("secret-{n}")),
                )
            })
            .collect();
        let mut seen = std::collections::BTreeSet::new();
        for seq in 0..200 {
            let order_no = format!("LTDrun{seq:08}");
            let (key, _) = credentials.dujiao_site(&order_no);
            assert_eq!(
                key,
                credentials.dujiao_site(&order_no).0,
                "stable per order"
            );
            seen.insert(key.to_owned());
        }
        assert_eq!(seen.len(), 4, "every site gets orders: {seen:?}");
    }

    #[test]
    fn with_one_site_every_order_uses_it() {
        let credentials = Credentials::test_defaults().expect("test key");
        assert_eq!(credentials.dujiao_site("anything").0, "loadtest-downstream");
    }
}

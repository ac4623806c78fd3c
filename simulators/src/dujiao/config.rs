//! Configuration of a simulated Dujiao-Next site: credentials, catalog and behaviour switches.

use std::collections::BTreeMap;

use switchyard_domain::Currency;
use switchyard_partners::dujiao::wire::{FulfillmentType, Product, Sku, StockStatus};

/// One integrator credential with its wallet.
#[derive(Clone)]
pub struct SimCredential {
    /// API key the integrator sends.
    pub api_key: String,
    /// API secret the integrator signs with.
    pub api_secret: String,
    /// Wallet balance in minor units.
    pub balance_minor: i64,
    /// A disabled user gets 403 `user_disabled`.
    pub disabled: bool,
}

impl std::fmt::Debug for SimCredential {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SimCredential")
            .field("balance_minor", &self.balance_minor)
            .field("disabled", &self.disabled)
            .finish_non_exhaustive()
    }
}

/// Everything a simulated site needs.
#[derive(Debug, Clone)]
pub struct DujiaoSimConfig {
    /// Name answered by `ping`.
    pub site_name: String,
    /// Wallet and price currency.
    pub currency: Currency,
    /// Integrators allowed to call.
    pub credentials: Vec<SimCredential>,
    /// The catalog (stock is decremented by orders).
    pub products: Vec<Product>,
    /// Answer every create with HTTP 200 `payment_failed`.
    pub payment_fails: bool,
    /// Answer every cancel with 409 `cancel_not_allowed`.
    pub refuse_cancel: bool,
    /// Fulfil each order as soon as it is paid.
    pub auto_fulfil: bool,
    /// Multiplies the 30/60/120/300/300 s callback retry delays (0.001 in tests).
    pub callback_delay_factor: f64,
    /// Refuse loopback/private callback URLs like the real site (off for local tests).
    pub reject_private_callback_urls: bool,
}

impl Default for DujiaoSimConfig {
    fn default() -> Self {
        DujiaoSimConfig {
            site_name: "Simulated Upstream".into(),
            currency: Currency::CNY,
            credentials: Vec::new(),
            products: sample_catalog(),
            payment_fails: false,
            refuse_cancel: false,
            auto_fulfil: false,
            callback_delay_factor: 1.0,
            reject_private_callback_urls: false,
        }
    }
}

impl DujiaoSimConfig {
    /// Adds a credential with a wallet balance.
    pub fn with_credential(mut self, api_key: &str, api_secret: &str, balance_minor: i64) -> Self {
        self.credentials.push(SimCredential {
            api_key: api_key.into(),
            api_secret: api_secret.into(),
            balance_minor,
            disabled: false,
        });
        self
    }
}

/// Product 1 (active, auto): SKU 11 at 9.99 with 5 in stock, SKU 12 at 1.50 unlimited.
/// Product 2 is inactive with SKU 21.
pub fn sample_catalog() -> Vec<Product> {
    let sku = |id: u64, price: &str, quantity: i64, is_active: bool| Sku {
        id,
        sku_code: format!("SKU-{id}"),
        spec_values: BTreeMap::new(),
        price_amount: price.into(),
        stock_status: if quantity < 0 {
            StockStatus::Unlimited
        } else {
            StockStatus::InStock
        },
        stock_quantity: quantity,
        is_active,
    };
    let title = |text: &str| BTreeMap::from([("en".to_owned(), text.to_owned())]);
    vec![
        Product {
            id: 1,
            slug: "gift-card".into(),
            title: title("Gift card"),
            description: title("A code by e-mail"),
            images: Vec::new(),
            price_amount: "9.99".into(),
            fulfillment_type: FulfillmentType::Auto,
            is_active: true,
            category_id: Some(1),
            skus: vec![sku(11, "9.99", 5, true), sku(12, "1.50", -1, true)],
        },
        Product {
            id: 2,
            slug: "retired".into(),
            title: title("Retired"),
            description: BTreeMap::new(),
            images: Vec::new(),
            price_amount: "5.00".into(),
            fulfillment_type: FulfillmentType::Manual,
            is_active: false,
            category_id: Some(1),
            skus: vec![sku(21, "5.00", 10, true)],
        },
    ]
}

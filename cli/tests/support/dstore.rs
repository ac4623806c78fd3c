//! D-Store as the end-to-end tests meet it: the test RSA keys, a simulator that signs with
//! D-Store's key and verifies with our POS key, and a one-line `createOrder`.

use switchyard_partners::dstore::wire::{CreateOrderRequest, DstoreAmount, OrderProduct};
use switchyard_partners::dstore::{DstorePrivateKey, DstorePublicKey};
use switchyard_simulators::dstore::{DstoreSimulator, DstoreSimulatorConfig};

/// A test key or vector from `partners/tests/vectors/`.
pub fn vector(name: &str) -> String {
    let path = format!(
        "{}/../partners/tests/vectors/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|error| panic!("{path}: {error}"))
}

/// A D-Store simulator calling as `client_id`, with the test key pair on both sides.
pub fn simulator(client_id: &str) -> DstoreSimulator {
    DstoreSimulator::new(DstoreSimulatorConfig {
        client_id: client_id.into(),
        dstore_private_key: DstorePrivateKey::from_pkcs8_pem(&vector("dstore_test_private.pem"))
            .expect("private key"),
        pos_public_key: DstorePublicKey::parse(&vector("dstore_test_public.pem"))
            .expect("public key"),
    })
}

/// `createOrder` `request_order_id` for one unit of `pos_product_id` at 10.00 CNY.
pub fn one_item_order(request_order_id: &str, pos_product_id: &str) -> CreateOrderRequest {
    CreateOrderRequest {
        request_order_id: request_order_id.into(),
        pos_account_id: "acc-1".into(),
        pos_store_id: "store-1".into(),
        order_channel: None,
        channel_order_id: None,
        service_type: None,
        expect_fulfillment_time: None,
        customer: None,
        order_products: vec![OrderProduct {
            pos_product_id: pos_product_id.into(),
            quantity: 1,
            price: None,
        }],
        order_amount: DstoreAmount {
            value: 1_000,
            currency: "CNY".into(),
        },
    }
}

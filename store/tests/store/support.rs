//! Shared fixtures: a migrated database, a secret box, a user with a funded wallet.

use base64::Engine;
use secrecy::SecretString;
use switchyard_store::crypto::SecretBox;
use switchyard_store::wallets::{self, WalletMove};
use switchyard_store::{users, Currency};
use switchyard_testkit::database::TestDatabase;

pub async fn database() -> TestDatabase {
    TestDatabase::new().await.expect("test database")
}

pub fn secret_box(key_byte: u8) -> SecretBox {
    let key = base64::engine::general_purpose::STANDARD.encode([key_byte; 32]);
    SecretBox::from_base64_key("k1", &SecretString::from(key)).expect("valid key")
}

/// A user whose wallet holds `balance_minor` CNY.
pub async fn funded_user(db: &TestDatabase, label: &str, balance_minor: i64) -> i64 {
    let user = users::create(db.pool(), label, Currency::CNY)
        .await
        .expect("user");
    if balance_minor > 0 {
        let mut conn = db.pool().acquire().await.expect("connection");
        wallets::credit(
            &mut conn,
            &WalletMove {
                user_id: user.id,
                amount_minor: balance_minor,
                idempotency_key: "topup:initial",
                reference: None,
            },
        )
        .await
        .expect("credit");
    }
    user.id
}

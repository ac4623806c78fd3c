//! Shared fixtures: a migrated database, a secret box, a user with a funded wallet.

use switchyard_store::wallets::{self, WalletMove};
use switchyard_store::{users, Currency};
use switchyard_testkit::database::TestDatabase;

pub async fn database() -> TestDatabase {
    TestDatabase::new().await.expect("test database")
}

pub use switchyard_testkit::secrets::secret_box_of as secret_box;

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

/// How many ledger entries the wallet of `user_id` has.
pub async fn ledger_entries(db: &TestDatabase, user_id: i64) -> i64 {
    sqlx::query_scalar("SELECT count(*) FROM wallet_ledger WHERE user_id = $1")
        .bind(user_id)
        .fetch_one(db.pool())
        .await
        .expect("ledger count")
}

/// The stored contact phone of an order: `None` without a contact row.
pub async fn contact_phone(db: &TestDatabase, order_id: uuid::Uuid) -> Option<Option<String>> {
    sqlx::query_scalar("SELECT contact_phone FROM order_contacts WHERE order_id = $1")
        .bind(order_id)
        .fetch_optional(db.pool())
        .await
        .expect("contact row")
}

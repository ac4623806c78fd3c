//! Migrations, credentials, connections and wallets.

use secrecy::{ExposeSecret, SecretString};
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, NewConnection};
use switchyard_store::credentials::{self, CredentialStatus};
use switchyard_store::crypto::CryptoError;
use switchyard_store::wallets::{self, LedgerKind, WalletMove};
use switchyard_store::{users, Currency, StoreError};
use switchyard_testkit::database::TestDatabase;

use crate::support::{database, funded_user, ledger_entries, secret_box};

#[tokio::test]
async fn migrations_apply_to_an_empty_database_and_reapplying_is_a_no_op() {
    let db = TestDatabase::without_migrations()
        .await
        .expect("empty database");
    switchyard_store::migrate(db.pool())
        .await
        .expect("first run");
    let applied: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(db.pool())
        .await
        .expect("count");
    switchyard_store::migrate(db.pool())
        .await
        .expect("second run");
    let again: i64 = sqlx::query_scalar("SELECT count(*) FROM _sqlx_migrations")
        .fetch_one(db.pool())
        .await
        .expect("count");
    assert_eq!(applied, switchyard_store::MIGRATOR.iter().count() as i64);
    assert_eq!(again, applied);
    // The topics crate relies on this exact table.
    sqlx::query("INSERT INTO processed_events (consumer_group, event_id, topic) VALUES ('g', gen_random_uuid(), 't')")
        .execute(db.pool())
        .await
        .expect("processed_events has the agreed shape");
}

#[tokio::test]
async fn credential_lifecycle_and_secret_encrypted_at_rest() {
    let db = database().await;
    let secrets = secret_box(1);
    let user = users::create(db.pool(), "site-a", Currency::CNY)
        .await
        .expect("user");

    let issued = credentials::apply(db.pool(), &secrets, user.id)
        .await
        .expect("apply");
    assert_eq!(issued.credential.status, CredentialStatus::PendingReview);
    let plaintext = issued.secret.expose_secret().to_owned();
    assert!(
        !format!("{issued:?}").contains(&plaintext),
        "Debug must not show the secret"
    );

    let raw: Vec<u8> =
        sqlx::query_scalar("SELECT secret_ciphertext FROM api_credentials WHERE id = $1")
            .bind(issued.credential.id)
            .fetch_one(db.pool())
            .await
            .expect("raw column");
    assert!(!raw
        .windows(plaintext.len())
        .any(|w| w == plaintext.as_bytes()));

    let second = credentials::apply(db.pool(), &secrets, user.id).await;
    assert!(
        matches!(second, Err(StoreError::Duplicate { .. })),
        "one credential per user"
    );
    let unknown_user = credentials::apply(db.pool(), &secrets, 9_999).await;
    assert!(matches!(unknown_user, Err(StoreError::NotFound("user"))));

    let id = issued.credential.id;
    let refused = credentials::disable(db.pool(), id).await;
    assert!(matches!(refused, Err(StoreError::InvalidTransition { .. })));
    let approved = credentials::approve(db.pool(), id).await.expect("approve");
    assert_eq!(approved.status, CredentialStatus::Approved);
    let approved_at = approved.approved_at.expect("approval time");
    assert!(matches!(
        credentials::reject(db.pool(), id, "late").await,
        Err(StoreError::InvalidTransition { .. })
    ));
    assert_eq!(
        credentials::disable(db.pool(), id)
            .await
            .expect("disable")
            .status,
        CredentialStatus::Disabled
    );
    let enabled = credentials::enable(db.pool(), id).await.expect("enable");
    assert_eq!(enabled.status, CredentialStatus::Approved);
    assert_eq!(
        enabled.approved_at,
        Some(approved_at),
        "re-enabling keeps the approval time"
    );

    let found = credentials::find_by_api_key(db.pool(), &secrets, &issued.credential.api_key)
        .await
        .expect("lookup")
        .expect("known key");
    assert_eq!(found.secret.expose_secret(), plaintext);
    assert!(
        credentials::find_by_api_key(db.pool(), &secrets, "dk_unknown")
            .await
            .expect("lookup")
            .is_none()
    );

    let wrong_key =
        credentials::find_by_api_key(db.pool(), &secret_box(2), &issued.credential.api_key).await;
    assert!(matches!(
        wrong_key,
        Err(StoreError::Crypto(CryptoError::Undecryptable))
    ));
    assert!(!wrong_key.err().map(|e| e.is_transient()).unwrap_or(true));
}

#[tokio::test]
async fn a_rejection_keeps_its_reason() {
    let db = database().await;
    let secrets = secret_box(1);
    let user = users::create(db.pool(), "site-b", Currency::CNY)
        .await
        .expect("user");
    let issued = credentials::apply(db.pool(), &secrets, user.id)
        .await
        .expect("apply");
    let rejected = credentials::reject(db.pool(), issued.credential.id, "unknown site")
        .await
        .expect("reject");
    assert_eq!(rejected.status, CredentialStatus::Rejected);
    assert_eq!(rejected.reject_reason.as_deref(), Some("unknown site"));
    assert!(matches!(
        credentials::approve(db.pool(), issued.credential.id).await,
        Err(StoreError::InvalidTransition { .. })
    ));
    assert!(matches!(
        credentials::approve(db.pool(), 12_345).await,
        Err(StoreError::NotFound(_))
    ));
}

#[tokio::test]
async fn connection_secret_round_trips_encrypted_and_a_wrong_key_fails() {
    let db = database().await;
    let secrets = secret_box(3);
    let mut new = NewConnection::new(
        ConnectionKind::DujiaoUpstream,
        "site-c",
        "http://127.0.0.1:9",
    );
    new.api_key = Some("upstream-key".into());
    new.secret = Some(SecretString::from("upstream-secret-value"));
    let created = connections::create(db.pool(), &secrets, &new)
        .await
        .expect("create");
    assert!(created.has_secret);
    assert_eq!(created.retry_intervals, vec![30, 60, 300]);
    assert_eq!(created.retry_max, 5);
    assert!(!format!("{new:?}").contains("upstream-secret-value"));

    let raw: Vec<u8> =
        sqlx::query_scalar("SELECT secret_ciphertext FROM partner_connections WHERE id = $1")
            .bind(created.id)
            .fetch_one(db.pool())
            .await
            .expect("raw column");
    assert!(!raw.windows(6).any(|w| w == b"secret"));

    let opened = connections::get_with_secret(db.pool(), &secrets, created.id)
        .await
        .expect("get");
    assert_eq!(
        opened.secret.expect("secret").expose_secret(),
        "upstream-secret-value"
    );
    let wrong = connections::get_with_secret(db.pool(), &secret_box(4), created.id).await;
    assert!(matches!(
        wrong,
        Err(StoreError::Crypto(CryptoError::Undecryptable))
    ));

    let active = connections::set_status(db.pool(), created.id, ConnectionStatus::Active)
        .await
        .expect("activate");
    assert_eq!(active.status, ConnectionStatus::Active);
    assert!(matches!(
        connections::get(db.pool(), 777).await,
        Err(StoreError::NotFound(_))
    ));
    let duplicate = connections::create(db.pool(), &secrets, &new).await;
    assert!(
        matches!(duplicate, Err(StoreError::Duplicate { .. })),
        "names are unique"
    );
    assert_eq!(
        connections::list(db.pool(), Some(ConnectionKind::Vending))
            .await
            .expect("list")
            .len(),
        0
    );
}

#[tokio::test]
async fn wallet_moves_are_idempotent_and_an_insufficient_debit_writes_nothing() {
    let db = database().await;
    let user_id = funded_user(&db, "site-d", 1_000).await;
    let mut conn = db.pool().acquire().await.expect("connection");
    let debit = |key: &'static str, amount| WalletMove {
        user_id,
        amount_minor: amount,
        idempotency_key: key,
        reference: Some("order-1"),
    };

    let entry = wallets::debit(&mut conn, &debit("order:1", 400))
        .await
        .expect("debit");
    assert_eq!(
        (entry.kind, entry.balance_after_minor),
        (LedgerKind::Debit, 600)
    );
    let repeat = wallets::debit(&mut conn, &debit("order:1", 400))
        .await
        .expect("repeat");
    assert_eq!(repeat.id, entry.id, "a repeat returns the first entry");
    assert_eq!(
        wallets::balance(db.pool(), user_id)
            .await
            .expect("balance")
            .balance_minor,
        600
    );
    assert!(matches!(
        wallets::debit(&mut conn, &debit("order:1", 300)).await,
        Err(StoreError::IdempotencyConflict)
    ));

    let too_much = wallets::debit(&mut conn, &debit("order:2", 601)).await;
    assert!(matches!(too_much, Err(StoreError::InsufficientBalance)));
    assert!(!too_much.err().map(|e| e.is_transient()).unwrap_or(true));
    assert_eq!(
        ledger_entries(&db, user_id).await,
        2,
        "the failed debit left no ledger entry"
    );
    assert_eq!(
        wallets::balance(db.pool(), user_id)
            .await
            .expect("balance")
            .balance_minor,
        600
    );

    let refund = wallets::refund(&mut conn, &debit("refund:1", 400))
        .await
        .expect("refund");
    assert_eq!(refund.balance_after_minor, 1_000);
    assert!(matches!(
        wallets::credit(&mut conn, &debit("x", 0)).await,
        Err(StoreError::Constraint { .. })
    ));
    assert!(matches!(
        wallets::balance(db.pool(), 4_242).await,
        Err(StoreError::NotFound("wallet"))
    ));
    let no_wallet = WalletMove {
        user_id: 4_242,
        amount_minor: 1,
        idempotency_key: "k",
        reference: None,
    };
    assert!(matches!(
        wallets::credit(&mut conn, &no_wallet).await,
        Err(StoreError::NotFound("wallet"))
    ));

    let rewrite = sqlx::query("UPDATE wallet_ledger SET amount_minor = 1")
        .execute(db.pool())
        .await;
    assert!(rewrite.is_err(), "the ledger is append-only");
}

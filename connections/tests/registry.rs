//! The registry against a real, migrated PostgreSQL: what it hands out for each status, how long
//! it reuses a row, and what an invalidation changes.

use std::sync::Arc;
use std::time::Duration;

use base64::Engine;
use secrecy::SecretString;
use sqlx::PgPool;
use switchyard_connections::{
    ConnectionError, ConnectionRegistry, PartnerClient, RegistrySettings,
};
use switchyard_store::connections::{self, ConnectionKind, ConnectionStatus, NewConnection};
use switchyard_store::crypto::SecretBox;
use switchyard_testkit::database::TestDatabase;

fn secret_box() -> SecretBox {
    let key = base64::engine::general_purpose::STANDARD.encode([9_u8; 32]);
    SecretBox::from_base64_key("k1", &SecretString::from(key)).expect("key")
}

fn registry(pool: &PgPool, ttl: Duration) -> ConnectionRegistry {
    ConnectionRegistry::new(
        pool.clone(),
        secret_box(),
        RegistrySettings {
            ttl,
            partner_timeout: Duration::from_secs(1),
            allow_private_partner_urls: true, // connections point at 127.0.0.1
        },
    )
}

async fn dujiao(pool: &PgPool, name: &str, status: ConnectionStatus) -> i64 {
    let mut new = NewConnection::new(ConnectionKind::DujiaoUpstream, name, "http://127.0.0.1:9");
    new.status = status;
    new.api_key = Some(format!("key-{name}"));
    new.secret = Some(SecretString::from("secret".to_owned()));
    connections::create(pool, &secret_box(), &new)
        .await
        .expect("connection")
        .id
}

const HOUR: Duration = Duration::from_secs(3600);

#[tokio::test]
async fn only_an_active_connection_gives_a_client() -> anyhow::Result<()> {
    let db = TestDatabase::new().await?;
    let registry = registry(db.pool(), HOUR);
    for status in [ConnectionStatus::Pending, ConnectionStatus::Disabled] {
        let id = dujiao(db.pool(), status.as_str(), status).await;
        match registry.dujiao(id).await {
            Err(ConnectionError::NotActive {
                id: refused,
                status: seen,
            }) => {
                assert_eq!((refused, seen), (id, status));
            }
            other => panic!("{status}: {other:?}"),
        }
        assert!(
            registry.connection(id).await.is_ok(),
            "the row itself is readable"
        );
    }
    let active = dujiao(db.pool(), "active", ConnectionStatus::Active).await;
    assert!(matches!(
        registry.client(active).await,
        Ok(PartnerClient::Dujiao(_))
    ));
    assert!(matches!(
        registry.vending(active).await,
        Err(ConnectionError::WrongKind {
            expected: ConnectionKind::Vending,
            found: ConnectionKind::DujiaoUpstream,
            ..
        })
    ));
    assert!(matches!(
        registry.client(active + 1_000).await,
        Err(ConnectionError::NotFound(_))
    ));
    Ok(())
}

#[tokio::test]
async fn a_row_is_reused_until_invalidated() -> anyhow::Result<()> {
    let db = TestDatabase::new().await?;
    let registry = registry(db.pool(), HOUR);
    let id = dujiao(db.pool(), "b", ConnectionStatus::Active).await;
    let active = registry.active(ConnectionKind::DujiaoUpstream).await?;
    assert_eq!(active.len(), 1);
    registry.dujiao(id).await?;

    connections::set_status(db.pool(), id, ConnectionStatus::Disabled).await?;
    assert!(registry.dujiao(id).await.is_ok(), "cached for the ttl");
    assert_eq!(
        registry.active(ConnectionKind::DujiaoUpstream).await?.len(),
        1
    );

    registry.invalidate(id);
    assert!(registry.dujiao(id).await.unwrap_err().is_not_active());
    assert!(registry
        .active(ConnectionKind::DujiaoUpstream)
        .await?
        .is_empty());

    connections::set_status(db.pool(), id, ConnectionStatus::Active).await?;
    let other = dujiao(db.pool(), "c", ConnectionStatus::Active).await;
    registry.invalidate_all();
    registry.dujiao(id).await?;
    let ids: Vec<i64> = registry
        .active(ConnectionKind::DujiaoUpstream)
        .await?
        .iter()
        .map(|c| c.id())
        .collect();
    assert_eq!(ids, vec![id, other]);
    Ok(())
}

#[tokio::test]
async fn an_expired_row_is_read_again_and_kept_when_unchanged() -> anyhow::Result<()> {
    let db = TestDatabase::new().await?;
    let registry = registry(db.pool(), Duration::ZERO);
    let id = dujiao(db.pool(), "b", ConnectionStatus::Active).await;
    let first = registry.connection(id).await?;
    let again = registry.connection(id).await?;
    assert!(
        Arc::ptr_eq(&first, &again),
        "unchanged: the same entry, its client and rate limiter kept"
    );

    connections::set_secret(
        db.pool(),
        &secret_box(),
        id,
        &SecretString::from("rotated".to_owned()),
    )
    .await?;
    let rotated = registry.connection(id).await?;
    assert!(!Arc::ptr_eq(&first, &rotated), "a new secret, a new entry");

    connections::set_status(db.pool(), id, ConnectionStatus::Disabled).await?;
    assert!(
        registry.dujiao(id).await.unwrap_err().is_not_active(),
        "no invalidation needed once the ttl has passed"
    );
    Ok(())
}

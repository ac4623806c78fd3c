//! The operator API of a `switchyard up` with no broker (the admin listener serves without one),
//! the `switchyard admin` client against it, and SKUs seeded in bulk with SQL (seeding, not a path
//! under test).

use serde_json::Value;
use switchyard_testkit::database::TestDatabase;

use super::standalone::{base_command, start_up, Running};

/// `switchyard up` on `database` with `token` as `admin.token`, plus `env`.
pub fn fleet(database: &TestDatabase, token: &str, env: &[(&str, &str)]) -> Running {
    let mut command = base_command();
    command
        .env("SWITCHYARD_DATABASE_URL", database.url())
        .env("SWITCHYARD_KAFKA__BROKERS", "127.0.0.1:9")
        .env("SWITCHYARD_ADMIN__TOKEN", token);
    for (name, value) in env {
        command.env(name, value);
    }
    start_up(command)
}

/// `switchyard admin <args>` against `running`; panics unless it succeeds; the printed JSON.
pub fn admin_cli(running: &Running, token: &str, args: &[&str]) -> Value {
    let file = std::env::temp_dir().join(format!("switchyard-{}.token", uuid::Uuid::new_v4()));
    std::fs::write(&file, token).expect("token file");
    let output = base_command()
        .env("SWITCHYARD_CLI_URL", format!("http://{}", running.admin))
        .env("SWITCHYARD_CLI_TOKEN_FILE", &file)
        .arg("admin")
        .args(args)
        .output()
        .expect("run the client");
    let _ = std::fs::remove_file(&file);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "admin {args:?}: {stderr}");
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// `count` SKUs of one new product, inserted directly; their ids in order.
pub async fn seed_skus(database: &TestDatabase, count: i64) -> Vec<i64> {
    let pool = database.pool();
    let product: i64 = sqlx::query_scalar("INSERT INTO products (slug) VALUES ($1) RETURNING id")
        .bind(format!("bulk-{}", uuid::Uuid::new_v4().simple()))
        .fetch_one(pool)
        .await
        .expect("product");
    sqlx::query_scalar(
        "INSERT INTO skus (product_id, sku_code, price_minor, currency)
         SELECT $1, 'S' || n, 100, 'CNY' FROM generate_series(1, $2) AS n ORDER BY n RETURNING id",
    )
    .bind(product)
    .bind(count)
    .fetch_all(pool)
    .await
    .expect("skus")
}

//! SKU → fulfiller mappings through a real `switchyard up` (real PostgreSQL, no broker needed:
//! the admin listener serves without one): create, list with filters, switch on and off through
//! the operator API and `switchyard admin mappings`, and bulk import from CSV and JSON where each
//! bad row is reported with its line and a second import of the same file changes nothing.

mod support;

use std::path::PathBuf;

use serde_json::{json, Value};
use switchyard_testkit::database::TestDatabase;

use support::standalone::{base_command, start_up, Running};
use support::Operator;

const TOKEN: &str = "mappings-test-token-0123456789";

fn fleet(database: &TestDatabase) -> Running {
    let mut command = base_command();
    command
        .env("SWITCHYARD_DATABASE_URL", database.url())
        .env("SWITCHYARD_KAFKA__BROKERS", "127.0.0.1:9")
        .env("SWITCHYARD_ADMIN__TOKEN", TOKEN);
    start_up(command)
}

/// `switchyard admin <args>` against `running`; panics unless it succeeds; the printed JSON.
fn cli(running: &Running, args: &[&str]) -> Value {
    let token = std::env::temp_dir().join(format!("mappings-{}.token", uuid::Uuid::new_v4()));
    std::fs::write(&token, TOKEN).expect("token file");
    let output = base_command()
        .env("SWITCHYARD_CLI_URL", format!("http://{}", running.admin))
        .env("SWITCHYARD_CLI_TOKEN_FILE", &token)
        .arg("admin")
        .args(args)
        .output()
        .expect("run the client");
    let _ = std::fs::remove_file(&token);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(output.status.success(), "admin {args:?}: {stderr}");
    serde_json::from_slice(&output.stdout).expect("JSON on stdout")
}

/// `count` SKUs of one product, inserted directly (seeding, not the path under test); their ids.
async fn seed_skus(database: &TestDatabase, count: i64) -> Vec<i64> {
    let pool = database.pool();
    let product: i64 = sqlx::query_scalar("INSERT INTO products (slug) VALUES ($1) RETURNING id")
        .bind(format!("bulk-{}", uuid::Uuid::new_v4().simple()))
        .fetch_one(pool)
        .await
        .expect("product");
    sqlx::query_scalar(
        "INSERT INTO skus (product_id, sku_code, price_minor, currency)
         SELECT $1, 'S' || n, 100, 'CNY' FROM generate_series(1, $2) AS n RETURNING id",
    )
    .bind(product)
    .bind(count)
    .fetch_all(pool)
    .await
    .expect("skus")
}

async fn connection(operator: &Operator, kind: &str, status: &str) -> i64 {
    let created = operator
        .post(
            "/admin/v1/connections",
            Some(json!({
                "kind": kind, "name": format!("{kind}-{}", uuid::Uuid::new_v4().simple()),
                "base_url": "http://127.0.0.1:1", "status": status, "api_key": "k",
                "secret": "s", "settings": {"sid": "s", "wdt_appkey": "w", "shop_no": "p"}
            })),
            201,
        )
        .await;
    created["id"].as_i64().expect("connection id")
}

#[tokio::test]
async fn mappings_are_created_listed_and_switched_through_the_api_and_the_cli() {
    let database = TestDatabase::new().await.expect("test database");
    let running = fleet(&database);
    let operator = Operator::new(&running.admin, TOKEN);
    let skus = seed_skus(&database, 5).await;
    let dujiao = connection(&operator, "dujiao_upstream", "active").await;
    let vending = connection(&operator, "vending", "active").await;
    let wdt = connection(&operator, "qimen_wdt", "active").await;
    let pending = connection(&operator, "dujiao_upstream", "pending").await;

    let created = operator
        .post(
            "/admin/v1/mappings",
            Some(json!({"sku_id": skus[0], "fulfiller": "dujiao_upstream",
                        "connection_id": dujiao, "upstream_sku_id": 12, "upstream_product_id": 3})),
            201,
        )
        .await;
    assert_eq!(created["upstream_sku_id"], 12, "{created}");
    assert_eq!(created["is_active"], true);
    // The same mapping again: unchanged, 200.
    let again = operator
        .post(
            "/admin/v1/mappings",
            Some(json!({"sku_id": skus[0], "fulfiller": "dujiao_upstream",
                        "connection_id": dujiao, "upstream_sku_id": 12, "upstream_product_id": 3})),
            200,
        )
        .await;
    assert_eq!(again["id"], created["id"]);
    let dujiao_s = dujiao.to_string();
    let vending_s = vending.to_string();
    let wdt_s = wdt.to_string();
    let sku = |index: usize| skus[index].to_string();
    cli(
        &running,
        &[
            "mappings",
            "create",
            "--sku",
            &sku(1),
            "--fulfiller",
            "vending",
            "--connection",
            &vending_s,
            "--machine-no",
            "12345678",
            "--vending-product",
            "p1",
        ],
    );
    cli(
        &running,
        &[
            "mappings",
            "create",
            "--sku",
            &sku(2),
            "--fulfiller",
            "wdt_erp",
            "--connection",
            &wdt_s,
            "--spec-no",
            "SPEC-1",
            "--inactive",
        ],
    );
    cli(
        &running,
        &[
            "mappings",
            "create",
            "--sku",
            &sku(3),
            "--fulfiller",
            "local_stock",
        ],
    );

    // Refusals: a bad field, an unknown SKU, a pending connection, a connection of another kind.
    for (body, status, error) in [
        (
            json!({"sku_id": skus[4], "fulfiller": "vending", "connection_id": vending,
                "machine_no": "123", "vending_product_id": "p"}),
            400,
            "invalid",
        ),
        (
            json!({"sku_id": 999_999, "fulfiller": "local_stock"}),
            404,
            "not_found",
        ),
        (
            json!({"sku_id": skus[4], "fulfiller": "dujiao_upstream", "connection_id": pending,
                "upstream_sku_id": 1}),
            409,
            "conflict",
        ),
        (
            json!({"sku_id": skus[4], "fulfiller": "dujiao_upstream", "connection_id": vending,
                "upstream_sku_id": 1}),
            409,
            "conflict",
        ),
    ] {
        let (got, answer) = operator
            .call(
                reqwest::Method::POST,
                "/admin/v1/mappings",
                Some(body.clone()),
            )
            .await;
        assert_eq!(
            (got, answer["error"].as_str()),
            (status, Some(error)),
            "{body}: {answer}"
        );
    }

    let ids = |list: &Value| -> Vec<i64> {
        list["mappings"]
            .as_array()
            .expect("mappings")
            .iter()
            .map(|mapping| mapping["sku_id"].as_i64().expect("sku id"))
            .collect()
    };
    let all = operator.get("/admin/v1/mappings").await;
    assert_eq!(ids(&all), skus[..4].to_vec());
    assert_eq!(
        ids(&operator
            .get(&format!("/admin/v1/mappings?connection_id={vending}"))
            .await),
        vec![skus[1]]
    );
    assert_eq!(
        ids(&operator.get("/admin/v1/mappings?fulfiller=wdt_erp").await),
        vec![skus[2]]
    );
    assert_eq!(
        ids(&operator.get("/admin/v1/mappings?active=false").await),
        vec![skus[2]]
    );
    assert_eq!(
        ids(&cli(&running, &["mappings", "list", "--sku", &sku(3)])),
        vec![skus[3]]
    );
    let page = cli(&running, &["mappings", "list", "--limit", "2"]);
    assert_eq!(ids(&page), skus[..2].to_vec());
    let after = page["next_after_id"]
        .as_i64()
        .expect("a next page")
        .to_string();
    assert_eq!(
        ids(&cli(&running, &["mappings", "list", "--after", &after])),
        skus[2..4].to_vec()
    );
    let (status, refused) = operator
        .call(
            reqwest::Method::GET,
            "/admin/v1/mappings?fulfiller=ship",
            None,
        )
        .await;
    assert_eq!(
        (status, refused["error"].as_str()),
        (400, Some("bad_request"))
    );

    // Off and on again, through the CLI and the API.
    let id = created["id"].as_i64().expect("id").to_string();
    let off = cli(&running, &["mappings", "disable", &id]);
    assert_eq!(off["is_active"], false);
    assert_eq!(
        ids(&cli(
            &running,
            &[
                "mappings",
                "list",
                "--active",
                "false",
                "--connection",
                &dujiao_s
            ]
        )),
        vec![skus[0]]
    );
    cli(&running, &["mappings", "enable", &id]);
    let on = operator
        .post(
            &format!("/admin/v1/mappings/{id}/active"),
            Some(json!({"active": true})),
            200,
        )
        .await;
    assert_eq!(on["is_active"], true);
    let (status, _) = operator
        .call(
            reqwest::Method::POST,
            "/admin/v1/mappings/999999/active",
            Some(json!({"active": true})),
        )
        .await;
    assert_eq!(status, 404);
}

/// A 10,000-row import file (CSV or JSON) over `skus`: dujiao rows, with three bad rows (an
/// unknown SKU, a non-numeric upstream SKU, a vending row with a short machine number).
fn import_file(skus: &[i64], connection: i64, csv: bool) -> (String, Vec<u64>) {
    let mut rows: Vec<Value> = skus
        .iter()
        .map(|sku| {
            json!({"sku_id": sku, "fulfiller": "dujiao_upstream",
                          "connection_id": connection, "upstream_sku_id": sku + 100_000})
        })
        .collect();
    rows[10] = json!({"sku_id": 999_999_999, "fulfiller": "local_stock"});
    rows[5_000] = json!({"sku_id": skus[5_000], "fulfiller": "dujiao_upstream",
                         "connection_id": connection, "upstream_sku_id": "12x"});
    rows[9_999] = json!({"sku_id": skus[9_999], "fulfiller": "vending",
                         "connection_id": connection, "machine_no": "42", "vending_product_id": "p"});
    if csv {
        let columns = [
            "sku_id",
            "fulfiller",
            "connection_id",
            "upstream_sku_id",
            "machine_no",
            "vending_product_id",
        ];
        let mut text = columns.join(",") + "\n";
        for row in &rows {
            let fields: Vec<String> = columns
                .iter()
                .map(|column| match &row[*column] {
                    Value::Null => String::new(),
                    Value::String(text) => text.clone(),
                    other => other.to_string(),
                })
                .collect();
            text.push_str(&fields.join(","));
            text.push('\n');
        }
        (text, vec![12, 5_002, 10_001]) // the header is line 1
    } else {
        let lines: Vec<String> = rows.iter().map(Value::to_string).collect();
        (
            format!("[\n{}\n]\n", lines.join(",\n")),
            vec![12, 5_002, 10_001],
        ) // "[" is line 1
    }
}

async fn import(running: &Running, body: String, content_type: &str) -> Value {
    let response = reqwest::Client::new()
        .post(format!("http://{}/admin/v1/mappings/import", running.admin))
        .bearer_auth(TOKEN)
        .header("content-type", content_type)
        .body(body)
        .send()
        .await
        .expect("import answers");
    assert_eq!(response.status(), 200);
    response.json().await.expect("JSON report")
}

fn assert_report(report: &Value, created: u64, unchanged: u64, bad_lines: &[u64]) {
    assert_eq!(report["rows"], 10_000, "{report}");
    assert_eq!(
        (
            report["created"].as_u64(),
            report["updated"].as_u64(),
            report["unchanged"].as_u64()
        ),
        (Some(created), Some(0), Some(unchanged)),
        "{}",
        report["errors"]
    );
    assert_eq!(report["applied"], 9_997);
    assert_eq!(report["rejected"], 3);
    let lines: Vec<u64> = report["errors"]
        .as_array()
        .expect("errors")
        .iter()
        .map(|error| error["line"].as_u64().expect("line"))
        .collect();
    assert_eq!(lines, bad_lines, "{}", report["errors"]);
    let reasons = report["errors"].to_string();
    for reason in [
        "sku 999999999 does not exist",
        "upstream_sku_id \\\"12x\\\" is not a positive integer",
        "machine_no \\\"42\\\" is not 8 digits",
    ] {
        assert!(reasons.contains(reason), "{reason} in {reasons}");
    }
}

/// How many mappings there are and when the last one changed.
async fn stamp(pool: &sqlx::PgPool) -> (i64, Option<String>) {
    sqlx::query_as("SELECT count(*), max(updated_at)::text FROM product_mappings")
        .fetch_one(pool)
        .await
        .expect("stamp")
}

#[tokio::test]
async fn ten_thousand_rows_with_three_bad_ones_import_once_from_csv_and_from_json() {
    let database = TestDatabase::new().await.expect("test database");
    let running = fleet(&database);
    let operator = Operator::new(&running.admin, TOKEN);
    let connection = connection(&operator, "dujiao_upstream", "active").await;
    let skus = seed_skus(&database, 10_000).await;

    let (csv, bad_lines) = import_file(&skus, connection, true);
    assert_report(
        &import(&running, csv.clone(), "text/csv").await,
        9_997,
        0,
        &bad_lines,
    );
    let before = stamp(database.pool()).await;
    assert_eq!(before.0, 9_997);
    // Again through the CLI: nothing changes, not even a timestamp.
    let file: PathBuf = std::env::temp_dir().join(format!("mappings-{}.csv", uuid::Uuid::new_v4()));
    std::fs::write(&file, &csv).expect("write csv");
    let again = cli(
        &running,
        &["mappings", "import", file.to_str().expect("path")],
    );
    let _ = std::fs::remove_file(&file);
    assert_report(&again, 0, 9_997, &bad_lines);
    assert_eq!(stamp(database.pool()).await, before);

    // The same rows as JSON: the same lines are refused and nothing changes.
    let (json, bad_lines) = import_file(&skus, connection, false);
    assert_report(
        &import(&running, json.clone(), "application/json").await,
        0,
        9_997,
        &bad_lines,
    );
    assert_eq!(stamp(database.pool()).await, before);
    // A changed row is one update; a file that is no array is refused whole.
    let changed = json.replacen(
        &format!("\"upstream_sku_id\":{}", skus[0] + 100_000),
        "\"upstream_sku_id\":7",
        1,
    );
    let report = import(&running, changed, "application/json").await;
    assert_eq!(
        (report["updated"].as_u64(), report["unchanged"].as_u64()),
        (Some(1), Some(9_996)),
        "{report}"
    );
    let refused = reqwest::Client::new()
        .post(format!("http://{}/admin/v1/mappings/import", running.admin))
        .bearer_auth(TOKEN)
        .header("content-type", "application/json")
        .body("{}")
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 400);
    let refused = reqwest::Client::new()
        .post(format!("http://{}/admin/v1/mappings/import", running.admin))
        .bearer_auth(TOKEN)
        .header("content-type", "text/plain")
        .body("x")
        .send()
        .await
        .expect("answer");
    assert_eq!(refused.status(), 415);
}

//! Bulk import of SKU mappings through a real `switchyard up` (real PostgreSQL, no broker): a
//! 10,000-row file with three bad rows applies 9,997 and reports the three with their lines and
//! reasons, from CSV and from JSON, through the API and `switchyard admin mappings import`; a
//! second import of the same file changes nothing, not even a timestamp.

mod support;

use std::path::PathBuf;

use serde_json::{json, Value};
use switchyard_testkit::database::TestDatabase;

use support::admin_api::{admin_cli, fleet, seed_skus};
use support::standalone::Running;
use support::Operator;

const TOKEN: &str = "mapping-import-test-token-0123456789";

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
    let running = fleet(&database, TOKEN, &[]);
    let operator = Operator::new(&running.admin, TOKEN);
    let created = operator
        .post(
            "/admin/v1/connections",
            Some(
                json!({"kind": "dujiao_upstream", "name": "upstream", "status": "active",
                        "base_url": "http://127.0.0.1:1", "api_key": "k", "secret": "s"}),
            ),
            201,
        )
        .await;
    let connection = created["id"].as_i64().expect("connection id");
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
    let again = admin_cli(
        &running,
        TOKEN,
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

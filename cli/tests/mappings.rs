//! SKU → fulfiller mappings through a real `switchyard up` (real PostgreSQL, no broker needed:
//! the admin listener serves without one): create, list with filters, switch on and off through
//! the operator API and `switchyard admin mappings`, with each refusal (bulk import:
//! `mapping_import.rs`).

mod support;

use serde_json::{json, Value};
use switchyard_testkit::database::TestDatabase;

use support::admin_api::{admin_cli, fleet, seed_skus};
use support::standalone::Running;
use support::Operator;

const TOKEN: &str = "mappings-test-token-0123456789";

fn cli(running: &Running, args: &[&str]) -> Value {
    admin_cli(running, TOKEN, args)
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
    let running = fleet(&database, TOKEN, &[]);
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

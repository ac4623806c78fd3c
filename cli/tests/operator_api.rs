//! The one operator API of a real `switchyard up`: every admin route — the ingress's accounts,
//! catalog, connections and spool, the workers' procurement and cancel — sits behind the one
//! token guard and answers errors as `{error, message}`; the CLI clients read that shape.
//!
//! The broker is deliberately absent: the admin listener serves before the broker is reachable,
//! and the guard answers before any handler runs. The database is real (the client round trip
//! reads the spool and the procurement list).

mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use switchyard_testkit::database::TestDatabase;

use support::standalone::{base_command, start_up, Running};

/// The token of the guarded processes (test-only).
const TOKEN: &str = "operator-api-test-token-0123456789";

/// Every admin route: method, path template (as in the README), a concrete path to call.
const ROUTES: &[(&str, &str, &str)] = &[
    ("POST", "/admin/v1/users", "/admin/v1/users"),
    ("POST", "/admin/v1/credentials", "/admin/v1/credentials"),
    (
        "GET",
        "/admin/v1/credentials/{id}",
        "/admin/v1/credentials/1",
    ),
    (
        "POST",
        "/admin/v1/credentials/{id}/approve",
        "/admin/v1/credentials/1/approve",
    ),
    (
        "POST",
        "/admin/v1/credentials/{id}/reject",
        "/admin/v1/credentials/1/reject",
    ),
    (
        "POST",
        "/admin/v1/credentials/{id}/disable",
        "/admin/v1/credentials/1/disable",
    ),
    (
        "POST",
        "/admin/v1/credentials/{id}/enable",
        "/admin/v1/credentials/1/enable",
    ),
    ("GET", "/admin/v1/wallets/{user_id}", "/admin/v1/wallets/1"),
    (
        "POST",
        "/admin/v1/wallets/{user_id}/credit",
        "/admin/v1/wallets/1/credit",
    ),
    ("POST", "/admin/v1/categories", "/admin/v1/categories"),
    ("POST", "/admin/v1/products", "/admin/v1/products"),
    ("GET", "/admin/v1/products", "/admin/v1/products"),
    ("GET", "/admin/v1/products/{id}", "/admin/v1/products/1"),
    ("DELETE", "/admin/v1/products/{id}", "/admin/v1/products/1"),
    (
        "POST",
        "/admin/v1/products/{id}/active",
        "/admin/v1/products/1/active",
    ),
    ("POST", "/admin/v1/skus", "/admin/v1/skus"),
    ("PUT", "/admin/v1/skus/{id}/stock", "/admin/v1/skus/1/stock"),
    ("GET", "/admin/v1/skus/{id}", "/admin/v1/skus/1"),
    (
        "POST",
        "/admin/v1/connections/{id}/sync",
        "/admin/v1/connections/1/sync",
    ),
    (
        "GET",
        "/admin/v1/channel-products",
        "/admin/v1/channel-products",
    ),
    (
        "POST",
        "/admin/v1/channel-products",
        "/admin/v1/channel-products",
    ),
    (
        "DELETE",
        "/admin/v1/channel-products/{id}",
        "/admin/v1/channel-products/1",
    ),
    ("GET", "/admin/v1/connections", "/admin/v1/connections"),
    ("POST", "/admin/v1/connections", "/admin/v1/connections"),
    (
        "POST",
        "/admin/v1/connections/{id}/status",
        "/admin/v1/connections/1/status",
    ),
    (
        "PUT",
        "/admin/v1/connections/{id}/secret",
        "/admin/v1/connections/1/secret",
    ),
    (
        "POST",
        "/admin/v1/connections/{id}/test",
        "/admin/v1/connections/1/test",
    ),
    ("GET", "/admin/v1/mappings", "/admin/v1/mappings"),
    ("POST", "/admin/v1/mappings", "/admin/v1/mappings"),
    (
        "POST",
        "/admin/v1/mappings/import",
        "/admin/v1/mappings/import",
    ),
    (
        "POST",
        "/admin/v1/mappings/{id}/active",
        "/admin/v1/mappings/1/active",
    ),
    ("GET", "/admin/v1/spool", "/admin/v1/spool"),
    (
        "GET",
        "/admin/v1/procurement/orders",
        "/admin/v1/procurement/orders",
    ),
    (
        "GET",
        "/admin/v1/procurement/orders/{id}",
        "/admin/v1/procurement/orders/00000000-0000-0000-0000-000000000001",
    ),
    (
        "POST",
        "/admin/v1/procurement/orders/{id}/retry",
        "/admin/v1/procurement/orders/00000000-0000-0000-0000-000000000001/retry",
    ),
    (
        "POST",
        "/admin/v1/orders/{id}/cancel",
        "/admin/v1/orders/00000000-0000-0000-0000-000000000001/cancel",
    ),
    (
        "GET",
        "/admin/v1/orders/{id}/notifications",
        "/admin/v1/orders/00000000-0000-0000-0000-000000000001/notifications",
    ),
    (
        "POST",
        "/admin/v1/reconciliation/runs",
        "/admin/v1/reconciliation/runs",
    ),
    (
        "GET",
        "/admin/v1/reconciliation/runs",
        "/admin/v1/reconciliation/runs",
    ),
    (
        "GET",
        "/admin/v1/reconciliation/runs/{id}",
        "/admin/v1/reconciliation/runs/1",
    ),
    (
        "GET",
        "/admin/v1/reconciliation/discrepancies",
        "/admin/v1/reconciliation/discrepancies",
    ),
    (
        "POST",
        "/admin/v1/reconciliation/discrepancies/{id}/resolve",
        "/admin/v1/reconciliation/discrepancies/1/resolve",
    ),
];

/// `switchyard up` on `database`, no broker, with `token` as `admin.token` when given.
fn fleet(database: &TestDatabase, token: Option<&str>) -> Running {
    let mut command = base_command();
    command
        .env("SWITCHYARD_DATABASE_URL", database.url())
        .env("SWITCHYARD_KAFKA__BROKERS", "127.0.0.1:9");
    if let Some(token) = token {
        command.env("SWITCHYARD_ADMIN__TOKEN", token);
    }
    start_up(command)
}

/// Calls one route; returns the status and the `{error, message}` body (panics on any other).
async fn call(admin: &str, method: &str, path: &str, authorization: Option<&str>) -> (u16, Value) {
    let method = reqwest::Method::from_bytes(method.as_bytes()).expect("method");
    let mut request = reqwest::Client::new().request(method, format!("http://{admin}{path}"));
    if let Some(value) = authorization {
        request = request.header("authorization", value);
    }
    let response = request.send().await.expect("admin listener answers");
    let status = response.status().as_u16();
    let body: Value = response.json().await.unwrap_or(Value::Null);
    assert!(
        body["error"].is_string() && body["message"].is_string(),
        "{path}: not {{error, message}}: {body}"
    );
    (status, body)
}

#[tokio::test]
async fn without_a_configured_token_every_admin_route_is_disabled() {
    let database = TestDatabase::new().await.expect("test database");
    let running = fleet(&database, None);
    let bearer = format!("Bearer {TOKEN}");
    for (method, template, path) in ROUTES {
        for authorization in [None, Some(bearer.as_str())] {
            let (status, body) = call(&running.admin, method, path, authorization).await;
            assert_eq!(status, 503, "{method} {template}: {body}");
            assert_eq!(body["error"], "disabled", "{method} {template}");
        }
    }
    // The 503s come from the routes themselves, not from a blanket answer to every path.
    let unknown = reqwest::get(format!("http://{}/admin/v1/no-such-route", running.admin))
        .await
        .expect("admin listener answers");
    assert_eq!(unknown.status(), 404);
}

#[tokio::test]
async fn every_admin_route_refuses_a_missing_or_wrong_bearer_token() {
    let database = TestDatabase::new().await.expect("test database");
    let running = fleet(&database, Some(TOKEN));
    let wrong = format!("Bearer {TOKEN}-not");
    let basic = format!("Basic {TOKEN}");
    for (method, template, path) in ROUTES {
        for authorization in [
            None,
            Some("Bearer "),
            Some(basic.as_str()),
            Some(wrong.as_str()),
        ] {
            let (status, body) = call(&running.admin, method, path, authorization).await;
            assert_eq!(
                status, 401,
                "{method} {template} with {authorization:?}: {body}"
            );
            assert_eq!(body["error"], "unauthorized", "{method} {template}");
        }
    }
}

#[test]
fn the_route_list_is_the_readme_s() {
    let readme = include_str!("../../README.md");
    let mut documented = BTreeSet::new();
    for method in ["GET", "POST", "PUT", "DELETE"] {
        let marker = format!("`{method} /admin/v1/");
        for (at, _) in readme.match_indices(&marker) {
            let rest = &readme[at + 1 + method.len() + 1..];
            let end = rest.find(['`', '?', ' ']).expect("closing backtick");
            documented.insert(format!("{method} {}", &rest[..end]));
        }
    }
    let tested: BTreeSet<String> = ROUTES
        .iter()
        .map(|(method, template, _)| format!("{method} {template}"))
        .collect();
    assert_eq!(
        documented, tested,
        "README routes vs the routes this test covers"
    );
}

/// `switchyard <args>` as an operator client of `running`, with `token_file`.
fn client(running: &Running, token_file: &Path, args: &[&str]) -> (bool, String, String) {
    let output = base_command()
        .env("SWITCHYARD_CLI_URL", format!("http://{}", running.admin))
        .env("SWITCHYARD_CLI_TOKEN_FILE", token_file)
        .args(args)
        .output()
        .expect("run the client");
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stdout).into_owned(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

/// A token file as `echo TOKEN > file` writes it (trailing newline), removed on drop.
struct TokenFile(PathBuf);

impl TokenFile {
    fn new(token: &str) -> TokenFile {
        let path = std::env::temp_dir().join(format!("switchyard-{}.token", uuid::Uuid::new_v4()));
        std::fs::write(&path, format!("{token}\n")).expect("write token file");
        TokenFile(path)
    }

    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for TokenFile {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

#[tokio::test]
async fn the_clients_use_their_own_variables_and_print_the_api_s_refusal() {
    let database = TestDatabase::new().await.expect("test database");
    let running = fleet(&database, Some(TOKEN));
    let right = TokenFile::new(TOKEN);
    let wrong = TokenFile::new("a-wrong-token-of-enough-bytes");

    let (ok, stdout, stderr) = client(&running, right.path(), &["admin", "spool"]);
    assert!(ok, "{stderr}");
    let spool: Value = serde_json::from_str(&stdout).expect("JSON answer");
    assert_eq!(spool["pending"], 0, "{stdout}");
    let (ok, _, stderr) = client(&running, right.path(), &["procurement", "list"]);
    assert!(ok, "{stderr}");

    for args in [&["admin", "spool"][..], &["procurement", "list"][..]] {
        let (ok, _, stderr) = client(&running, wrong.path(), args);
        assert!(!ok, "{args:?}");
        assert!(
            stderr.contains("401")
                && stderr.contains("unauthorized: missing or wrong bearer token"),
            "{args:?}: {stderr}"
        );
        assert!(
            !stderr.contains("a-wrong-token"),
            "never prints the token: {stderr}"
        );
    }
    let missing = "00000000-0000-0000-0000-000000000001";
    let (ok, _, stderr) = client(&running, right.path(), &["procurement", "show", missing]);
    assert!(!ok);
    assert!(
        stderr.contains("404") && stderr.contains("not_found"),
        "{stderr}"
    );

    // The reconciliation client: an empty list, then a refusal named by the API.
    let (ok, stdout, stderr) = client(&running, right.path(), &["reconciliation", "runs"]);
    assert!(ok && stdout.is_empty(), "{stdout} {stderr}");
    let start = [
        "reconciliation",
        "start",
        "--connection",
        "999",
        "--from",
        "2026-12-01T00:00:00Z",
        "--to",
        "2026-12-02T00:00:00Z",
    ];
    let (ok, _, stderr) = client(&running, right.path(), &start);
    assert!(!ok);
    assert!(
        stderr.contains("404") && stderr.contains("not_found"),
        "{stderr}"
    );
    let resolve = ["reconciliation", "resolve", "1", "--note", "checked"];
    let (ok, _, stderr) = client(&running, right.path(), &resolve);
    assert!(!ok && stderr.contains("404"), "{stderr}");
}

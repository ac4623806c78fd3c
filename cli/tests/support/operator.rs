//! The operator API (`/admin/v1/...`) of a live site, and the seeding steps the end-to-end tests
//! share: accounts with approved credentials and funded wallets, SKUs, upstream connections.

use serde_json::{json, Value};

/// An approved Dujiao-Next API credential issued by a site, with the secret shown once.
#[derive(Clone)]
pub struct Credential {
    /// The account holding the wallet.
    pub user_id: i64,
    /// The credential's id.
    pub credential_id: i64,
    /// `Dujiao-Next-Api-Key`.
    pub api_key: String,
    /// The signing secret.
    pub secret: String,
}

/// A client of one site's operator API.
pub struct Operator {
    base: String,
    token: String,
    http: reqwest::Client,
}

impl Operator {
    /// A client of the admin listener at `admin` (`host:port`).
    pub fn new(admin: &str, token: &str) -> Operator {
        Operator {
            base: format!("http://{admin}"),
            token: token.to_owned(),
            http: reqwest::Client::new(),
        }
    }

    /// Sends one request; returns status and JSON body (`null` when empty).
    pub async fn call(
        &self,
        method: reqwest::Method,
        path: &str,
        body: Option<Value>,
    ) -> (u16, Value) {
        let mut request = self
            .http
            .request(method, format!("{}{path}", self.base))
            .bearer_auth(&self.token);
        if let Some(body) = body {
            request = request.json(&body);
        }
        let response = request.send().await.expect("operator API answers");
        let status = response.status().as_u16();
        let bytes = response.bytes().await.expect("operator answer body");
        let value = serde_json::from_slice(&bytes).unwrap_or(Value::Null);
        (status, value)
    }

    /// `POST path body`, expecting `want`.
    pub async fn post(&self, path: &str, body: Option<Value>, want: u16) -> Value {
        let (status, answer) = self.call(reqwest::Method::POST, path, body).await;
        assert_eq!(status, want, "POST {path}: {answer}");
        answer
    }

    /// `GET path`, expecting 200.
    pub async fn get(&self, path: &str) -> Value {
        let (status, answer) = self.call(reqwest::Method::GET, path, None).await;
        assert_eq!(status, 200, "GET {path}: {answer}");
        answer
    }

    /// An account with an approved credential and `balance_minor` CNY in its wallet.
    pub async fn credential(&self, label: &str, balance_minor: i64) -> Credential {
        let user = self
            .post(
                "/admin/v1/users",
                Some(json!({ "label": label, "currency": "CNY" })),
                201,
            )
            .await;
        let user_id = user["id"].as_i64().expect("user id");
        let credential = self
            .post(
                "/admin/v1/credentials",
                Some(json!({ "user_id": user_id })),
                201,
            )
            .await;
        let credential_id = credential["id"].as_i64().expect("credential id");
        self.post(
            &format!("/admin/v1/credentials/{credential_id}/approve"),
            None,
            200,
        )
        .await;
        if balance_minor > 0 {
            self.post(
                &format!("/admin/v1/wallets/{user_id}/credit"),
                Some(json!({ "amount_minor": balance_minor, "idempotency_key": "seed" })),
                200,
            )
            .await;
        }
        Credential {
            user_id,
            credential_id,
            api_key: credential["api_key"].as_str().expect("api key").to_owned(),
            secret: credential["secret"]
                .as_str()
                .expect("secret shown once")
                .to_owned(),
        }
    }

    /// The wallet balance of an account, minor units.
    pub async fn balance(&self, user_id: i64) -> i64 {
        self.get(&format!("/admin/v1/wallets/{user_id}")).await["balance_minor"]
            .as_i64()
            .expect("balance")
    }

    /// A product with one CNY SKU (`stock` units, -1 unlimited); returns the SKU id.
    pub async fn sku(&self, price_minor: i64, stock: i32) -> i64 {
        let slug = format!("p-{}", uuid::Uuid::new_v4().simple());
        let product = self
            .post(
                "/admin/v1/products",
                Some(json!({ "slug": slug, "title": { "en": "Gift card" } })),
                201,
            )
            .await;
        let sku = self
            .post(
                "/admin/v1/skus",
                Some(json!({
                    "product_id": product["id"], "sku_code": "STD", "price_minor": price_minor,
                    "currency": "CNY", "stock_quantity": stock
                })),
                201,
            )
            .await;
        sku["id"].as_i64().expect("sku id")
    }

    /// An active `dujiao_upstream` connection to the site at `base_url`, using `credential`
    /// (issued by that site); `retry_intervals` in seconds (scaled by the workers' time scale).
    pub async fn dujiao_upstream(&self, base_url: &str, credential: &Credential) -> i64 {
        let connection = self
            .post(
                "/admin/v1/connections",
                Some(json!({
                    "kind": "dujiao_upstream",
                    "name": format!("upstream-{}", uuid::Uuid::new_v4().simple()),
                    "base_url": base_url, "status": "active",
                    "api_key": credential.api_key, "secret": credential.secret,
                    "retry_max": 5, "retry_intervals": [1, 2, 4]
                })),
                201,
            )
            .await;
        connection["id"].as_i64().expect("connection id")
    }
}

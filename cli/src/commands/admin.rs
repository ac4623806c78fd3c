//! `switchyard admin …`: a thin client over the operator API (`/admin/v1/...`) that the ingress
//! mounts on the admin listener (documented in the README, "Operator API").
//!
//! Contract: every subcommand is one HTTP call through [`OperatorClient`] (`--url`,
//! `--token-file`, or the `SWITCHYARD_CLI_…` variables); the JSON answer is printed to stdout as
//! is. A non-2xx answer is an error naming the status and the API's `{error, message}`. Secrets
//! given to the API (connection secrets, keys) are read from a file or an environment variable,
//! never from the command line, so they stay out of shell history and process listings.

use std::io::Write as _;
use std::path::PathBuf;

use anyhow::{bail, Context};
use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::channel_products::{self, ChannelProductCommand};
use super::client::{ClientArgs, OperatorClient};
use super::mappings::{self, MappingCommand};
use crate::settings::Settings;

/// `switchyard admin`: operator tasks over the operator API.
#[derive(Debug, Args)]
pub struct AdminArgs {
    #[command(flatten)]
    client: ClientArgs,

    #[command(subcommand)]
    command: AdminCommand,
}

/// One operator task.
#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Create a downstream site account with an empty wallet.
    CreateUser {
        /// Display label (no personal data).
        #[arg(long)]
        label: String,
        /// Wallet currency (ISO-4217).
        #[arg(long)]
        currency: String,
    },
    /// Issue a Dujiao-Next API credential (pending review); the secret is printed this once.
    ApplyCredential {
        /// The account it belongs to.
        #[arg(long)]
        user: i64,
    },
    /// Show a credential (never its secret).
    ShowCredential {
        /// Credential id.
        id: i64,
    },
    /// pending_review → approved.
    Approve {
        /// Credential id.
        id: i64,
    },
    /// pending_review → rejected, with a reason.
    Reject {
        /// Credential id.
        id: i64,
        /// Why (shown to the applicant).
        #[arg(long)]
        reason: String,
    },
    /// disabled → approved.
    Enable {
        /// Credential id.
        id: i64,
    },
    /// approved → disabled.
    Disable {
        /// Credential id.
        id: i64,
    },
    /// Show a wallet balance.
    Wallet {
        /// Account id.
        user: i64,
    },
    /// Top a wallet up (applied once per idempotency key).
    Credit {
        /// Account id.
        user: i64,
        /// Amount in minor units (cents, fen).
        #[arg(long)]
        amount_minor: i64,
        /// Makes a retried credit apply once.
        #[arg(long)]
        idempotency_key: String,
        /// What the money is for.
        #[arg(long)]
        reference: Option<String>,
    },
    /// Create a category.
    CreateCategory {
        /// Unique slug.
        #[arg(long)]
        slug: String,
        /// Locale → name, as JSON (e.g. `{"en":"Cards"}`).
        #[arg(long, default_value = "{}")]
        name: String,
        /// Parent category id.
        #[arg(long)]
        parent: Option<i64>,
    },
    /// Create a product (add SKUs with `create-sku`).
    CreateProduct {
        /// Unique slug.
        #[arg(long)]
        slug: String,
        /// Locale → title, as JSON.
        #[arg(long, default_value = "{}")]
        title: String,
        /// Category id.
        #[arg(long)]
        category: Option<i64>,
        /// Delivered by a person rather than automatically.
        #[arg(long)]
        manual: bool,
    },
    /// Show a product with its SKUs.
    ShowProduct {
        /// Product id.
        id: i64,
    },
    /// Switch a product on or off.
    ProductActive {
        /// Product id.
        id: i64,
        /// `true` or `false`.
        #[arg(long, action = clap::ArgAction::Set)]
        active: bool,
    },
    /// Delete a product (it then answers 404 to downstream sites).
    DeleteProduct {
        /// Product id.
        id: i64,
    },
    /// Create a SKU.
    CreateSku {
        /// Owning product.
        #[arg(long)]
        product: i64,
        /// Code unique within the product.
        #[arg(long)]
        code: String,
        /// Unit price in minor units.
        #[arg(long)]
        price_minor: i64,
        /// Price currency (ISO-4217).
        #[arg(long)]
        currency: String,
        /// Units on hand; -1 = unlimited.
        #[arg(long, default_value_t = -1, allow_negative_numbers = true)]
        stock: i32,
    },
    /// Set the units on hand of a SKU (-1 = unlimited).
    SetStock {
        /// SKU id.
        sku: i64,
        /// Units on hand.
        #[arg(long, allow_negative_numbers = true)]
        quantity: i32,
    },
    /// List partner connections (never their secrets), or test one.
    Connections {
        #[command(subcommand)]
        command: Option<ConnectionCommand>,
    },
    /// Create a partner connection.
    CreateConnection {
        /// dujiao_upstream | dstore | daojia | qimen_wdt | vending.
        #[arg(long)]
        kind: String,
        /// Unique name.
        #[arg(long)]
        name: String,
        /// Partner base URL.
        #[arg(long)]
        base_url: String,
        /// pending | active | disabled.
        #[arg(long, default_value = "pending")]
        status: String,
        /// Public identifier (Dujiao api key, D-Store Client-Id, Appid, ...).
        #[arg(long)]
        api_key: Option<String>,
        /// Secondary public identifier.
        #[arg(long)]
        app_id: Option<String>,
        /// Non-secret protocol settings as JSON (e.g. `{"dstore_public_key":"..."}`).
        #[arg(long, default_value = "{}")]
        settings: String,
        /// File holding the connection secret (PEM key, shared secret).
        #[arg(long, conflicts_with = "secret_env")]
        secret_file: Option<PathBuf>,
        /// Environment variable holding the connection secret.
        #[arg(long)]
        secret_env: Option<String>,
    },
    /// Set a connection's status (pending | active | disabled).
    ConnectionStatus {
        /// Connection id.
        id: i64,
        /// New status.
        #[arg(long)]
        status: String,
    },
    /// Replace a connection's secret (read from a file or an environment variable).
    ConnectionSecret {
        /// Connection id.
        id: i64,
        /// File holding the new secret.
        #[arg(long, conflicts_with = "secret_env")]
        secret_file: Option<PathBuf>,
        /// Environment variable holding the new secret.
        #[arg(long)]
        secret_env: Option<String>,
    },
    /// How many acknowledged events still wait in the ingress spool.
    Spool,
    /// Channel product mappings: a D-Store `posProductId` or 58 `goodsId` → our SKU.
    #[command(subcommand)]
    ChannelProducts(ChannelProductCommand),
    /// Sync a connection now: pull an upstream's catalog and stock, or push a D-Store store's
    /// catalog (makes its stock-sync task due).
    Sync {
        /// Connection id.
        connection: i64,
        /// The whole catalog (also finds products deleted upstream; a D-Store full replace).
        #[arg(long)]
        full: bool,
    },
    /// SKUs with their upstream stock, price and last sync.
    Products {
        /// Only SKUs fulfilled through this connection.
        #[arg(long)]
        connection: Option<i64>,
        /// upstream | local.
        #[arg(long)]
        fulfillment_type: Option<String>,
        /// Only SKUs whose mapping a sync switched off (true) or not (false).
        #[arg(long)]
        disabled: Option<bool>,
        /// Only SKUs with a larger id (paging).
        #[arg(long)]
        after: Option<i64>,
        /// At most this many (default 100, at most 1000).
        #[arg(long)]
        limit: Option<i64>,
    },
    /// One SKU with its upstream stock, price and last sync.
    Sku {
        /// SKU id.
        id: i64,
    },
    /// SKU → fulfiller mappings: create, list, enable/disable, import from CSV or JSON.
    #[command(subcommand)]
    Mappings(MappingCommand),
}

/// A task on one partner connection.
#[derive(Debug, Subcommand)]
pub enum ConnectionCommand {
    /// Make one cheap authenticated call to the partner: `{ok, latency_ms, partner_reply | error}`.
    Test {
        /// Connection id.
        id: i64,
    },
}

/// What a call sends.
pub enum Body {
    /// A JSON document.
    Json(Value),
    /// Bytes with their content type (an import file).
    Raw(&'static str, Vec<u8>),
}

/// One HTTP call to make.
struct Call {
    method: reqwest::Method,
    path: String,
    body: Option<Body>,
}

impl Call {
    fn get(path: String) -> Self {
        Self {
            method: reqwest::Method::GET,
            path,
            body: None,
        }
    }

    fn post(path: String, body: Value) -> Self {
        Self {
            method: reqwest::Method::POST,
            path,
            body: Some(Body::Json(body)),
        }
    }

    fn put(path: String, body: Value) -> Self {
        Self {
            method: reqwest::Method::PUT,
            path,
            body: Some(Body::Json(body)),
        }
    }

    fn delete(path: String) -> Self {
        Self {
            method: reqwest::Method::DELETE,
            path,
            body: None,
        }
    }
}

/// Runs one operator task against the operator API.
pub async fn run(settings: &Settings, args: AdminArgs) -> anyhow::Result<()> {
    let client = OperatorClient::new(settings, args.client)?;
    let call = to_call(args.command)?;
    let mut request = client.request(call.method, &call.path);
    match call.body {
        Some(Body::Json(body)) => request = request.json(&body),
        Some(Body::Raw(content_type, bytes)) => {
            request = request
                .header(reqwest::header::CONTENT_TYPE, content_type)
                .body(bytes);
        }
        None => {}
    }
    let answer = client.send(request).await?;
    writeln!(
        std::io::stdout().lock(),
        "{}",
        serde_json::to_string_pretty(&answer)?
    )?;
    Ok(())
}

fn to_call(command: AdminCommand) -> anyhow::Result<Call> {
    use AdminCommand::*;
    Ok(match command {
        CreateUser { label, currency } => Call::post(
            "/admin/v1/users".into(),
            json!({ "label": label, "currency": currency }),
        ),
        ApplyCredential { user } => {
            Call::post("/admin/v1/credentials".into(), json!({ "user_id": user }))
        }
        ShowCredential { id } => Call::get(format!("/admin/v1/credentials/{id}")),
        Approve { id } => Call::post(format!("/admin/v1/credentials/{id}/approve"), json!({})),
        Reject { id, reason } => Call::post(
            format!("/admin/v1/credentials/{id}/reject"),
            json!({ "reason": reason }),
        ),
        Enable { id } => Call::post(format!("/admin/v1/credentials/{id}/enable"), json!({})),
        Disable { id } => Call::post(format!("/admin/v1/credentials/{id}/disable"), json!({})),
        Wallet { user } => Call::get(format!("/admin/v1/wallets/{user}")),
        Credit {
            user,
            amount_minor,
            idempotency_key,
            reference,
        } => Call::post(
            format!("/admin/v1/wallets/{user}/credit"),
            json!({
                "amount_minor": amount_minor,
                "idempotency_key": idempotency_key,
                "reference": reference,
            }),
        ),
        CreateCategory { slug, name, parent } => Call::post(
            "/admin/v1/categories".into(),
            json!({ "slug": slug, "name": json_arg("--name", &name)?, "parent_id": parent }),
        ),
        CreateProduct {
            slug,
            title,
            category,
            manual,
        } => Call::post(
            "/admin/v1/products".into(),
            json!({
                "slug": slug,
                "title": json_arg("--title", &title)?,
                "category_id": category,
                "fulfillment_type": if manual { "manual" } else { "auto" },
            }),
        ),
        ShowProduct { id } => Call::get(format!("/admin/v1/products/{id}")),
        ProductActive { id, active } => Call::post(
            format!("/admin/v1/products/{id}/active"),
            json!({ "active": active }),
        ),
        DeleteProduct { id } => Call::delete(format!("/admin/v1/products/{id}")),
        CreateSku {
            product,
            code,
            price_minor,
            currency,
            stock,
        } => Call::post(
            "/admin/v1/skus".into(),
            json!({
                "product_id": product,
                "sku_code": code,
                "price_minor": price_minor,
                "currency": currency,
                "stock_quantity": stock,
            }),
        ),
        SetStock { sku, quantity } => Call::put(
            format!("/admin/v1/skus/{sku}/stock"),
            json!({ "quantity": quantity }),
        ),
        Connections { command: None } => Call::get("/admin/v1/connections".into()),
        Connections {
            command: Some(ConnectionCommand::Test { id }),
        } => Call::post(format!("/admin/v1/connections/{id}/test"), json!({})),
        CreateConnection {
            kind,
            name,
            base_url,
            status,
            api_key,
            app_id,
            settings,
            secret_file,
            secret_env,
        } => Call::post(
            "/admin/v1/connections".into(),
            json!({
                "kind": kind,
                "name": name,
                "base_url": base_url,
                "status": status,
                "api_key": api_key,
                "app_id": app_id,
                "settings": json_arg("--settings", &settings)?,
                "secret": read_secret(secret_file, secret_env)?,
            }),
        ),
        ConnectionStatus { id, status } => Call::post(
            format!("/admin/v1/connections/{id}/status"),
            json!({ "status": status }),
        ),
        ConnectionSecret {
            id,
            secret_file,
            secret_env,
        } => {
            let Some(secret) = read_secret(secret_file, secret_env)? else {
                bail!("give the new secret with --secret-file or --secret-env");
            };
            Call::put(
                format!("/admin/v1/connections/{id}/secret"),
                json!({ "secret": secret }),
            )
        }
        Spool => Call::get("/admin/v1/spool".into()),
        ChannelProducts(command) => {
            let (method, path, body) = channel_products::to_call(command);
            Call {
                method,
                path,
                body: body.map(Body::Json),
            }
        }
        Mappings(command) => {
            let (method, path, body) = mappings::to_call(command)?;
            Call { method, path, body }
        }
        Sync { connection, full } => Call::post(
            format!("/admin/v1/connections/{connection}/sync?full={full}"),
            json!({}),
        ),
        Products {
            connection,
            fulfillment_type,
            disabled,
            after,
            limit,
        } => {
            let query = channel_products::url_query(&[
                ("connection_id", connection.map(|id| id.to_string())),
                ("fulfillment_type", fulfillment_type),
                ("disabled", disabled.map(|flag| flag.to_string())),
                ("after_id", after.map(|id| id.to_string())),
                ("limit", limit.map(|limit| limit.to_string())),
            ]);
            let separator = if query.is_empty() { "" } else { "?" };
            Call::get(format!("/admin/v1/products{separator}{query}"))
        }
        Sku { id } => Call::get(format!("/admin/v1/skus/{id}")),
    })
}

fn json_arg(name: &str, text: &str) -> anyhow::Result<Value> {
    serde_json::from_str(text).with_context(|| format!("{name} must be JSON"))
}

/// The secret from a file (trailing newline dropped) or an environment variable, if given.
fn read_secret(file: Option<PathBuf>, env: Option<String>) -> anyhow::Result<Option<String>> {
    if let Some(path) = file {
        let text = std::fs::read_to_string(&path)
            .with_context(|| format!("reading the secret file {}", path.display()))?;
        return Ok(Some(text.trim_end_matches(['\r', '\n']).to_owned()));
    }
    if let Some(name) = env {
        let value = std::env::var(&name)
            .with_context(|| format!("environment variable {name} is not set"))?;
        return Ok(Some(value));
    }
    Ok(None)
}

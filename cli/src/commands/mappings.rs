//! `switchyard admin mappings …`: which fulfiller delivers each SKU (`/admin/v1/mappings`), one
//! at a time or imported in bulk from a CSV or JSON file.
//!
//! Contract: each subcommand is one operator API call (made by `admin`). `import FILE` sends the
//! file as is, `text/csv` or `application/json` by its extension (`--format` overrides); the
//! API checks every row and answers the created/updated/unchanged counts and each refused line.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context};
use clap::Subcommand;
use reqwest::Method;
use serde_json::json;

use super::admin::Body;
use super::channel_products::url_query;

/// One mapping task.
#[derive(Debug, Subcommand)]
pub enum MappingCommand {
    /// Map a SKU to its fulfiller (replaces the SKU's mapping).
    Create {
        /// Our SKU id.
        #[arg(long)]
        sku: i64,
        /// local_stock | dujiao_upstream | vending | wdt_erp.
        #[arg(long)]
        fulfiller: String,
        /// The partner connection (not for local_stock).
        #[arg(long)]
        connection: Option<i64>,
        /// dujiao_upstream: the upstream product id.
        #[arg(long)]
        upstream_product: Option<i64>,
        /// dujiao_upstream: the upstream SKU id.
        #[arg(long)]
        upstream_sku: Option<i64>,
        /// vending: the 8-digit machine number.
        #[arg(long)]
        machine_no: Option<String>,
        /// vending: the product id on the machine.
        #[arg(long)]
        vending_product: Option<String>,
        /// wdt_erp: the WDT spec number.
        #[arg(long)]
        spec_no: Option<String>,
        /// wdt_erp: the WDT goods number.
        #[arg(long)]
        goods_no: Option<String>,
        /// Create it switched off.
        #[arg(long)]
        inactive: bool,
    },
    /// List mappings by id, optionally filtered.
    List {
        /// Only this connection.
        #[arg(long)]
        connection: Option<i64>,
        /// Only this kind of fulfiller.
        #[arg(long)]
        fulfiller: Option<String>,
        /// Only switched on (true) or off (false).
        #[arg(long)]
        active: Option<bool>,
        /// Only this SKU's mapping.
        #[arg(long)]
        sku: Option<i64>,
        /// Only ids above this (the previous page's `next_after_id`).
        #[arg(long)]
        after: Option<i64>,
        /// At most this many (default 100, at most 1000).
        #[arg(long)]
        limit: Option<i64>,
    },
    /// Switch a mapping on.
    Enable {
        /// Mapping id.
        id: i64,
    },
    /// Switch a mapping off (orders for the SKU are refused until it is on again).
    Disable {
        /// Mapping id.
        id: i64,
    },
    /// Import mappings from a CSV (header line of field names) or JSON (array of objects) file.
    Import {
        /// The file.
        file: PathBuf,
        /// csv | json [default: from the file's extension].
        #[arg(long)]
        format: Option<String>,
    },
}

const PATH: &str = "/admin/v1/mappings";

/// The operator API call for `command`: method, path with query, body.
pub fn to_call(command: MappingCommand) -> anyhow::Result<(Method, String, Option<Body>)> {
    Ok(match command {
        MappingCommand::Create {
            sku,
            fulfiller,
            connection,
            upstream_product,
            upstream_sku,
            machine_no,
            vending_product,
            spec_no,
            goods_no,
            inactive,
        } => {
            let body = json!({
                "sku_id": sku, "fulfiller": fulfiller, "connection_id": connection,
                "upstream_product_id": upstream_product, "upstream_sku_id": upstream_sku,
                "machine_no": machine_no, "vending_product_id": vending_product,
                "spec_no": spec_no, "goods_no": goods_no, "is_active": !inactive,
            });
            (Method::POST, PATH.to_owned(), Some(Body::Json(body)))
        }
        MappingCommand::List {
            connection,
            fulfiller,
            active,
            sku,
            after,
            limit,
        } => {
            let mut query = url_query(&[
                ("connection_id", connection.map(|id| id.to_string())),
                ("fulfiller", fulfiller),
                ("active", active.map(|active| active.to_string())),
                ("sku_id", sku.map(|id| id.to_string())),
                ("after_id", after.map(|id| id.to_string())),
                ("limit", limit.map(|limit| limit.to_string())),
            ]);
            if !query.is_empty() {
                query.insert(0, '?');
            }
            (Method::GET, format!("{PATH}{query}"), None)
        }
        MappingCommand::Enable { id } => active(id, true),
        MappingCommand::Disable { id } => active(id, false),
        MappingCommand::Import { file, format } => {
            let content_type = content_type(&file, format.as_deref())?;
            let bytes = std::fs::read(&file)
                .with_context(|| format!("reading the import file {}", file.display()))?;
            (
                Method::POST,
                format!("{PATH}/import"),
                Some(Body::Raw(content_type, bytes)),
            )
        }
    })
}

fn active(id: i64, active: bool) -> (Method, String, Option<Body>) {
    (
        Method::POST,
        format!("{PATH}/{id}/active"),
        Some(Body::Json(json!({ "active": active }))),
    )
}

fn content_type(file: &Path, format: Option<&str>) -> anyhow::Result<&'static str> {
    let format = match format {
        Some(format) => format.to_ascii_lowercase(),
        None => file
            .extension()
            .and_then(|extension| extension.to_str())
            .unwrap_or_default()
            .to_ascii_lowercase(),
    };
    match format.as_str() {
        "csv" => Ok("text/csv"),
        "json" => Ok("application/json"),
        _ => bail!("say --format csv or --format json (the file's extension does not tell)"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_become_a_query_and_the_format_follows_the_extension() {
        let (method, path, _) = to_call(MappingCommand::List {
            connection: Some(3),
            fulfiller: Some("vending".into()),
            active: Some(false),
            sku: None,
            after: Some(10),
            limit: None,
        })
        .expect("a call");
        assert_eq!(method, Method::GET);
        assert_eq!(
            path,
            "/admin/v1/mappings?connection_id=3&fulfiller=vending&active=false&after_id=10"
        );
        assert_eq!(
            content_type(Path::new("m.CSV"), None).ok(),
            Some("text/csv")
        );
        assert_eq!(
            content_type(Path::new("m.txt"), Some("json")).ok(),
            Some("application/json")
        );
        assert!(content_type(Path::new("m"), None).is_err());
    }
}

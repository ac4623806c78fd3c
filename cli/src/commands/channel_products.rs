//! `switchyard admin channel-products …`: which of our SKUs a D-Store `posProductId` or a 58
//! `goodsId` means, per channel connection (`/admin/v1/channel-products`).
//!
//! Contract: each subcommand is one operator API call (made by `admin`); refusals (unknown SKU or
//! connection, a connection of another kind, a duplicate) come back as the API's
//! `{error, message}`.

use clap::Subcommand;
use reqwest::Method;
use serde_json::{json, Value};

/// One channel product mapping task.
#[derive(Debug, Subcommand)]
pub enum ChannelProductCommand {
    /// Map a channel product id arriving through a connection to our SKU.
    Create {
        /// dstore | daojia.
        #[arg(long)]
        channel: String,
        /// The channel connection (its kind must be the channel).
        #[arg(long)]
        connection: i64,
        /// The channel's product id (`posProductId`, `goodsId`).
        #[arg(long)]
        product: String,
        /// Our SKU id.
        #[arg(long)]
        sku: i64,
    },
    /// List mappings, oldest first, optionally filtered.
    List {
        /// Only this channel.
        #[arg(long)]
        channel: Option<String>,
        /// Only this connection.
        #[arg(long)]
        connection: Option<i64>,
        /// Only mappings to this SKU.
        #[arg(long)]
        sku: Option<i64>,
        /// Only this channel product id.
        #[arg(long)]
        product: Option<String>,
        /// At most this many (default 100, at most 1000).
        #[arg(long)]
        limit: Option<i64>,
    },
    /// Delete a mapping (orders already accepted keep their SKU).
    Delete {
        /// Mapping id.
        id: i64,
    },
}

const PATH: &str = "/admin/v1/channel-products";

/// The operator API call for `command`: method, path with query, body.
pub fn to_call(command: ChannelProductCommand) -> (Method, String, Option<Value>) {
    match command {
        ChannelProductCommand::Create {
            channel,
            connection,
            product,
            sku,
        } => (
            Method::POST,
            PATH.to_owned(),
            Some(json!({
                "channel": channel,
                "connection_id": connection,
                "channel_product_id": product,
                "sku_id": sku,
            })),
        ),
        ChannelProductCommand::List {
            channel,
            connection,
            sku,
            product,
            limit,
        } => {
            let mut query = url_query(&[
                ("channel", channel),
                ("connection_id", connection.map(|id| id.to_string())),
                ("sku_id", sku.map(|id| id.to_string())),
                ("channel_product_id", product),
                ("limit", limit.map(|limit| limit.to_string())),
            ]);
            if !query.is_empty() {
                query.insert(0, '?');
            }
            (Method::GET, format!("{PATH}{query}"), None)
        }
        ChannelProductCommand::Delete { id } => (Method::DELETE, format!("{PATH}/{id}"), None),
    }
}

/// `name=value&…` for the given pairs, values percent-encoded.
pub(super) fn url_query(pairs: &[(&str, Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(name, value)| {
            let value = value.as_ref()?;
            let encoded: String = value
                .bytes()
                .map(|byte| match byte {
                    b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                        char::from(byte).to_string()
                    }
                    other => format!("%{other:02X}"),
                })
                .collect();
            Some(format!("{name}={encoded}"))
        })
        .collect::<Vec<_>>()
        .join("&")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_filters_become_an_encoded_query() {
        let (method, path, body) = to_call(ChannelProductCommand::List {
            channel: Some("daojia".into()),
            connection: Some(3),
            sku: None,
            product: Some("a b&c".into()),
            limit: None,
        });
        assert_eq!(method, Method::GET);
        assert_eq!(
            path,
            "/admin/v1/channel-products?channel=daojia&connection_id=3&channel_product_id=a%20b%26c"
        );
        assert!(body.is_none());
        let (_, path, _) = to_call(ChannelProductCommand::List {
            channel: None,
            connection: None,
            sku: None,
            product: None,
            limit: None,
        });
        assert_eq!(path, "/admin/v1/channel-products");
    }
}

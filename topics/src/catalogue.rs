//! The topic catalogue as code: every logical topic, its key, partitions, retention and value
//! schema (the `.avsc` file under `avro/`, compiled in).
//!
//! Full names are `{topic_prefix}{logical}`. Each topic has a dead-letter companion
//! `{full}.dlq` with the same partition count. Values are raw Avro binary datums written with the
//! topic's schema, so analysts decode them with the `.avsc` alone.

use std::sync::OnceLock;
use std::time::Duration;

use apache_avro::rabin::Rabin;
use apache_avro::Schema;

/// Logical topic names (the configured prefix is prepended on the wire).
pub mod names {
    /// A channel placed an order and the ingress accepted it.
    pub const ORDERS_ACCEPTED: &str = "orders.accepted";
    /// Our order moved to a new status.
    pub const ORDERS_STATUS_CHANGED: &str = "orders.status-changed";
    /// A channel changed an order on its side.
    pub const ORDERS_CHANNEL_UPDATES: &str = "orders.channel-updates";
    /// The procurer decided to buy from a fulfiller.
    pub const PROCUREMENT_REQUESTED: &str = "procurement.requested";
    /// A fulfiller answered a procurement.
    pub const PROCUREMENT_RESULTS: &str = "procurement.results";
    /// An upstream Dujiao site called back.
    pub const UPSTREAM_CALLBACKS: &str = "upstream.callbacks";
    /// A vending platform reported a dispense.
    pub const VENDING_DISPENSE_RESULTS: &str = "vending.dispense-results";
    /// Stock of a SKU changed.
    pub const STOCK_CHANGED: &str = "stock.changed";
    /// Reconciliation found a mismatch.
    pub const RECONCILIATION_DISCREPANCIES: &str = "reconciliation.discrepancies";
}

const DAY: Duration = Duration::from_secs(24 * 3600);

/// One logical topic of the catalogue.
#[derive(Debug, Clone, Copy)]
pub struct TopicSpec {
    /// Logical name, without prefix.
    pub name: &'static str,
    /// What the record key is, for humans.
    pub key: &'static str,
    /// Partition count; `None` uses `KafkaConfig::default_partitions`.
    pub partitions: Option<i32>,
    /// How long records are kept (`retention.ms`).
    pub retention: Duration,
    /// The Avro schema of the value (`avro/<name>.avsc`).
    pub schema: &'static str,
}

/// Every topic the hub uses.
pub const ALL: &[TopicSpec] = &[
    TopicSpec {
        name: names::ORDERS_ACCEPTED,
        key: "{channel}:{channel_order_id}",
        partitions: None,
        retention: Duration::from_secs(14 * 24 * 3600),
        schema: include_str!("../../avro/orders.accepted.avsc"),
    },
    TopicSpec {
        name: names::ORDERS_STATUS_CHANGED,
        key: "{channel}:{channel_order_id}",
        partitions: None,
        retention: Duration::from_secs(14 * 24 * 3600),
        schema: include_str!("../../avro/orders.status-changed.avsc"),
    },
    TopicSpec {
        name: names::ORDERS_CHANNEL_UPDATES,
        key: "{channel}:{channel_order_id}",
        partitions: None,
        retention: Duration::from_secs(14 * 24 * 3600),
        schema: include_str!("../../avro/orders.channel-updates.avsc"),
    },
    TopicSpec {
        name: names::PROCUREMENT_REQUESTED,
        key: "{channel}:{channel_order_id} of the parent order",
        partitions: None,
        retention: Duration::from_secs(14 * 24 * 3600),
        schema: include_str!("../../avro/procurement.requested.avsc"),
    },
    TopicSpec {
        name: names::PROCUREMENT_RESULTS,
        key: "{channel}:{channel_order_id} of the parent order",
        partitions: None,
        retention: Duration::from_secs(14 * 24 * 3600),
        schema: include_str!("../../avro/procurement.results.avsc"),
    },
    TopicSpec {
        name: names::UPSTREAM_CALLBACKS,
        key: "{connection_id}:{downstream_order_no}",
        partitions: None,
        retention: Duration::from_secs(14 * 24 * 3600),
        schema: include_str!("../../avro/upstream.callbacks.avsc"),
    },
    TopicSpec {
        name: names::VENDING_DISPENSE_RESULTS,
        key: "{machine_no}:{vending_order_id}",
        partitions: None,
        retention: Duration::from_secs(14 * 24 * 3600),
        schema: include_str!("../../avro/vending.dispense-results.avsc"),
    },
    TopicSpec {
        name: names::STOCK_CHANGED,
        key: "{sku_id}",
        partitions: None,
        retention: Duration::from_secs(7 * 24 * 3600),
        schema: include_str!("../../avro/stock.changed.avsc"),
    },
    TopicSpec {
        name: names::RECONCILIATION_DISCREPANCIES,
        key: "{connection_id}:{procurement_id}",
        partitions: Some(3),
        retention: Duration::from_secs(30 * 24 * 3600),
        schema: include_str!("../../avro/reconciliation.discrepancies.avsc"),
    },
];

/// How long dead letters are kept: long enough for an operator to look and replay.
pub const DEAD_LETTER_RETENTION: Duration = Duration::from_secs(30 * DAY.as_secs());

/// The catalogue entry of a logical topic.
pub fn spec(logical: &str) -> Option<&'static TopicSpec> {
    ALL.iter().find(|spec| spec.name == logical)
}

/// Dead-letter topic of a full topic name.
pub fn dead_letter_topic(full_topic: &str) -> String {
    format!("{full_topic}.dlq")
}

/// A parsed value schema with the identifiers that travel in headers.
#[derive(Debug)]
pub struct CompiledSchema {
    /// The parsed schema.
    pub schema: Schema,
    /// Full name of the record, e.g. `io.switchyard.events.OrderAccepted`.
    pub name: String,
    /// CRC-64-AVRO (Rabin) fingerprint of the canonical form, 16 lowercase hex digits
    /// (the spec's little-endian byte order).
    pub fingerprint: String,
}

/// Parses an `.avsc` text into a [`CompiledSchema`].
pub fn compile(schema_text: &str) -> Result<CompiledSchema, apache_avro::Error> {
    let schema = Schema::parse_str(schema_text)?;
    let name = match &schema {
        Schema::Record(record) => record.name.fullname(None),
        other => format!("{:?}", apache_avro::schema::SchemaKind::from(other)),
    };
    let fingerprint = schema
        .fingerprint::<Rabin>()
        .bytes
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    Ok(CompiledSchema {
        schema,
        name,
        fingerprint,
    })
}

/// The compiled schema of a logical topic, parsed once per process.
///
/// `Err` carries the parse error text; the `every_schema_parses` test keeps it from happening.
pub fn compiled(logical: &str) -> Option<&'static Result<CompiledSchema, String>> {
    // In `ALL` order. Every decoded event looks its schema up here; a scan of a few short names
    // is cheaper than hashing the name.
    static COMPILED: OnceLock<Vec<Result<CompiledSchema, String>>> = OnceLock::new();
    let at = ALL.iter().position(|spec| spec.name == logical)?;
    COMPILED
        .get_or_init(|| {
            ALL.iter()
                .map(|spec| compile(spec.schema).map_err(|e| e.to_string()))
                .collect()
        })
        .get(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_schema_parses_and_names_its_record() {
        for spec in ALL {
            let compiled = compile(spec.schema).unwrap_or_else(|e| panic!("{}: {e}", spec.name));
            assert!(compiled.name.starts_with("io.switchyard.events."));
            assert_eq!(compiled.fingerprint.len(), 16);
        }
    }

    #[test]
    fn every_record_and_field_is_documented() {
        fn check(value: &serde_json::Value, path: &str) {
            match value {
                serde_json::Value::Object(map) => {
                    let kind = map.get("type").and_then(|t| t.as_str());
                    if matches!(kind, Some("record" | "enum")) {
                        assert!(map.contains_key("doc"), "{path}: named type without doc");
                    }
                    if let Some(fields) = map.get("fields").and_then(|f| f.as_array()) {
                        for field in fields {
                            let name = field["name"].as_str().unwrap_or("?");
                            assert!(
                                field.get("doc").is_some(),
                                "{path}.{name}: field without doc"
                            );
                            check(&field["type"], &format!("{path}.{name}"));
                        }
                    }
                    if let Some(items) = map.get("items") {
                        check(items, path);
                    }
                }
                serde_json::Value::Array(branches) => {
                    branches.iter().for_each(|branch| check(branch, path));
                }
                _ => {}
            }
        }
        for spec in ALL {
            let json: serde_json::Value = serde_json::from_str(spec.schema).unwrap();
            check(&json, spec.name);
        }
    }

    #[test]
    fn rabin_fingerprint_matches_the_avro_spec_vector() {
        // Avro spec test vector: the canonical form `"int"` has fingerprint 0x7275d51a3f395c8f,
        // written little-endian in the single-object encoding.
        let compiled = compile(r#""int""#).unwrap();
        assert_eq!(compiled.fingerprint, "8f5c393f1ad57572");
    }
}

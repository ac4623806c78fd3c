//! [`OrderStatus`] in Avro: the enum `io.switchyard.events.OrderStatus` of
//! `orders.status-changed`, whose symbols are [`OrderStatus::symbol`] (`PARTIALLY_DELIVERED`),
//! while the type's own serde form is its stored text (`partially_delivered`).
//!
//! Contract: used as `#[serde(with = "status_symbol")]` (and `status_symbol::option` for an
//! optional field); an unknown symbol is a decoding error, never a default. The symbol set is held
//! equal to [`OrderStatus::ALL`] by the contract test (`topics/tests/it/contract.rs`).

use serde::de::{self, Visitor};
use serde::{Deserializer, Serializer};
use switchyard_domain::OrderStatus;

/// Writes the status as its Avro symbol (apache-avro resolves the enum index by name).
pub fn serialize<S: Serializer>(status: &OrderStatus, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(status.symbol())
}

/// Reads the status from its Avro symbol.
pub fn deserialize<'de, D: Deserializer<'de>>(deserializer: D) -> Result<OrderStatus, D::Error> {
    deserializer.deserialize_str(SymbolVisitor)
}

struct SymbolVisitor;

impl Visitor<'_> for SymbolVisitor {
    type Value = OrderStatus;

    fn expecting(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("an OrderStatus symbol")
    }

    fn visit_str<E: de::Error>(self, symbol: &str) -> Result<OrderStatus, E> {
        OrderStatus::from_symbol(symbol).map_err(E::custom)
    }
}

/// The same for `Option<OrderStatus>` (a `["null", OrderStatus]` union).
pub mod option {
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use switchyard_domain::OrderStatus;

    /// A status written through [`super::serialize`].
    #[derive(Serialize, Deserialize)]
    struct Symbol(#[serde(with = "super")] OrderStatus);

    /// Writes `None` as null, `Some` as the symbol.
    pub fn serialize<S: Serializer>(
        status: &Option<OrderStatus>,
        serializer: S,
    ) -> Result<S::Ok, S::Error> {
        status.map(Symbol).serialize(serializer)
    }

    /// Reads null as `None`, a symbol as `Some`.
    pub fn deserialize<'de, D: Deserializer<'de>>(
        deserializer: D,
    ) -> Result<Option<OrderStatus>, D::Error> {
        Ok(Option::<Symbol>::deserialize(deserializer)?.map(|Symbol(status)| status))
    }
}

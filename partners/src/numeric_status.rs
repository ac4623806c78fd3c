//! Numeric status codes on the wire (58 `orderStatus`, WDT `trade_status`): written as a JSON
//! number, read from a number or a numeric string (both occur), refused when the code is not one
//! the spec defines.
//!
//! Contract: [`numeric_status_serde!`] gives a status enum with `code()` and `from_code()` its
//! serde impls; the reading rule lives once, in [`deserialize`].

use serde::{Deserialize, Deserializer};

/// Reads a status code that may come as a number or a numeric string; `field` names it in the
/// error (the offending value is a status code, never personal data).
pub(crate) fn deserialize<'de, D, T>(
    deserializer: D,
    field: &'static str,
    from_code: fn(u8) -> Option<T>,
) -> Result<T, D::Error>
where
    D: Deserializer<'de>,
{
    let value = serde_json::Value::deserialize(deserializer)?;
    let code = match &value {
        serde_json::Value::Number(n) => n.as_u64(),
        serde_json::Value::String(s) => s.trim().parse().ok(),
        _ => None,
    };
    code.and_then(|c| u8::try_from(c).ok())
        .and_then(from_code)
        .ok_or_else(|| serde::de::Error::custom(format!("unknown {field} {value}")))
}

/// Implements `Serialize` (the code as a number) and `Deserialize` (through [`deserialize`]) for
/// an enum with `fn code(self) -> u8` and `fn from_code(u8) -> Option<Self>`.
macro_rules! numeric_status_serde {
    ($name:ident, $field:literal) => {
        impl serde::Serialize for $name {
            fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
                serializer.serialize_u8(self.code())
            }
        }

        impl<'de> serde::Deserialize<'de> for $name {
            fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
                $crate::numeric_status::deserialize(deserializer, $field, Self::from_code)
            }
        }
    };
}

pub(crate) use numeric_status_serde;

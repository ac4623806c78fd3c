//! Domain identifiers of the vending API, parsed once at the edge.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Why an identifier was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum IdError {
    /// A machine number is exactly eight ASCII digits.
    #[error("machine number must be exactly 8 digits")]
    MachineNo,
    /// A trade id is 20 to 32 printable ASCII characters.
    #[error("trade id must be 20 to 32 printable ASCII characters")]
    TradeId,
}

/// A vending machine's number: exactly eight digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MachineNo(String);

impl MachineNo {
    /// Parses eight ASCII digits.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        if text.len() == 8 && text.bytes().all(|b| b.is_ascii_digit()) {
            Ok(MachineNo(text.to_owned()))
        } else {
            Err(IdError::MachineNo)
        }
    }

    /// The digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Our unique trade id for a vending order: 20–32 printable ASCII characters, no spaces.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct TradeId(String);

impl TradeId {
    /// Parses a trade id.
    pub fn parse(text: &str) -> Result<Self, IdError> {
        let printable = text.bytes().all(|b| b.is_ascii_graphic());
        if (20..=32).contains(&text.len()) && printable {
            Ok(TradeId(text.to_owned()))
        } else {
            Err(IdError::TradeId)
        }
    }

    /// The text.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

macro_rules! string_newtype_impls {
    ($name:ident) => {
        impl TryFrom<String> for $name {
            type Error = IdError;
            fn try_from(value: String) -> Result<Self, Self::Error> {
                $name::parse(&value)
            }
        }
        impl From<$name> for String {
            fn from(value: $name) -> Self {
                value.0
            }
        }
        impl fmt::Display for $name {
            fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str(&self.0)
            }
        }
    };
}

string_newtype_impls!(MachineNo);
string_newtype_impls!(TradeId);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn machine_no_is_eight_digits() {
        assert_eq!(MachineNo::parse("12345678").unwrap().as_str(), "12345678");
        for bad in ["1234567", "123456789", "1234567a", "", "１２３４５６７８"] {
            assert_eq!(MachineNo::parse(bad), Err(IdError::MachineNo), "{bad}");
        }
        assert!(serde_json::from_str::<MachineNo>("\"1234\"").is_err());
    }

    #[test]
    fn trade_id_is_20_to_32_chars() {
        assert!(TradeId::parse(&"a".repeat(20)).is_ok());
        assert!(TradeId::parse(&"a".repeat(32)).is_ok());
        assert_eq!(TradeId::parse(&"a".repeat(19)), Err(IdError::TradeId));
        assert_eq!(TradeId::parse(&"a".repeat(33)), Err(IdError::TradeId));
        assert_eq!(
            TradeId::parse("with space 0123456789"),
            Err(IdError::TradeId)
        );
    }
}

//! The error of direct datum decoding. Its text names schema kinds, fields and symbols, never a
//! decoded value: serde's "invalid type/value" messages would quote the offending string or
//! number, and an event's strings may be personal data that must not reach logs or dead-letter
//! headers.

use std::fmt;

use serde::de::{Expected, Unexpected};

/// Why a datum could not be decoded into the requested type.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DatumError(String);

impl DatumError {
    pub(crate) fn new(reason: impl Into<String>) -> Self {
        Self(reason.into())
    }
}

impl fmt::Display for DatumError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for DatumError {}

/// What was found, without the value itself.
fn kind(unexpected: &Unexpected<'_>) -> &'static str {
    match unexpected {
        Unexpected::Bool(_) => "a boolean",
        Unexpected::Unsigned(_) | Unexpected::Signed(_) => "an integer",
        Unexpected::Float(_) => "a float",
        Unexpected::Char(_) => "a char",
        Unexpected::Str(_) => "a string",
        Unexpected::Bytes(_) => "bytes",
        Unexpected::Unit => "null",
        Unexpected::Option => "an optional value",
        Unexpected::NewtypeStruct => "a newtype struct",
        Unexpected::Seq => "an array",
        Unexpected::Map => "a map",
        Unexpected::Enum => "an enum",
        Unexpected::UnitVariant => "a unit variant",
        Unexpected::NewtypeVariant => "a newtype variant",
        Unexpected::TupleVariant => "a tuple variant",
        Unexpected::StructVariant => "a struct variant",
        Unexpected::Other(_) => "another value",
    }
}

impl serde::de::Error for DatumError {
    fn custom<T: fmt::Display>(message: T) -> Self {
        Self(message.to_string())
    }

    fn invalid_type(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self(format!(
            "invalid type: {}, expected {expected}",
            kind(&unexpected)
        ))
    }

    fn invalid_value(unexpected: Unexpected<'_>, expected: &dyn Expected) -> Self {
        Self(format!(
            "invalid value: {}, expected {expected}",
            kind(&unexpected)
        ))
    }
}

#[cfg(test)]
mod tests {
    use serde::de::Error as _;

    use super::*;

    #[test]
    fn type_errors_do_not_quote_the_value() {
        let error = DatumError::invalid_type(Unexpected::Str("alice@example.com"), &"a long");
        assert_eq!(error.to_string(), "invalid type: a string, expected a long");
        let error = DatumError::invalid_value(Unexpected::Signed(-7), &"a u32");
        assert!(!error.to_string().contains("-7"));
    }
}

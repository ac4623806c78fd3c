//! [`Currency`]: an ISO-4217-shaped code, exactly three ASCII upper-case letters.
//!
//! Contract: only a valid code can be built (parse, don't validate), so whatever holds a
//! `Currency` never re-checks it. Serialised (JSON, Avro) as the code string; with the `sqlx`
//! feature stored as `char(3)` text.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

use crate::MoneyError;

/// An ISO-4217-shaped currency code: exactly three ASCII upper-case letters.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct Currency([u8; 3]);

impl Currency {
    /// Chinese yuan, the currency of most partners.
    pub const CNY: Currency = Currency(*b"CNY");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// Parses a three-letter upper-case code.
    pub fn parse(code: &str) -> Result<Self, MoneyError> {
        let bytes = code.as_bytes();
        match bytes {
            [a, b, c] if bytes.iter().all(u8::is_ascii_uppercase) => Ok(Currency([*a, *b, *c])),
            _ => Err(MoneyError::InvalidCurrency),
        }
    }

    /// The code as text, e.g. `"CNY"`.
    pub fn as_str(&self) -> &str {
        // The constructor admits only ASCII upper-case letters, so this is valid UTF-8.
        std::str::from_utf8(&self.0).unwrap_or("XXX")
    }

    /// Number of minor digits (2 for most currencies; 0 for the few without minor units).
    pub fn minor_digits(&self) -> u32 {
        match &self.0 {
            b"JPY" | b"KRW" | b"VND" | b"CLP" | b"ISK" | b"UGX" | b"XAF" | b"XOF" => 0,
            b"BHD" | b"KWD" | b"OMR" | b"JOD" | b"TND" | b"LYD" | b"IQD" => 3,
            _ => 2,
        }
    }
}

impl fmt::Display for Currency {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Currency {
    type Err = MoneyError;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Currency::parse(s)
    }
}

impl TryFrom<String> for Currency {
    type Error = MoneyError;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Currency::parse(&value)
    }
}

impl From<Currency> for String {
    fn from(value: Currency) -> Self {
        value.as_str().to_owned()
    }
}

#[cfg(feature = "sqlx")]
crate::sqlx_text!(Currency);

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn currency_is_three_upper_letters() {
        assert_eq!(Currency::parse("CNY").unwrap(), Currency::CNY);
        assert_eq!(Currency::parse("cny"), Err(MoneyError::InvalidCurrency));
        assert_eq!(Currency::parse("CN"), Err(MoneyError::InvalidCurrency));
        assert_eq!(Currency::parse("CNYY"), Err(MoneyError::InvalidCurrency));
        let json = serde_json::to_string(&Currency::USD).unwrap();
        assert_eq!(json, "\"USD\"");
        assert!(serde_json::from_str::<Currency>("\"usd\"").is_err());
    }
}

//! [`Money`]: an amount in minor units, parsed exactly from the decimal strings partners send.
//!
//! Contract: `Money` never passes through floating point. `"12.34"` with a two-digit currency is
//! exactly `1234` minor units and formats back to `"12.34"`. A string with more fraction digits than
//! the currency allows is an error (unless the extra digits are zeros), never a silent rounding.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::Currency;

/// Why a currency code or a decimal amount was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum MoneyError {
    /// The currency code is not exactly three ASCII upper-case letters.
    #[error("currency code must be three upper-case letters")]
    InvalidCurrency,
    /// The amount string was empty (or only a sign).
    #[error("amount is empty")]
    Empty,
    /// The amount contains something other than an optional sign, digits and one dot.
    #[error("amount is not a plain decimal number")]
    NotDecimal,
    /// More significant fraction digits than the currency has minor digits.
    #[error("amount has more than {max} fraction digits")]
    TooPrecise {
        /// Minor digits of the currency.
        max: u32,
    },
    /// The amount does not fit in an `i64` of minor units.
    #[error("amount is out of range")]
    Overflow,
    /// Two amounts in different currencies were combined.
    #[error("currencies differ")]
    CurrencyMismatch,
}

/// An amount of money in minor units of its currency (cents, fen).
///
/// Its serde form `{amount_minor, currency}` is also the Avro record `io.switchyard.events.Money`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Money {
    /// Amount in minor units; negative for refunds and corrections.
    pub amount_minor: i64,
    /// The currency the amount is in.
    pub currency: Currency,
}

impl Money {
    /// An amount already in minor units.
    pub fn from_minor(minor: i64, currency: Currency) -> Self {
        Money {
            amount_minor: minor,
            currency,
        }
    }

    /// Parses a decimal string such as `"12.34"`, `"12"`, `"-0.5"` exactly into minor units.
    pub fn parse_decimal(text: &str, currency: Currency) -> Result<Self, MoneyError> {
        let digits = currency.minor_digits();
        let text = text.trim();
        let (negative, unsigned) = match text.strip_prefix('-') {
            Some(rest) => (true, rest),
            None => (false, text.strip_prefix('+').unwrap_or(text)),
        };
        let (whole, fraction) = match unsigned.split_once('.') {
            Some((whole, fraction)) => (whole, fraction),
            None => (unsigned, ""),
        };
        if whole.is_empty() && fraction.is_empty() {
            return Err(MoneyError::Empty);
        }
        let all_digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
        if !all_digits(whole) || !all_digits(fraction) {
            return Err(MoneyError::NotDecimal);
        }
        let significant = fraction.trim_end_matches('0');
        if significant.len() > digits as usize {
            return Err(MoneyError::TooPrecise { max: digits });
        }
        let mut minor: i64 = 0;
        let padded = significant
            .bytes()
            .chain(std::iter::repeat(b'0'))
            .take(digits as usize);
        for byte in whole.bytes().chain(padded) {
            minor = minor
                .checked_mul(10)
                .and_then(|m| m.checked_add(i64::from(byte - b'0')))
                .ok_or(MoneyError::Overflow)?;
        }
        Ok(Money {
            amount_minor: if negative { -minor } else { minor },
            currency,
        })
    }

    /// Formats as a decimal string with exactly the currency's minor digits, e.g. `"12.30"`.
    pub fn to_decimal_string(&self) -> String {
        let digits = self.currency.minor_digits();
        let sign = if self.amount_minor < 0 { "-" } else { "" };
        let magnitude = self.amount_minor.unsigned_abs();
        if digits == 0 {
            return format!("{sign}{magnitude}");
        }
        let scale = 10u64.pow(digits);
        format!(
            "{sign}{}.{:0width$}",
            magnitude / scale,
            magnitude % scale,
            width = digits as usize
        )
    }

    /// Adds two amounts of the same currency.
    pub fn checked_add(self, other: Money) -> Result<Money, MoneyError> {
        if self.currency != other.currency {
            return Err(MoneyError::CurrencyMismatch);
        }
        let minor = self
            .amount_minor
            .checked_add(other.amount_minor)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount_minor: minor,
            currency: self.currency,
        })
    }

    /// Multiplies by a quantity (a line total).
    pub fn checked_mul(self, quantity: i64) -> Result<Money, MoneyError> {
        let minor = self
            .amount_minor
            .checked_mul(quantity)
            .ok_or(MoneyError::Overflow)?;
        Ok(Money {
            amount_minor: minor,
            currency: self.currency,
        })
    }
}

impl fmt::Display for Money {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} {}", self.to_decimal_string(), self.currency)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cny(text: &str) -> Result<Money, MoneyError> {
        Money::parse_decimal(text, Currency::CNY)
    }

    #[test]
    fn parses_and_formats_exactly() {
        for (text, minor, back) in [
            ("12.34", 1234, "12.34"),
            ("12", 1200, "12.00"),
            ("12.3", 1230, "12.30"),
            ("0.01", 1, "0.01"),
            (".5", 50, "0.50"),
            ("-1.05", -105, "-1.05"),
            ("0.00", 0, "0.00"),
            ("7.100", 710, "7.10"),
            ("92233720368547758.07", i64::MAX, "92233720368547758.07"),
        ] {
            let money = cny(text).unwrap();
            assert_eq!(money.amount_minor, minor, "{text}");
            assert_eq!(money.to_decimal_string(), back, "{text}");
        }
    }

    #[test]
    fn refuses_what_is_not_exact_money() {
        assert_eq!(cny(""), Err(MoneyError::Empty));
        assert_eq!(cny("-"), Err(MoneyError::Empty));
        assert_eq!(cny("1.2.3"), Err(MoneyError::NotDecimal));
        assert_eq!(cny("1e3"), Err(MoneyError::NotDecimal));
        assert_eq!(cny("12.345"), Err(MoneyError::TooPrecise { max: 2 }));
        assert_eq!(cny("92233720368547758.08"), Err(MoneyError::Overflow));
    }

    #[test]
    fn zero_digit_currency_has_no_fraction() {
        let jpy = Currency::parse("JPY").unwrap();
        assert_eq!(Money::parse_decimal("120", jpy).unwrap().amount_minor, 120);
        assert_eq!(
            Money::parse_decimal("120.5", jpy),
            Err(MoneyError::TooPrecise { max: 0 })
        );
        assert_eq!(Money::from_minor(120, jpy).to_decimal_string(), "120");
    }

    #[test]
    fn arithmetic_checks_currency_and_overflow() {
        let a = cny("1.50").unwrap();
        assert_eq!(a.checked_add(a).unwrap().amount_minor, 300);
        assert_eq!(a.checked_mul(3).unwrap().to_decimal_string(), "4.50");
        let usd = Money::from_minor(1, Currency::USD);
        assert_eq!(a.checked_add(usd), Err(MoneyError::CurrencyMismatch));
        assert_eq!(
            Money::from_minor(i64::MAX, Currency::CNY).checked_mul(2),
            Err(MoneyError::Overflow)
        );
    }
}

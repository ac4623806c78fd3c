//! Currency codes as stored in `char(3)` columns; amounts are `i64` minor units everywhere.

/// A currency code: exactly three ASCII upper-case letters (`CNY`, `USD`).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct Currency([u8; 3]);

/// The text given is not a three-letter upper-case code.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("currency code must be three upper-case letters")]
pub struct InvalidCurrency;

impl Currency {
    /// Chinese yuan.
    pub const CNY: Currency = Currency(*b"CNY");
    /// US dollar.
    pub const USD: Currency = Currency(*b"USD");

    /// Parses a three-letter upper-case code.
    pub fn parse(code: &str) -> Result<Self, InvalidCurrency> {
        match code.as_bytes() {
            [a, b, c] if [a, b, c].iter().all(|byte| byte.is_ascii_uppercase()) => {
                Ok(Currency([*a, *b, *c]))
            }
            _ => Err(InvalidCurrency),
        }
    }

    /// The code as text.
    pub fn as_str(&self) -> &str {
        // Only ASCII upper-case letters get in through `parse`, so this cannot fail.
        std::str::from_utf8(&self.0).unwrap_or("???")
    }
}

impl std::fmt::Display for Currency {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl sqlx::Type<sqlx::Postgres> for Currency {
    fn type_info() -> sqlx::postgres::PgTypeInfo {
        <&str as sqlx::Type<sqlx::Postgres>>::type_info()
    }

    fn compatible(ty: &sqlx::postgres::PgTypeInfo) -> bool {
        <&str as sqlx::Type<sqlx::Postgres>>::compatible(ty)
    }
}

impl<'q> sqlx::Encode<'q, sqlx::Postgres> for Currency {
    fn encode_by_ref(
        &self,
        buf: &mut sqlx::postgres::PgArgumentBuffer,
    ) -> Result<sqlx::encode::IsNull, sqlx::error::BoxDynError> {
        <&str as sqlx::Encode<'q, sqlx::Postgres>>::encode_by_ref(&self.as_str(), buf)
    }
}

impl<'r> sqlx::Decode<'r, sqlx::Postgres> for Currency {
    fn decode(value: sqlx::postgres::PgValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let text = <&str as sqlx::Decode<'r, sqlx::Postgres>>::decode(value)?;
        Ok(Currency::parse(text.trim_end())?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_three_upper_case_letters_parse() {
        assert_eq!(Currency::parse("CNY"), Ok(Currency::CNY));
        for bad in ["cny", "CN", "CNYY", "C1Y", ""] {
            assert_eq!(Currency::parse(bad), Err(InvalidCurrency));
        }
    }
}

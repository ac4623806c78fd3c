//! The operator API's bearer token: parsed once (at least [`MIN_TOKEN_BYTES`] bytes), never
//! printed, compared in constant time.

use std::fmt;

use secrecy::{ExposeSecret, SecretString};
use serde::de::{self, Deserializer, Visitor};
use serde::Deserialize;
use subtle::ConstantTimeEq;

/// Fewest bytes an admin token may have: shorter ones are guessable over the network.
pub const MIN_TOKEN_BYTES: usize = 16;

/// Why a configured token is refused; the text never contains the token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    /// Empty or only whitespace.
    #[error(
        "is empty; set at least {MIN_TOKEN_BYTES} random bytes \
         (e.g. `head -c32 /dev/urandom | base64`), or leave it unset to disable the operator API"
    )]
    Empty,
    /// Fewer than [`MIN_TOKEN_BYTES`] bytes.
    #[error(
        "is {0} bytes; it must be at least {MIN_TOKEN_BYTES} (e.g. `head -c32 /dev/urandom | base64`)"
    )]
    TooShort(usize),
    /// A number or a boolean where text was expected (the value is not repeated here).
    #[error("must be text, not a number or a boolean")]
    NotText,
}

/// A bearer token long enough to guard the operator API.
#[derive(Clone)]
pub struct AdminToken(SecretString);

impl AdminToken {
    /// Accepts `secret` when, without surrounding whitespace, it has at least
    /// [`MIN_TOKEN_BYTES`] bytes.
    pub fn parse(secret: SecretString) -> Result<Self, TokenError> {
        let length = secret.expose_secret().trim().len();
        if length == 0 {
            return Err(TokenError::Empty);
        }
        if length < MIN_TOKEN_BYTES {
            return Err(TokenError::TooShort(length));
        }
        Ok(Self(secret))
    }

    /// The token, for a client that sends it.
    pub fn expose(&self) -> &str {
        self.0.expose_secret()
    }

    /// Whether `presented` is this token, in time independent of where they differ.
    pub(crate) fn matches(&self, presented: &[u8]) -> bool {
        bool::from(presented.ct_eq(self.0.expose_secret().as_bytes()))
    }
}

impl fmt::Debug for AdminToken {
    fn fmt(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        formatter.write_str("AdminToken([REDACTED])")
    }
}

impl<'de> Deserialize<'de> for AdminToken {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        deserializer.deserialize_any(TokenVisitor)
    }
}

/// Refuses non-text values without echoing them: serde's default "invalid type" error quotes
/// the value, and an all-digit token would end up on stderr.
struct TokenVisitor;

impl Visitor<'_> for TokenVisitor {
    type Value = AdminToken;

    fn expecting(&self, formatter: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(formatter, "text of at least {MIN_TOKEN_BYTES} bytes")
    }

    fn visit_str<E: de::Error>(self, value: &str) -> Result<AdminToken, E> {
        AdminToken::parse(SecretString::from(value)).map_err(E::custom)
    }

    fn visit_bool<E: de::Error>(self, _: bool) -> Result<AdminToken, E> {
        Err(E::custom(TokenError::NotText))
    }

    fn visit_i64<E: de::Error>(self, _: i64) -> Result<AdminToken, E> {
        Err(E::custom(TokenError::NotText))
    }

    fn visit_u64<E: de::Error>(self, _: u64) -> Result<AdminToken, E> {
        Err(E::custom(TokenError::NotText))
    }

    fn visit_i128<E: de::Error>(self, _: i128) -> Result<AdminToken, E> {
        Err(E::custom(TokenError::NotText))
    }

    fn visit_u128<E: de::Error>(self, _: u128) -> Result<AdminToken, E> {
        Err(E::custom(TokenError::NotText))
    }

    fn visit_f64<E: de::Error>(self, _: f64) -> Result<AdminToken, E> {
        Err(E::custom(TokenError::NotText))
    }
}

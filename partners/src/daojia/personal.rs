//! [`Personal`]: a wrapper for personal data (phones, addresses, coordinates, free text) that
//! serialises transparently but never shows its content in `Debug` or `Display`.
//!
//! Contract: the value is reachable only through [`Personal::expose`], so every place that reads a
//! phone or an address is greppable.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Personal data: stored and forwarded, never logged.
#[derive(Clone, Default, PartialEq)]
pub struct Personal<T>(T);

impl<T> Personal<T> {
    /// Wraps a personal value.
    pub fn new(value: T) -> Self {
        Self(value)
    }

    /// Reads the value — only to store it or to send it to whoever needs it.
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> std::fmt::Debug for Personal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<personal>")
    }
}

impl<T> std::fmt::Display for Personal<T> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("<personal>")
    }
}

impl<T: Serialize> Serialize for Personal<T> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        self.0.serialize(serializer)
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Personal<T> {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        T::deserialize(deserializer).map(Self)
    }
}

//! [`Sensitive`]: a wire value that must never appear in `Debug` output or logs.

use std::fmt;

use serde::{Deserialize, Serialize};

/// Wraps personal or secret wire data (delivery codes, buyer form input) so `Debug` hides it.
///
/// Serialises exactly like the inner value; only `Debug` is redacted.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Sensitive<T>(pub T);

impl<T> Sensitive<T> {
    /// The wrapped value (the caller takes responsibility for not logging it).
    pub fn expose(&self) -> &T {
        &self.0
    }
}

impl<T> fmt::Debug for Sensitive<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl<T> From<T> for Sensitive<T> {
    fn from(value: T) -> Self {
        Sensitive(value)
    }
}

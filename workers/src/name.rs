//! The workers this crate runs, by the name used in consumer groups, metrics and logs.

use std::fmt;
use std::str::FromStr;

/// A worker implemented here; each is one consumer group `{group_prefix}{as_str()}`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum WorkerName {
    /// Places procurement orders with fulfillers (consumes `orders.accepted`).
    Procurer,
    /// Applies upstream callbacks and dispense results; relays callbacks one level down.
    CallbackRelayer,
}

impl WorkerName {
    /// Every worker of this crate, in start-up order.
    pub const ALL: [WorkerName; 2] = [WorkerName::Procurer, WorkerName::CallbackRelayer];

    /// The name used in consumer group ids, metrics and logs.
    pub fn as_str(self) -> &'static str {
        match self {
            WorkerName::Procurer => "procurer",
            WorkerName::CallbackRelayer => "callback-relayer",
        }
    }
}

impl fmt::Display for WorkerName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// The text is not the name of a worker of this crate.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown worker `{0}`")]
pub struct UnknownWorker(String);

impl FromStr for WorkerName {
    type Err = UnknownWorker;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        WorkerName::ALL
            .into_iter()
            .find(|name| name.as_str() == text)
            .ok_or_else(|| UnknownWorker(text.chars().take(40).collect()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_round_trip() {
        for name in WorkerName::ALL {
            assert_eq!(name.as_str().parse::<WorkerName>(), Ok(name));
        }
        assert!("reconciler".parse::<WorkerName>().is_err());
    }
}

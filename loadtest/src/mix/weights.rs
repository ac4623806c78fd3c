//! The share of each protocol in the mix, parsed from `name=weight,…`.

use super::protocol::Protocol;

/// Why a mix could not be parsed.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum WeightsError {
    /// A name that is not a protocol.
    #[error("unknown protocol `{0}` (known: dujiao-order, dujiao-callback, dstore-create-order, daojia-push, vending-notify)")]
    UnknownProtocol(String),
    /// A weight that is not a non-negative number.
    #[error("weight of `{0}` must be a non-negative number")]
    BadWeight(String),
    /// All weights are zero.
    #[error("the mix is empty: give at least one protocol a positive weight")]
    Empty,
}

/// Normalised protocol shares.
#[derive(Debug, Clone, PartialEq)]
pub struct MixWeights {
    cumulative: Vec<(f64, Protocol)>,
}

impl MixWeights {
    /// Parses `dujiao-order=40,dstore-create-order=20,…`; a bare name weighs 1.
    pub fn parse(text: &str) -> Result<Self, WeightsError> {
        let mut pairs = Vec::new();
        for part in text.split(',').map(str::trim).filter(|p| !p.is_empty()) {
            let (name, weight) = part.split_once('=').unwrap_or((part, "1"));
            let protocol = Protocol::parse(name)
                .ok_or_else(|| WeightsError::UnknownProtocol(name.trim().to_string()))?;
            let weight: f64 = weight
                .trim()
                .parse()
                .ok()
                .filter(|w: &f64| w.is_finite() && *w >= 0.0)
                .ok_or_else(|| WeightsError::BadWeight(name.trim().to_string()))?;
            pairs.push((protocol, weight));
        }
        Self::from_pairs(&pairs)
    }

    /// Builds from explicit weights.
    pub fn from_pairs(pairs: &[(Protocol, f64)]) -> Result<Self, WeightsError> {
        let total: f64 = pairs.iter().map(|(_, w)| w).sum();
        if total <= 0.0 {
            return Err(WeightsError::Empty);
        }
        let mut running = 0.0;
        let cumulative = pairs
            .iter()
            .filter(|(_, w)| *w > 0.0)
            .map(|(protocol, weight)| {
                running += weight / total;
                (running, *protocol)
            })
            .collect();
        Ok(Self { cumulative })
    }

    /// The protocol for a uniform draw `u` in [0, 1).
    pub fn pick(&self, u: f64) -> Protocol {
        self.cumulative
            .iter()
            .find(|(edge, _)| u < *edge)
            .or(self.cumulative.last())
            .map_or(Protocol::DujiaoOrder, |(_, protocol)| *protocol)
    }

    /// Each protocol with its share (0–1).
    pub fn shares(&self) -> Vec<(Protocol, f64)> {
        let mut previous = 0.0;
        self.cumulative
            .iter()
            .map(|(edge, protocol)| {
                let share = edge - previous;
                previous = *edge;
                (*protocol, share)
            })
            .collect()
    }
}

/// The default mix: orders from every channel, callbacks and dispense results.
pub const DEFAULT_MIX: &str =
    "dujiao-order=30,dujiao-callback=15,dstore-create-order=20,daojia-push=20,vending-notify=15";

impl Default for MixWeights {
    fn default() -> Self {
        // The constant parses; fall back to a single protocol rather than panic if it ever did not.
        Self::parse(DEFAULT_MIX).unwrap_or_else(|_| Self {
            cumulative: vec![(1.0, Protocol::DujiaoOrder)],
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_are_normalised_and_picked_by_share() {
        let mix = MixWeights::parse("dujiao-order=3, vending-notify=1").expect("valid");
        assert_eq!(mix.pick(0.0), Protocol::DujiaoOrder);
        assert_eq!(mix.pick(0.74), Protocol::DujiaoOrder);
        assert_eq!(mix.pick(0.76), Protocol::VendingNotify);
        assert_eq!(mix.pick(0.999_999), Protocol::VendingNotify);
        let shares = mix.shares();
        assert!((shares[0].1 - 0.75).abs() < 1e-9);
    }

    #[test]
    fn bad_mixes_name_the_problem() {
        assert_eq!(
            MixWeights::parse("qimen=1"),
            Err(WeightsError::UnknownProtocol("qimen".into()))
        );
        assert_eq!(
            MixWeights::parse("daojia-push=-1"),
            Err(WeightsError::BadWeight("daojia-push".into()))
        );
        assert_eq!(MixWeights::parse("daojia-push=0"), Err(WeightsError::Empty));
        assert_eq!(MixWeights::parse(""), Err(WeightsError::Empty));
    }

    #[test]
    fn the_default_mix_has_every_protocol() {
        assert_eq!(MixWeights::default().shares().len(), Protocol::ALL.len());
    }
}

//! The mix as a [`RequestSource`]: picks a protocol by weight and, with the configured shares,
//! turns the request into a duplicate, a bad signature or an oversized body.
//!
//! Contract: choices are a pure function of `(seed, seq)` (reproducible runs); a duplicate repeats
//! a request already acknowledged in this run (re-signed as a partner retry would be), so early
//! in a run, before anything was acknowledged, a duplicate draw sends a fresh request instead.

use std::sync::Arc;

use serde_json::Value;

use super::credentials::Credentials;
use super::ledger::AckLedger;
use super::payloads::build_logical;
use super::protocol::{LogicalRequest, Protocol};
use super::signing::Signer;
use super::weights::MixWeights;
use crate::request::{Expectation, PlannedRequest, RequestSource};

/// Shares (0–1) of requests turned into each fault.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct FaultShares {
    /// Repeats of acknowledged requests.
    pub duplicates: f64,
    /// Tampered signatures.
    pub bad_signatures: f64,
    /// Bodies over the limit.
    pub oversized: f64,
}

/// Builds mix requests.
#[derive(Debug)]
pub struct MixSource {
    weights: MixWeights,
    faults: FaultShares,
    signer: Signer,
    ledger: Arc<AckLedger>,
    run_tag: String,
    oversize_bytes: usize,
    seed: u64,
}

impl MixSource {
    /// A source for one target; `body_limit` is the target's limit (oversized bodies exceed it).
    pub fn new(
        weights: MixWeights,
        faults: FaultShares,
        credentials: Credentials,
        ledger: Arc<AckLedger>,
        body_limit: usize,
    ) -> Self {
        let run_tag = uuid::Uuid::new_v4().simple().to_string()[..8].to_uppercase();
        let seed = u64::from_str_radix(&run_tag, 16).unwrap_or(0x5EED);
        Self {
            weights,
            faults,
            signer: Signer::new(credentials),
            ledger,
            run_tag,
            oversize_bytes: body_limit + 1024,
            seed,
        }
    }

    /// The tag inside every idempotency id of this source.
    pub fn run_tag(&self) -> &str {
        &self.run_tag
    }

    fn planned(
        &self,
        logical: &LogicalRequest,
        content: Option<&Value>,
        tamper: bool,
        expectation: Expectation,
    ) -> PlannedRequest {
        let (headers, body) = self.signer.sign(logical, content, tamper);
        let path = match logical.protocol {
            // The platform posts to the notify_url we registered, which names the machine.
            Protocol::VendingNotify => format!(
                "{}?machine_no={}",
                logical.protocol.path(),
                self.signer.credentials().vending_machine_no
            ),
            protocol => protocol.path().to_string(),
        };
        PlannedRequest {
            method: reqwest::Method::POST,
            path,
            headers,
            body: body.into(),
            expectation,
        }
    }
}

impl RequestSource for MixSource {
    fn request(&self, seq: u64) -> PlannedRequest {
        let fault_draw = unit(self.seed, seq, 1);
        let duplicate_edge = self.faults.duplicates;
        let bad_signature_edge = duplicate_edge + self.faults.bad_signatures;
        let oversized_edge = bad_signature_edge + self.faults.oversized;
        if fault_draw < duplicate_edge {
            if let Some((logical, original)) = self.ledger.pick(mix64(self.seed ^ seq ^ 3)) {
                let expectation = Expectation::Duplicate {
                    logical: logical.clone(),
                    original,
                };
                return self.planned(&logical, None, false, expectation);
            }
        }
        let protocol = self.weights.pick(unit(self.seed, seq, 2));
        let logical = Arc::new(build_logical(
            protocol,
            seq,
            &self.run_tag,
            self.signer.credentials(),
        ));
        if (duplicate_edge..bad_signature_edge).contains(&fault_draw) && protocol.is_signed() {
            return self.planned(
                &logical,
                None,
                true,
                Expectation::BadSignature(logical.clone()),
            );
        }
        if (bad_signature_edge..oversized_edge).contains(&fault_draw) {
            let mut padded = logical.content.clone();
            if let Value::Object(fields) = &mut padded {
                fields.insert(
                    "loadtest_padding".into(),
                    Value::String("x".repeat(self.oversize_bytes)),
                );
            }
            return self.planned(
                &logical,
                Some(&padded),
                false,
                Expectation::Oversized(logical.clone()),
            );
        }
        self.planned(&logical, None, false, Expectation::Fresh(logical.clone()))
    }
}

/// SplitMix64 finaliser: a well-mixed 64-bit hash.
fn mix64(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A uniform draw in [0, 1) for `(seed, seq, stream)`.
fn unit(seed: u64, seq: u64, stream: u64) -> f64 {
    let bits = mix64(seed ^ mix64(seq.wrapping_mul(31).wrapping_add(stream)));
    (bits >> 11) as f64 / (1u64 << 53) as f64
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::outcome::FaultKind;

    fn source(faults: FaultShares, ledger: Arc<AckLedger>) -> MixSource {
        MixSource::new(
            MixWeights::default(),
            faults,
            Credentials::test_defaults().expect("test key"),
            ledger,
            1024,
        )
    }

    #[test]
    fn fault_shares_are_respected_roughly() {
        let ledger = Arc::new(AckLedger::default());
        let source = source(
            FaultShares {
                duplicates: 0.0,
                bad_signatures: 0.2,
                oversized: 0.1,
            },
            ledger,
        );
        let mut bad = 0;
        let mut oversized = 0;
        for seq in 0..2000 {
            let request = source.request(seq);
            match request.expectation.fault() {
                Some(FaultKind::BadSignature) => bad += 1,
                Some(FaultKind::Oversized) => {
                    oversized += 1;
                    assert!(
                        request.body.len() > 1024,
                        "oversized body exceeds the limit"
                    );
                }
                _ => {}
            }
        }
        // Vending is unsigned (15 % of the default mix), so fewer than 20 % are tampered.
        assert!((250..=400).contains(&bad), "bad signatures: {bad}");
        assert!((150..=250).contains(&oversized), "oversized: {oversized}");
    }

    #[test]
    fn duplicates_repeat_an_acknowledged_request_with_its_answer() {
        let ledger = Arc::new(AckLedger::default());
        let all_duplicates = FaultShares {
            duplicates: 1.0,
            ..FaultShares::default()
        };
        let source = source(all_duplicates, ledger.clone());
        let first = source.request(0);
        assert_eq!(first.expectation.fault(), None, "nothing to repeat yet");
        let crate::request::Expectation::Fresh(logical) = &first.expectation else {
            panic!("fresh request expected");
        };
        ledger.acknowledged(logical, "answer".into());
        let repeat = source.request(1);
        match &repeat.expectation {
            Expectation::Duplicate {
                logical: again,
                original,
            } => {
                assert_eq!(again.idempotency_id, logical.idempotency_id);
                assert_eq!(original, "answer");
            }
            other => panic!("duplicate expected, got {other:?}"),
        }
        assert_eq!(
            ledger
                .acked_by_topic()
                .get(logical.protocol.topic())
                .map(Vec::len),
            Some(1)
        );
        assert!(Protocol::ALL.contains(&logical.protocol));
    }
}

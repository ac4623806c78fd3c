//! The protocol judge: checks every answer against what the request expected.
//!
//! Contract: a fresh request's success is written to the [`AckLedger`]; an injected fault is
//! `FaultHandled` only when its answer is the one the protocol demands (same answer for a
//! duplicate, the partner's bad-signature code, 413 for an oversized body) and a named
//! `check_failed:*` error otherwise. Overload answers are shed, whatever was sent.

use std::sync::Arc;

use super::answers::{fingerprint, fresh_outcome, is_shed, rejects_bad_signature};
use super::ledger::AckLedger;
use crate::outcome::{ErrorClass, FaultKind, Outcome};
use crate::request::{Answer, AnySuccessJudge, Expectation, Judge, PlannedRequest};

/// Judges protocol-mix answers.
#[derive(Debug, Clone)]
pub struct ProtocolJudge {
    ledger: Arc<AckLedger>,
}

impl ProtocolJudge {
    /// A judge writing acknowledgements to `ledger`.
    pub fn new(ledger: Arc<AckLedger>) -> Self {
        Self { ledger }
    }
}

fn check_failed(what: &str) -> Outcome {
    Outcome::Error(ErrorClass::CheckFailed(what.to_string()))
}

impl Judge for ProtocolJudge {
    fn judge(&self, request: &PlannedRequest, answer: Result<Answer, ErrorClass>) -> Outcome {
        let answer = match answer {
            Ok(answer) => answer,
            Err(class) => return Outcome::Error(class),
        };
        if is_shed(&answer) && !matches!(request.expectation, Expectation::AnySuccess) {
            return Outcome::Shed;
        }
        match &request.expectation {
            Expectation::AnySuccess => AnySuccessJudge.judge(request, Ok(answer)),
            Expectation::Fresh(logical) => {
                let outcome = fresh_outcome(logical.protocol, &answer);
                if outcome == Outcome::Acked {
                    self.ledger
                        .acknowledged(logical, fingerprint(logical.protocol, &answer));
                }
                outcome
            }
            Expectation::Duplicate { logical, original } => {
                if fingerprint(logical.protocol, &answer) == *original {
                    Outcome::FaultHandled(FaultKind::Duplicate)
                } else {
                    check_failed("duplicate:different_answer")
                }
            }
            Expectation::BadSignature(logical) => {
                if rejects_bad_signature(logical.protocol, &answer) {
                    Outcome::FaultHandled(FaultKind::BadSignature)
                } else if fresh_outcome(logical.protocol, &answer) == Outcome::Acked {
                    check_failed("bad_signature:accepted")
                } else {
                    check_failed("bad_signature:wrong_answer")
                }
            }
            Expectation::Oversized(_) => match answer.status {
                413 => Outcome::FaultHandled(FaultKind::Oversized),
                200..=299 => check_failed("oversized:accepted"),
                status => check_failed(&format!("oversized:http_{status}")),
            },
        }
    }
}

//! The protocol mix: realistic, correctly signed partner requests, plus injected faults whose
//! answers are checked.
//!
//! Contract: a [`LogicalRequest`] is what a partner means (protocol, idempotency id, JSON
//! content); [`signing`] turns it into bytes on the wire with a fresh signature every time it is
//! sent (a duplicate is the same logical request, re-signed as the partner would on a retry).
//! Signatures come from `switchyard-partners`, never from code of our own. Every acknowledged
//! fresh request is written to the [`AckLedger`], which later drives the topic verification.

mod answers;
mod credentials;
mod judge;
mod ledger;
mod payloads;
mod protocol;
mod signing;
mod source;
mod weights;

pub use answers::{fingerprint, fresh_outcome, rejects_bad_signature};
pub use credentials::{Credentials, DOWNSTREAM_CALLBACK_URL, TEST_DSTORE_PRIVATE_KEY};
pub use judge::ProtocolJudge;
pub use ledger::AckLedger;
pub use payloads::build_logical;
pub use protocol::{LogicalRequest, Protocol};
pub use signing::Signer;
pub use source::{FaultShares, MixSource};
pub use weights::{MixWeights, WeightsError, DEFAULT_MIX};

/// The default `--mix` (for clap, which wants a function or constant expression).
pub const fn weights_default() -> &'static str {
    DEFAULT_MIX
}

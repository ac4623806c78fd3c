//! Dujiao-Next site-to-site procurement protocol.
//!
//! Contract: requests are signed with HMAC-SHA256 over `METHOD\nPATH\nTIMESTAMP\nmd5(body)`
//! ([`sign`]); inbound requests and callbacks are verified in constant time within ±60 s and a
//! signature seen twice inside the window is refused, unless it is a byte-identical retry of an
//! idempotent call ([`verify`], [`replay`]). Every failure maps
//! to the protocol's own `error_code` and HTTP status ([`error`]). [`client`] calls an upstream site
//! through the shared [`crate::policy`] (re-signing every attempt, `downstream_order_no` as the
//! idempotency key); [`callback`] relays status callbacks one level down.

pub mod callback;
pub mod client;
pub mod error;
pub mod fulfillment;
pub mod listing;
pub mod mapping;
pub mod replay;
pub mod sensitive;
pub mod sign;
pub mod status;
pub mod verify;
pub mod wire;

pub use callback::{send_callback, CALLBACK_RETRY_SCHEDULE, CALLBACK_TIMEOUT};
pub use client::{DujiaoClient, DujiaoConnection};
pub use error::{DujiaoAuthError, DujiaoError, DujiaoErrorCode};
pub use listing::{OrderPage, OrderSummary};
pub use replay::{ReplayCache, ReplayPolicy, ReplayVerdict, RequestDigest};
pub use sensitive::Sensitive;
pub use sign::{
    body_md5_hex, sign, signing_string, DujiaoSignature, UniqueSigner, CALLBACK_SIGNED_PATH,
    HEADER_API_KEY, HEADER_SIGNATURE, HEADER_TIMESTAMP,
};
pub use status::{CallbackOutcome, DujiaoOrderStatus};
pub use verify::{
    AuthHeaders, DujiaoVerifier, UnverifiedRequest, VerifiedCaller, SIGNATURE_WINDOW,
};

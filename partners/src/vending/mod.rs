//! Vending-machine merchant open API.
//!
//! Contract: every call carries `Appid`/`AppSecret` headers; state-changing and query calls send a
//! signed payload (`k=v&…&key=` → upper MD5 → `sign`, JSON, base64 → `{"payload":…}`, see
//! [`sign`]). Answers are `{code, message, data}` envelopes whose `data` fields are all optional;
//! a non-zero `code` is a permanent [`VendingError::Api`] that keeps code and message. Machine
//! numbers and trade ids are parsed at the edge ([`ids`]). `trade_id` is the idempotency key of a
//! create. Dispense results arrive as unsigned notify callbacks: trust them only after a query.

pub mod client;
pub mod error;
pub mod ids;
pub mod mapping;
pub mod notify_token;
pub mod sign;
pub mod status;
pub mod wire;

pub use client::{VendingClient, VendingConnection};
pub use error::{VendingError, VendingSignError};
pub use ids::{IdError, MachineNo, TradeId};
pub use notify_token::NotifyTokens;
pub use sign::{build_payload, decode_payload, sign_params, signing_string};
pub use status::{FloorStatus, RecordStatus, UpdateStatus, VendingOrderStatus};

//! Alipay+ D-Store — POS integration (PROTOCOLS.md §2). Switchyard is the POS provider.
//!
//! RSA256 signatures over `"{METHOD} {PATH}\n{Client-Id}.{time}.{body}"` ([`signature`]), PEM and
//! base64 keys ([`keys`]), typed wire structs ([`wire`]), statuses ([`status`]), the S/F/U error
//! classification ([`error`]) and the POS → D-Store client ([`client`]).

pub mod keys;
pub mod signature;
pub mod status;
pub mod wire;

pub use keys::{DstorePrivateKey, DstorePublicKey, KeyError};
pub use signature::{verify_message, DstoreAuthError, MessageKind, VerifiedSender};
pub use status::{DstoreOrderStatus, NotifyOrderStatus, ResultStatus};

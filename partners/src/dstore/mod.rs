//! Alipay+ D-Store — POS integration. Switchyard is the POS provider.
//!
//! RSA256 signatures over `"{METHOD} {PATH}\n{Client-Id}.{time}.{body}"` ([`signature`]), PEM and
//! base64 keys ([`keys`]), typed wire structs ([`wire`]), statuses and their mapping
//! ([`status`]), the S/F/U error classification ([`error`]) and the POS → D-Store client
//! ([`client`]).

pub mod client;
pub mod config;
pub mod error;
pub mod keys;
pub mod mapping;
pub mod signature;
pub mod status;
pub mod wire;

pub use client::DstoreClient;
pub use config::DstoreConfig;
pub use error::DstoreError;
pub use keys::{DstorePrivateKey, DstorePublicKey, KeyError};
pub use signature::{sign_message, verify_message, DstoreAuthError, MessageKind, VerifiedSender};
pub use status::{DstoreOrderStatus, NotifyOrderStatus, ResultStatus};

//! Alipay+ D-Store — POS integration. Switchyard is the POS provider.
//!
//! RSA256 signatures over `"{METHOD} {PATH}\n{Client-Id}.{time}.{body}"` ([`signature`]), PEM and
//! base64 keys ([`keys`]), typed wire structs ([`wire`]), statuses and their mapping
//! ([`status`]), the S/F/U error classification ([`error`]) and the POS → D-Store client
//! ([`client`]).
//!
//! # `syncProduct`: full and incremental
//! D-Store's protocol defines one form of `syncProduct`: the products listed become the store's
//! catalog. Sending the whole catalog for every stock change would be wasteful, and a large
//! catalog does not fit in one call, so we add one optional request field, `syncType`
//! ([`wire::SyncType`]): `FULL` — the protocol's meaning, and what an absent field means, so a
//! gateway that ignores the field still gets valid full syncs — or `INCREMENTAL`, which adds or
//! replaces only the listed products (by `posProductId`) and leaves the rest of the catalog as
//! it is. A push of many products starts with one `FULL` call and continues with `INCREMENTAL`
//! calls; a product that must leave the catalog leaves it at the next full push. `requestId`
//! makes each call idempotent: a repeated `requestId` is answered as before and not applied
//! again, so a call whose answer was lost (or `U`) is sent again identically. Our simulator
//! (`switchyard-simulators`) implements exactly this; a real gateway that does not know the
//! field must be given full pushes only.

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

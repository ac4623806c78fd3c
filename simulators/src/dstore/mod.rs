//! D-Store simulator: plays Alipay+ D-Store against a POS (Switchyard).
//!
//! * As a **gateway** ([`DstoreSimulator::router`]): serves `syncProduct` and `notifyOrderChange`,
//!   verifies the POS's RSA256 signature (bad ones get `F` / `INVALID_SIGNATURE`, or the code
//!   [`DstoreAuthError::result_code`] names), records what it accepted (catalog per store,
//!   notifications deduplicated by `requestId`, `syncProduct` applied once per `requestId`, full
//!   or incremental by our `syncType` extension) and signs every answer with the D-Store key.
//!   Scripted answers ([`DstoreSimulator::script_answers`]) let a test force `U` or `F`.
//! * As a **caller** ([`DstoreSimulator::create_order`] and friends): signs `createOrder`,
//!   `inquireOrderDetail` and `pushOrderChange` with the D-Store key, sends them to a POS, verifies
//!   the POS's answer signature and returns the decoded answer.
//!
//! HTTP faults come from [`crate::faults`] (`/_faults`).
//!
//! [`DstoreAuthError::result_code`]: switchyard_partners::dstore::DstoreAuthError::result_code

mod caller;
mod gateway;

pub use caller::DstoreCallError;
pub use gateway::{DstoreSimulator, DstoreSimulatorConfig, SyncCall};

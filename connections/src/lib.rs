//! The partner-connection registry: every outbound partner client (Dujiao-Next, D-Store, 58
//! Daojia, Qimen/WDT, vending) is built here from its `partner_connections` row, and the
//! ingress's inbound verification reads the same cached rows.
//!
//! It sits between `partners` (protocols, no Postgres) and `store` (rows, no protocols), and
//! below `ingress` and `workers`, which both use it. The contract is in [`registry`]; the row
//! layout per partner in [`clients`].

mod cache;
pub mod clients;
mod error;
mod loaded;
pub mod probe;
pub mod registry;

pub use clients::{policy_for, DstoreKeys, PartnerClient};
pub use error::ConnectionError;
pub use loaded::LoadedConnection;
pub use probe::ProbeReport;
pub use registry::{ConnectionRegistry, RegistrySettings};

//! Switchyard's domain model: the one definition of each status, of money and of currency.
//!
//! Why a crate of its own: store, topics and partners all need these types, and partners must not
//! depend on the store (Postgres) or topics (Kafka), nor the store on partners. The lowest crate
//! that all three can share is one below them, so it lives here: no I/O, only `serde` and
//! `thiserror`; Postgres text encoding (`sqlx`) sits behind the `sqlx` feature that the store
//! crate enables. Each partner's own vocabulary is *not* here: it lives beside that partner
//! (`partners/src/<partner>/mapping.rs`), mapped onto these types by total functions.
//!
//! Contract: a status's `as_str()` is the text stored in Postgres (and its JSON form) and is
//! exactly the migration's CHECK list; [`OrderStatus::symbol`] is its Avro symbol in
//! `orders.status-changed`. No other crate defines a second copy of these types.

mod currency;
mod money;
mod order_status;
mod procurement_status;
#[cfg(feature = "sqlx")]
mod sqlx_text;
mod text_enum;

pub use currency::Currency;
pub use money::{Money, MoneyError};
pub use order_status::OrderStatus;
pub use procurement_status::ProcurementStatus;
pub use text_enum::UnknownValue;

/// What the exported macros need, re-exported so that callers need not depend on it themselves.
#[doc(hidden)]
pub mod __private {
    #[cfg(feature = "sqlx")]
    pub use sqlx;
}

//! Wangdiantong ERP through the Qimen gateway. Switchyard is the client.
//!
//! TOP signing md5 / hmac / hmac-sha256 with and without body ([`sign`]), GMT+8 timestamps and
//! the ±10 min window ([`timestamp`]), error formats and classification ([`error`]), WDT wire types
//! ([`wire`]), trade statuses ([`status`]), signed requests ([`request`]) and the client ([`client`]).
//! Privacy fields (`receiver_mobile`, …) are never modelled: they are absent by construction.

pub mod client;
pub mod config;
pub mod error;
pub mod mapping;
pub mod request;
pub mod sign;
pub mod status;
pub mod timestamp;
pub mod wire;

pub use client::QimenClient;
pub use config::QimenConfig;
pub use error::{QimenError, QimenFailure};
pub use sign::{top_sign, verify_top_sign, SignMethod};
pub use status::WdtTradeStatus;
pub use wire::TradeList;

//! 58 Daojia — home-service orders. 58 pushes orders to us; we report status.
//!
//! TOP-md5 signatures in both directions ([`sign`]), ids as numbers or strings ([`id`]), the
//! push form, typed order and answers ([`push`]), personal-data redaction ([`personal`]), statuses with their allowed journeys
//! ([`status`]), the `updateOrderDetail` form ([`update`]), errors ([`error`]) and the client
//! ([`client`]).

pub mod client;
pub mod error;
pub mod id;
pub mod mapping;
pub mod personal;
pub mod push;
pub mod sign;
pub mod status;
pub mod update;

pub use client::{DaojiaClient, DaojiaConfig};
pub use error::DaojiaError;
pub use id::DaojiaId;
pub use personal::Personal;
pub use push::{
    DaojiaOrder, DaojiaPushForm, PushAnswer, PushRejection, PushVerifier, VerifiedPush,
};
pub use status::{DaojiaOrderStatus, OrderJourney, TransitionError};
pub use update::{DaojiaAnswer, OrderDetailUpdate, UpdateOrderDetailForm};

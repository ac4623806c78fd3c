//! The at-least-once consumer runner (in progress).

mod handler;

pub use handler::{Consumable, Delivery, Handler, HandlerError};

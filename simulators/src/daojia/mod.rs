//! 58 Daojia simulator: plays the 58 platform against a service provider (Switchyard).
//!
//! * As the **order source** ([`DaojiaSimulator::push_order`], [`DaojiaSimulator::push_cancellation`]):
//!   builds a signed push form (`funId`, `nonce`, `timestamp` in epoch ms, `daojiaJson`,
//!   `daojiaSig`), posts it to the provider's callback URL and returns the provider's parsed
//!   answer. [`DaojiaSimulator::signed_push`] + [`DaojiaSimulator::send_push`] let a test tamper
//!   with a form before sending it.
//! * As the **platform API** ([`DaojiaSimulator::router`]): serves `updateOrderDetail`, checking
//!   credentials and the TOP-md5 `sign` (401), the GMT+8 timestamp window (403), the order (404)
//!   and the allowed status journeys and frozen total (409). Scripted answer codes
//!   ([`DaojiaSimulator::script_codes`]) exercise 429 / 5xx in the body.
//!
//! HTTP faults come from [`crate::faults`] (`/_faults`).

mod platform;
mod pusher;

pub use platform::{DaojiaSimulator, DaojiaSimulatorConfig};
pub use pusher::DaojiaPushError;

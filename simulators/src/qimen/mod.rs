//! Qimen / Wangdiantong simulator: the gateway Switchyard's [`QimenClient`] talks to.
//!
//! It verifies every call like the TOP gateway does — `app_key`, `target_app_key`, GMT+8
//! `timestamp` within ±10 min, `sign_method`, and the signature over the sorted system parameters
//! plus the raw body — answering TOP `error_response` codes (24, 25, 28–31, 41, 22) on failure;
//! then checks the WDT business identity (`sid`, `appkey`) and answers Qimen `flag=failure` for
//! business errors. It accepts trade pushes (new_count / chg_count by `tid`, every push kept as
//! received: [`QimenSimulator::trade_pushes`]), serves logistics
//! sync query/ack from configurable pending shipments, and stock query / change query / ack.
//! Scripted TOP errors ([`QimenSimulator::inject_errors`]) exercise retryable and permanent codes,
//! scripted Qimen business failures ([`QimenSimulator::inject_business_errors`]) the ERP's refusals;
//! HTTP faults come from [`crate::faults`].
//!
//! [`QimenClient`]: switchyard_partners::qimen::QimenClient

mod gateway;
mod handlers;
mod state;

pub use gateway::{QimenSimulator, QimenSimulatorConfig, QIMEN_PATH, QIMEN_TEST_PATH};

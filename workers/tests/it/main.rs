//! Integration tests of the procurement path: real broker, real Postgres, partner simulators
//! over HTTP, the workers running through the topics runner.

mod cancel;
mod connections;
mod kit;
mod procurement;
mod relay;
mod scheduler;
mod status_events;
mod status_sync;
mod stock_resume;
mod stock_sync;
mod support;
mod vending;
mod wdt;

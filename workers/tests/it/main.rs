//! Integration tests of the procurement path: real broker, real Postgres, partner simulators
//! over HTTP, the workers running through the topics runner.

mod cancel;
mod connections;
mod dstore_catalog;
mod expiry_sweeper;
mod fallback_poll;
mod kit;
mod procurement;
mod reconciler;
mod relay;
mod retention;
mod scheduler;
mod status_events;
mod status_outage;
mod status_sync;
mod stock_resume;
mod stock_sync;
mod support;
mod vending;
mod wdt;

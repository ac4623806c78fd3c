//! Integration tests of the store against a real PostgreSQL server, one database per test.

mod accounts;
mod catalog;
mod events;
mod orders;
mod procurement;
mod support;

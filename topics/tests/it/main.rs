//! Integration tests of the topics crate against a real broker (tansu or
//! `SWITCHYARD_TEST_BROKER`) and a real PostgreSQL (a fresh database per test).

#![allow(clippy::unwrap_used, clippy::print_stdout, clippy::print_stderr)]

mod common;
mod consumer_processes;
mod contract;
mod outbox;
mod parked_drain;
mod runner_behaviour;
mod schemas;
mod trace_context;

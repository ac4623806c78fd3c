//! Broker helpers (in progress).

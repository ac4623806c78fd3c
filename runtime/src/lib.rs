//! Shared runtime plumbing: layered configuration, telemetry, shutdown root, admin listener, database pool.

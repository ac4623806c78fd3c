//! Database helpers (in progress).

//! Internal order states (in progress).

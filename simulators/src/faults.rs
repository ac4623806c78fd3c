//! faults simulator (in progress).

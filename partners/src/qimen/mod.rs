//! qimen (in progress).

//! daojia (in progress).

//! daojia simulator (in progress).

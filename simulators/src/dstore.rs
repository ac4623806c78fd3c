//! dstore simulator (in progress).

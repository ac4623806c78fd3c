//! dstore (in progress).

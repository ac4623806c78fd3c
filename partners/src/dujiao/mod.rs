//! dujiao (in progress).

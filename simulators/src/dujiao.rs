//! dujiao simulator (in progress).

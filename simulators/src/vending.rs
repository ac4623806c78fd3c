//! vending simulator (in progress).

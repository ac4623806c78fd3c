//! vending (in progress).

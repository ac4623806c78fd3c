//! qimen simulator (in progress).

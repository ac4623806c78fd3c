//! Money in minor units (in progress).

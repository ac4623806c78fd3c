//! Open-loop load generator (see loadtest issue).
fn main() {}

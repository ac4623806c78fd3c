//! Tests of the harness itself, over real HTTP on 127.0.0.1 (and a real broker for the topic
//! verification). The only timed assertions are the two the harness exists for: it keeps its
//! rate, and it measures latency from the due time.

mod e2e;
mod mix;
mod reference_ingress;
mod scheduler;
mod verification;

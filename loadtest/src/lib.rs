//! Switchyard's load harness: open-loop, constant-rate, signed partner traffic with a bare-HTTP
//! baseline, a step search for the maximum sustainable rate, topic verification and an
//! end-to-end mode. The `loadtest` binary is a thin command line over these modules.

pub mod app;
pub mod baseline;
pub mod cli;
pub mod e2e;
pub mod mix;
pub mod outcome;
pub mod progress;
pub mod recorder;
pub mod report;
pub mod request;
pub mod runner;
pub mod schedule;
pub mod step;
pub mod verify;

pub use baseline::BareHandler;
pub use outcome::{ErrorClass, FaultKind, Outcome};
pub use report::{Report, RunReport};
pub use request::{AnySuccessJudge, Judge, PlainSource, PlannedRequest, RequestSource};
pub use runner::{run, RunOutcome, RunPlan};
pub use schedule::RateSchedule;

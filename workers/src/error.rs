//! Why a worker could not start or stopped abnormally; a step's failure is the lifecycle
//! crate's [`StepError`] (re-exported here).

use switchyard_topics::RunnerError;

pub use switchyard_lifecycle::StepError;

/// Why a worker could not start or stopped abnormally.
#[derive(Debug, thiserror::Error)]
pub enum WorkerError {
    /// The `[workers]` section is unusable.
    #[error(transparent)]
    Config(#[from] crate::config::WorkersConfigError),
    /// The consumer runner failed.
    #[error(transparent)]
    Runner(#[from] RunnerError),
    /// A part of the worker could not be set up (an HTTP client, say).
    #[error("setting up: {0}")]
    Setup(String),
    /// The worker's name is not in the registry.
    #[error("unknown worker `{0}`")]
    Unknown(String),
}

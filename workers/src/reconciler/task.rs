//! The runs' [`TaskJob`]: a requested run is a `scheduled_tasks` row keyed by its id, so one
//! replica at a time executes it, and a dead replica's run is resumed by the next claim.

use std::sync::Arc;

use super::{execute, Shared, RUN_JOB};
use crate::scheduler::{ClaimedTask, JobError, JobFuture, TaskJob, TaskOutcome};

/// Executes requested runs.
pub(super) struct RunTask(pub(super) Arc<Shared>);

impl TaskJob for RunTask {
    fn name(&self) -> &'static str {
        RUN_JOB
    }

    fn run(&self, task: ClaimedTask) -> JobFuture<'_, Result<TaskOutcome, JobError>> {
        Box::pin(async move {
            let id: i64 = task
                .task_key
                .parse()
                .map_err(|_| JobError::new("task key is not a run id"))?;
            execute::execute(&self.0, id).await.map_err(JobError::new)?;
            Ok(TaskOutcome::Done)
        })
    }
}

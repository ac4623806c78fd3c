//! Waiting for positive evidence instead of sleeping.
//!
//! Contract: [`eventually`] polls a check every 50 ms until it yields evidence (`true`, or
//! `Some(value)`) and returns it; after `within` it panics naming what it waited for. A test never
//! sleeps and then asserts that something did not happen: it waits for something that proves the
//! moment has passed (a committed offset, a recorded row) and asserts then.

use std::future::Future;
use std::time::{Duration, Instant};

/// How often [`eventually`] checks again.
const POLL: Duration = Duration::from_millis(50);

/// What a check returns: `bool` (evidence is `true`) or `Option<T>` (evidence is `Some(T)`).
pub trait Evidence {
    /// What [`eventually`] returns once the evidence is there.
    type Found;
    /// The evidence, if there is some yet.
    fn found(self) -> Option<Self::Found>;
}

impl Evidence for bool {
    type Found = ();
    fn found(self) -> Option<()> {
        self.then_some(())
    }
}

impl<T> Evidence for Option<T> {
    type Found = T;
    fn found(self) -> Option<T> {
        self
    }
}

/// Polls `check` until it yields evidence; panics naming `what` after `within`.
pub async fn eventually<E, F, Fut>(within: Duration, what: &str, mut check: F) -> E::Found
where
    E: Evidence,
    F: FnMut() -> Fut,
    Fut: Future<Output = E>,
{
    let deadline = Instant::now() + within;
    loop {
        if let Some(found) = check().await.found() {
            return found;
        }
        assert!(Instant::now() < deadline, "timed out waiting for: {what}");
        tokio::time::sleep(POLL).await;
    }
}

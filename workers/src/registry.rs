//! The registry: every worker this binary runs, in start-up order.
//!
//! Adding a worker is its module plus one line in [`WORKERS`]; the CLI (`switchyard worker
//! NAME`, its `--help`, `switchyard up`), the consumer groups, the metrics labels and the
//! Kubernetes manifests' check all read this list.

use crate::callback_relayer::CallbackRelayerWorker;
use crate::expiry_sweeper::ExpirySweeper;
use crate::kit::Registration;
use crate::procurer::Procurer;
use crate::reconciler::Reconciler;
use crate::status_syncer::StatusSyncer;
use crate::stock_syncer::StockSyncer;

/// Every worker of this binary.
pub const WORKERS: &[Registration] = &[
    Registration::of::<Procurer>(),
    Registration::of::<CallbackRelayerWorker>(),
    Registration::of::<StatusSyncer>(),
    Registration::of::<ExpirySweeper>(),
    Registration::of::<Reconciler>(),
    Registration::of::<StockSyncer>(),
];

/// The registered worker called `name`.
pub fn find(name: &str) -> Option<&'static Registration> {
    WORKERS.iter().find(|worker| worker.name == name)
}

/// The names of every registered worker.
pub fn names() -> Vec<&'static str> {
    WORKERS.iter().map(|worker| worker.name).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_are_unique_and_found() {
        let mut names = names();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), WORKERS.len());
        for worker in WORKERS {
            assert_eq!(find(worker.name).map(|found| found.name), Some(worker.name));
            assert!(!worker.description.is_empty());
        }
        assert!(find("no-such-worker").is_none());
    }

    #[test]
    fn the_procurement_workers_consume_their_topics() {
        let procurer = find("procurer").map(Registration::topics);
        assert_eq!(procurer, Some(vec!["orders.accepted"]));
        let relayer = find("callback-relayer").map(Registration::topics);
        assert_eq!(
            relayer,
            Some(vec!["upstream.callbacks", "vending.dispense-results"])
        );
    }
}

//! Runner metrics: handled, failed, retried and dead-lettered counters per consumer group and
//! topic, consumer lag per partition (from librdkafka statistics), and the retry schedule's
//! batched statements per group.

use prometheus_client::encoding::EncodeLabelSet;
use prometheus_client::metrics::counter::Counter;
use prometheus_client::metrics::family::Family;
use prometheus_client::metrics::gauge::Gauge;
use prometheus_client::registry::Registry;

/// Labels of the event counters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct EventLabels {
    /// Consumer group.
    pub consumer_group: String,
    /// Full topic name.
    pub topic: String,
}

/// Labels of handler failures.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct FailureLabels {
    /// Consumer group.
    pub consumer_group: String,
    /// Full topic name.
    pub topic: String,
    /// `permanent`, `transient` or `undecodable`.
    pub kind: String,
}

/// Labels of the retry schedule's statements.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct ScheduleLabels {
    /// Consumer group.
    pub consumer_group: String,
    /// `claim` (due heads claimed, counted when it claimed any) or `settle` (one transaction
    /// writing the decisions on a batch of retried heads).
    pub step: String,
}

/// Labels of the lag gauge.
#[derive(Debug, Clone, PartialEq, Eq, Hash, EncodeLabelSet)]
pub struct PartitionLabels {
    /// Consumer group.
    pub consumer_group: String,
    /// Full topic name.
    pub topic: String,
    /// Partition number.
    pub partition: String,
}

/// The runner's metric families; register once per process and clone into every runner.
#[derive(Debug, Clone, Default)]
pub struct RunnerMetrics {
    pub(crate) handled: Family<EventLabels, Counter>,
    pub(crate) failed: Family<FailureLabels, Counter>,
    pub(crate) retried: Family<EventLabels, Counter>,
    pub(crate) dead_lettered: Family<EventLabels, Counter>,
    pub(crate) lag: Family<PartitionLabels, Gauge>,
    pub(crate) schedule_batches: Family<ScheduleLabels, Counter>,
}

impl RunnerMetrics {
    /// Creates the families and registers them in `registry`.
    pub fn register(registry: &mut Registry) -> Self {
        let metrics = Self::default();
        registry.register(
            "switchyard_consumer_handled",
            "Events whose handler succeeded",
            metrics.handled.clone(),
        );
        registry.register(
            "switchyard_consumer_failed",
            "Handler failures by kind",
            metrics.failed.clone(),
        );
        registry.register(
            "switchyard_consumer_retried",
            "Events parked for a delayed retry",
            metrics.retried.clone(),
        );
        registry.register(
            "switchyard_consumer_dead_lettered",
            "Events sent to a dead-letter topic",
            metrics.dead_lettered.clone(),
        );
        registry.register(
            "switchyard_consumer_lag",
            "Messages between the consumer position and the partition end",
            metrics.lag.clone(),
        );
        registry.register(
            "switchyard_consumer_retry_batches",
            "Statements on the retry schedule: claims of due parked events, settle transactions",
            metrics.schedule_batches.clone(),
        );
        metrics
    }

    /// The counter of one retry-schedule step of `group`.
    pub(crate) fn schedule_step(&self, group: &str, step: &str) -> Counter {
        let labels = ScheduleLabels {
            consumer_group: group.to_owned(),
            step: step.to_owned(),
        };
        self.schedule_batches.get_or_create(&labels).clone()
    }

    pub(crate) fn event(group: &str, topic: &str) -> EventLabels {
        EventLabels {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
        }
    }

    pub(crate) fn failure(group: &str, topic: &str, kind: &str) -> FailureLabels {
        FailureLabels {
            consumer_group: group.to_owned(),
            topic: topic.to_owned(),
            kind: kind.to_owned(),
        }
    }
}

/// Counter handles of one (group, topic), resolved once so the hot path does no label lookup.
#[derive(Debug, Clone)]
pub(crate) struct TopicCounters {
    pub(crate) handled: Counter,
    pub(crate) retried: Counter,
    pub(crate) dead_lettered: Counter,
    pub(crate) permanent: Counter,
    pub(crate) transient: Counter,
}

impl RunnerMetrics {
    pub(crate) fn for_topic(&self, group: &str, topic: &str) -> TopicCounters {
        // One statement per lookup: `get_or_create` returns a read guard, and a second lookup
        // on the same family while it is alive would deadlock on the family's lock.
        let event = Self::event(group, topic);
        let handled = self.handled.get_or_create(&event).clone();
        let retried = self.retried.get_or_create(&event).clone();
        let dead_lettered = self.dead_lettered.get_or_create(&event).clone();
        let permanent_labels = Self::failure(group, topic, "permanent");
        let permanent = self.failed.get_or_create(&permanent_labels).clone();
        let transient_labels = Self::failure(group, topic, "transient");
        let transient = self.failed.get_or_create(&transient_labels).clone();
        TopicCounters {
            handled,
            retried,
            dead_lettered,
            permanent,
            transient,
        }
    }
}

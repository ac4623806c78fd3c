//! After a run: is every acknowledged event on its topic exactly once?
//!
//! Contract: the harness knows each acknowledged request's idempotency id (always alphanumeric)
//! and the topic its event belongs on; the ingress keys events by the partner's id with some scope
//! around it (`dujiao_downstream:{credential}/{downstream_order_no}`, `dstore:{requestOrderId}`,
//! `{machine_no}:{order_id}`) and stamps each with an `event-id` header. A record belongs to an
//! acknowledged request when one alphanumeric segment of its key (split at `:`, `/` and any other
//! punctuation) is that request's id. An acknowledged request passes when exactly one distinct `event-id`
//! belongs to it and that `event-id` is on exactly one record. Counting is by `event-id`, so a
//! redelivered copy (same `event-id` twice) is reported as a duplicate, and a second event for the
//! same request (a duplicate push that was not deduplicated) as a request with several events.
//! Records that belong to no acknowledged request (other traffic, faults that were wrongly
//! accepted) are counted, not failed.

mod kafka;

use std::collections::{BTreeMap, HashMap, HashSet};
use std::fmt::Write as _;

use serde::Serialize;

pub use kafka::{read_topic, verify_topics, KafkaSource, TopicRead};

/// One record as the verification sees it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ObservedRecord {
    /// Partition it was read from.
    pub partition: i32,
    /// Its offset there.
    pub offset: i64,
    /// Record key, as text.
    pub key: Option<String>,
    /// The `event-id` header.
    pub event_id: Option<String>,
}

/// Offsets between a partition's watermarks that the broker did not return.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct OffsetGaps {
    /// How many offsets were skipped.
    pub count: u64,
    /// Up to five of them, as `partition@offset`.
    pub examples: Vec<String>,
}

impl OffsetGaps {
    /// Records that `partition` returned `got` where `expected` was due next.
    pub fn skipped(&mut self, partition: i32, expected: i64, got: i64) {
        for offset in expected..got {
            self.count += 1;
            if self.examples.len() < 5 {
                self.examples.push(format!("{partition}@{offset}"));
            }
        }
    }
}

/// The verdict for one topic.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TopicVerification {
    /// Full topic name (prefix included).
    pub topic: String,
    /// Requests acknowledged whose event belongs here.
    pub acknowledged: u64,
    /// Of those, on the topic exactly once.
    pub exactly_once: u64,
    /// Of those, with no event at all.
    pub missing: u64,
    /// Of those, with more than one distinct event id.
    pub several_events: u64,
    /// Event ids (of acknowledged requests) found on more than one record.
    pub repeated_event_ids: u64,
    /// Records read from the topic.
    pub records_read: u64,
    /// Records without an `event-id` header.
    pub records_without_event_id: u64,
    /// Records that belong to no acknowledged request of this run.
    pub unrelated_records: u64,
    /// Up to five missing ids, to look up by hand.
    pub missing_examples: Vec<String>,
    /// Offsets the broker assigned but did not return (a broker-side loss when acked ids are
    /// missing too).
    pub offset_gaps: OffsetGaps,
    /// Records found at or past the high watermark the broker reported when the read began
    /// (the broker's mark lagged its records; they are counted like any other).
    pub beyond_high_watermark: u64,
    /// Why the topic could not be read, if it could not.
    pub read_error: Option<String>,
}

impl TopicVerification {
    /// Whether every acknowledged event is there exactly once.
    pub fn passed(&self) -> bool {
        self.read_error.is_none() && self.exactly_once == self.acknowledged
    }
}

/// The verdict for every topic of a run.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct VerificationReport {
    /// Bootstrap servers read.
    pub brokers: String,
    /// Topic prefix used.
    pub topic_prefix: String,
    /// True when every topic passed.
    pub passed: bool,
    /// Per topic.
    pub topics: Vec<TopicVerification>,
}

impl VerificationReport {
    /// Builds the report from per-topic verdicts.
    pub fn new(brokers: &str, topic_prefix: &str, topics: Vec<TopicVerification>) -> Self {
        Self {
            brokers: brokers.to_string(),
            topic_prefix: topic_prefix.to_string(),
            passed: topics.iter().all(TopicVerification::passed),
            topics,
        }
    }

    /// The verdict as text.
    pub fn render(&self) -> String {
        let mut out = String::new();
        let _ = writeln!(
            out,
            "topic verification ({}, prefix `{}`): {}",
            self.brokers,
            self.topic_prefix,
            if self.passed {
                "every acknowledged event is on its topic exactly once"
            } else {
                "FAILED"
            }
        );
        for topic in &self.topics {
            let _ = writeln!(
                out,
                "  {}: acked {}, exactly once {}, missing {}, several events {}, repeated event ids {}, records {} ({} unrelated, {} without event-id)",
                topic.topic,
                topic.acknowledged,
                topic.exactly_once,
                topic.missing,
                topic.several_events,
                topic.repeated_event_ids,
                topic.records_read,
                topic.unrelated_records,
                topic.records_without_event_id,
            );
            if topic.offset_gaps.count > 0 {
                let _ = writeln!(
                    out,
                    "    {} offsets between the watermarks were not returned by the broker, e.g. {}",
                    topic.offset_gaps.count,
                    topic.offset_gaps.examples.join(", ")
                );
            }
            if topic.beyond_high_watermark > 0 {
                let _ = writeln!(
                    out,
                    "    {} records were served past the high watermark the broker reported",
                    topic.beyond_high_watermark
                );
            }
            if let Some(error) = &topic.read_error {
                let _ = writeln!(out, "    could not read: {error}");
            }
            if !topic.missing_examples.is_empty() {
                let _ = writeln!(
                    out,
                    "    missing e.g. {}",
                    topic.missing_examples.join(", ")
                );
            }
        }
        out
    }
}

/// Matches the records of one topic against the acknowledged ids.
pub fn verify_records(
    topic: &str,
    acked_ids: &[String],
    records: &[ObservedRecord],
) -> TopicVerification {
    let acked: HashSet<&str> = acked_ids.iter().map(String::as_str).collect();
    let mut events_of: HashMap<&str, HashSet<&str>> = HashMap::new();
    let mut records_of_event: HashMap<&str, u64> = HashMap::new();
    let (mut without_event_id, mut unrelated) = (0u64, 0u64);
    for record in records {
        let owner = record.key.as_deref().and_then(|key| {
            key.split(|c: char| !c.is_ascii_alphanumeric())
                .find(|segment| acked.contains(segment))
        });
        let Some(owner) = owner else {
            unrelated += 1;
            continue;
        };
        let Some(event_id) = record.event_id.as_deref() else {
            without_event_id += 1;
            continue;
        };
        events_of.entry(owner).or_default().insert(event_id);
        *records_of_event.entry(event_id).or_default() += 1;
    }
    let mut verdict = TopicVerification {
        topic: topic.to_string(),
        acknowledged: acked.len() as u64,
        exactly_once: 0,
        missing: 0,
        several_events: 0,
        repeated_event_ids: records_of_event.values().filter(|n| **n > 1).count() as u64,
        records_read: records.len() as u64,
        records_without_event_id: without_event_id,
        unrelated_records: unrelated,
        missing_examples: Vec::new(),
        offset_gaps: OffsetGaps::default(),
        beyond_high_watermark: 0,
        read_error: None,
    };
    let mut sorted: Vec<&str> = acked.into_iter().collect();
    sorted.sort_unstable();
    for id in sorted {
        match events_of
            .get(id)
            .map(|events| events.iter().collect::<Vec<_>>())
        {
            None => {
                verdict.missing += 1;
                if verdict.missing_examples.len() < 5 {
                    verdict.missing_examples.push(id.to_string());
                }
            }
            Some(events) if events.len() > 1 => verdict.several_events += 1,
            Some(events) => {
                if events
                    .iter()
                    .all(|event| records_of_event.get(**event) == Some(&1))
                {
                    verdict.exactly_once += 1;
                }
            }
        }
    }
    verdict
}

/// Acknowledged ids grouped by full topic name.
pub fn by_full_topic(
    prefix: &str,
    acked: BTreeMap<&'static str, Vec<String>>,
) -> BTreeMap<String, Vec<String>> {
    acked
        .into_iter()
        .map(|(logical, ids)| (format!("{prefix}{logical}"), ids))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn record(key: &str, event_id: &str) -> ObservedRecord {
        ObservedRecord {
            partition: 0,
            offset: 0,
            key: Some(key.to_string()),
            event_id: (!event_id.is_empty()).then(|| event_id.to_string()),
        }
    }

    #[test]
    fn each_acknowledged_id_must_have_one_event_on_one_record() {
        let acked: Vec<String> = ["A1", "A2", "A3", "A4", "A5"].map(String::from).to_vec();
        let records = [
            record("dujiao_downstream:3/A1", "e1"),
            record("dstore:A2", "e2"),
            record("dstore:A2", "e2"), // redelivered copy
            record("daojia:A3", "e3"),
            record("daojia:A3", "e3b"), // a second event for one request
            record("other:Z9", "e9"),   // unrelated traffic
            record("dujiao:A5", ""),    // no event id
        ];
        let verdict = verify_records("orders.accepted", &acked, &records);
        assert_eq!(verdict.acknowledged, 5);
        assert_eq!(verdict.exactly_once, 1, "only A1 is clean");
        assert_eq!(verdict.repeated_event_ids, 1);
        assert_eq!(verdict.several_events, 1);
        assert_eq!(verdict.missing, 2, "A4 absent, A5 has no event id");
        assert_eq!(verdict.missing_examples, vec!["A4", "A5"]);
        assert_eq!(verdict.unrelated_records, 1);
        assert_eq!(verdict.records_without_event_id, 1);
        assert!(!verdict.passed());
    }

    #[test]
    fn skipped_offsets_are_counted_with_examples() {
        let mut gaps = OffsetGaps::default();
        gaps.skipped(2, 10, 10); // no gap
        gaps.skipped(2, 11, 14);
        assert_eq!(gaps.count, 3);
        assert_eq!(gaps.examples, vec!["2@11", "2@12", "2@13"]);
    }

    #[test]
    fn a_clean_topic_passes() {
        let acked: Vec<String> = vec!["X".into(), "Y".into()];
        let records = [record("c:X", "1"), record("c:Y", "2"), record("c:Q", "3")];
        let verdict = verify_records("t", &acked, &records);
        assert!(verdict.passed());
        let report = VerificationReport::new("b", "p.", vec![verdict]);
        assert!(report.passed);
        assert!(report.render().contains("exactly once"));
    }
}

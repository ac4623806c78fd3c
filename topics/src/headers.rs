//! Kafka header names used on every record, and on dead letters.
//!
//! Values are UTF-8 text (numbers in decimal) so any tool can read them.

/// Event id (UUID text); the idempotency key of every consumer.
pub const EVENT_ID: &str = "event-id";
/// Event type, e.g. `OrderAccepted`.
pub const EVENT_TYPE: &str = "event-type";
/// Full name of the value schema.
pub const SCHEMA_NAME: &str = "schema-name";
/// CRC-64-AVRO fingerprint of the value schema, 16 hex digits.
pub const SCHEMA_FINGERPRINT: &str = "schema-fingerprint";
/// W3C trace context.
pub const TRACEPARENT: &str = "traceparent";
/// When the event was encoded, epoch milliseconds.
pub const PRODUCED_AT: &str = "produced-at";

/// Dead letters: the topic the event was consumed from.
pub const DLQ_ORIGIN_TOPIC: &str = "dlq-origin-topic";
/// Dead letters: its partition there.
pub const DLQ_ORIGIN_PARTITION: &str = "dlq-origin-partition";
/// Dead letters: its offset there.
pub const DLQ_ORIGIN_OFFSET: &str = "dlq-origin-offset";
/// Dead letters: the consumer group that gave up.
pub const DLQ_CONSUMER_GROUP: &str = "dlq-consumer-group";
/// Dead letters: the last error (never personal data).
pub const DLQ_ERROR: &str = "dlq-error";
/// Dead letters: whether the last error was permanent or attempts ran out.
pub const DLQ_ERROR_KIND: &str = "dlq-error-kind";
/// Dead letters: how many handler attempts were made.
pub const DLQ_ATTEMPTS: &str = "dlq-attempts";
/// Dead letters: when the event was dead-lettered, epoch milliseconds.
pub const DLQ_FAILED_AT: &str = "dlq-failed-at";

/// Replayed events: only this consumer group handles the copy; others skip it.
pub const REPLAY_FOR_GROUP: &str = "replay-for-group";

/// Finds a header's value in a list of `(name, value)` pairs.
pub fn find<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a [u8]> {
    headers
        .iter()
        .find(|(header, _)| header == name)
        .map(|(_, value)| value.as_slice())
}

/// Finds a header's value as text.
pub fn find_str<'a>(headers: &'a [(String, Vec<u8>)], name: &str) -> Option<&'a str> {
    find(headers, name).and_then(|value| std::str::from_utf8(value).ok())
}

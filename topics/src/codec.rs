//! Encoding is separate from sending: [`encode`] turns an [`Event`] into an [`EncodedEvent`]
//! (full topic name, key, raw Avro binary datum, headers) that can be produced now or spooled
//! in Postgres and produced later unchanged. [`decode`] reverses it with the topic's schema.
//!
//! The payload is a bare Avro binary datum: no container header, no magic byte, no schema id.
//! The schema is the topic's `.avsc`; its name and fingerprint travel in headers.
//!
//! Decoding, the consumer's hot path, reads the datum straight into the event type
//! ([`datum`]); encoding goes through apache-avro's `Value` (schema resolution included).

mod datum;
mod datum_access;
mod datum_error;
mod wire;

use apache_avro::{to_avro_datum, to_value};
use uuid::Uuid;

use crate::catalogue::{self, CompiledSchema};
use crate::config::KafkaConfig;
use crate::events::Event;
use crate::headers;

/// Why an event could not be encoded or decoded. Always permanent: retrying changes nothing.
#[derive(Debug, thiserror::Error)]
pub enum CodecError {
    /// The topic is not in the catalogue.
    #[error("topic {0} is not in the catalogue")]
    UnknownTopic(String),
    /// The topic's schema does not parse (a build defect).
    #[error("schema of {topic} does not parse: {reason}")]
    Schema {
        /// Logical topic.
        topic: String,
        /// Parser message.
        reason: String,
    },
    /// The value does not fit the schema, or the bytes are not a datum of it.
    #[error("{topic}: value does not match the schema: {reason}")]
    Mismatch {
        /// Logical topic.
        topic: String,
        /// Codec message (field names and types only, never values).
        reason: String,
    },
}

/// Per-event metadata chosen by the producer side.
#[derive(Debug, Clone)]
pub struct EventMeta {
    /// Unique id of this event; consumers use it for idempotency.
    pub event_id: Uuid,
    /// W3C trace context to propagate, if any.
    pub traceparent: Option<String>,
}

impl EventMeta {
    /// A fresh, time-ordered event id and no trace context.
    pub fn new() -> Self {
        Self {
            event_id: Uuid::now_v7(),
            traceparent: None,
        }
    }

    /// Sets the trace context.
    pub fn with_traceparent(mut self, traceparent: impl Into<String>) -> Self {
        self.traceparent = Some(traceparent.into());
        self
    }
}

impl Default for EventMeta {
    fn default() -> Self {
        Self::new()
    }
}

/// A record ready to produce (or to spool and produce later).
#[derive(Debug, Clone, PartialEq)]
pub struct EncodedEvent {
    /// Full topic name, prefix included.
    pub topic: String,
    /// Record key.
    pub key: String,
    /// Raw Avro binary datum.
    pub payload: Vec<u8>,
    /// Headers, in order.
    pub headers: Vec<(String, Vec<u8>)>,
    /// The event id (also in the `event-id` header).
    pub event_id: Uuid,
}

/// Anything that knows the topic prefix: a [`KafkaConfig`] or the prefix itself.
pub trait TopicNaming {
    /// The topic prefix.
    fn topic_prefix(&self) -> &str;
}

impl TopicNaming for KafkaConfig {
    fn topic_prefix(&self) -> &str {
        &self.topic_prefix
    }
}

impl TopicNaming for str {
    fn topic_prefix(&self) -> &str {
        self
    }
}

impl TopicNaming for String {
    fn topic_prefix(&self) -> &str {
        self
    }
}

/// The compiled schema of a logical topic.
pub(crate) fn schema_of(logical: &str) -> Result<&'static CompiledSchema, CodecError> {
    match catalogue::compiled(logical) {
        None => Err(CodecError::UnknownTopic(logical.to_owned())),
        Some(Err(reason)) => Err(CodecError::Schema {
            topic: logical.to_owned(),
            reason: reason.clone(),
        }),
        Some(Ok(compiled)) => Ok(compiled),
    }
}

/// Encodes an event for its topic under the given prefix, with the standard headers.
pub fn encode<E: Event>(
    naming: &(impl TopicNaming + ?Sized),
    event: &E,
    meta: EventMeta,
) -> Result<EncodedEvent, CodecError> {
    let compiled = schema_of(E::TOPIC)?;
    let payload = encode_value(E::TOPIC, &compiled.schema, event)?;
    let mut headers: Vec<(String, Vec<u8>)> = vec![
        (
            headers::EVENT_ID.to_owned(),
            meta.event_id.to_string().into_bytes(),
        ),
        (
            headers::EVENT_TYPE.to_owned(),
            E::EVENT_TYPE.as_bytes().to_vec(),
        ),
        (
            headers::SCHEMA_NAME.to_owned(),
            compiled.name.clone().into_bytes(),
        ),
        (
            headers::SCHEMA_FINGERPRINT.to_owned(),
            compiled.fingerprint.clone().into_bytes(),
        ),
    ];
    if let Some(traceparent) = meta.traceparent {
        headers.push((headers::TRACEPARENT.to_owned(), traceparent.into_bytes()));
    }
    let produced_at = chrono::Utc::now().timestamp_millis();
    headers.push((
        headers::PRODUCED_AT.to_owned(),
        produced_at.to_string().into_bytes(),
    ));
    Ok(EncodedEvent {
        topic: format!("{}{}", naming.topic_prefix(), E::TOPIC),
        key: event.key(),
        payload,
        headers,
        event_id: meta.event_id,
    })
}

fn encode_value<E: Event>(
    topic: &str,
    schema: &apache_avro::Schema,
    event: &E,
) -> Result<Vec<u8>, CodecError> {
    let mismatch = |reason: String| CodecError::Mismatch {
        topic: topic.to_owned(),
        reason,
    };
    let value = to_value(event).map_err(|e| mismatch(e.to_string()))?;
    // `resolve` maps serde's generic shapes onto the schema (strings to enum symbols, options to
    // unions, longs to timestamp-millis) and rejects anything that does not fit.
    let value = value.resolve(schema).map_err(|e| mismatch(e.to_string()))?;
    to_avro_datum(schema, value).map_err(|e| mismatch(e.to_string()))
}

/// Decodes a raw Avro datum of `E`'s topic schema.
pub fn decode<E: Event>(payload: &[u8]) -> Result<E, CodecError> {
    let compiled = schema_of(E::TOPIC)?;
    datum::from_datum(&compiled.schema, payload).map_err(|e| CodecError::Mismatch {
        topic: E::TOPIC.to_owned(),
        reason: e.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::events::{Channel, Currency, Money, OrderAccepted, OrderLine};

    fn order() -> OrderAccepted {
        OrderAccepted {
            order_id: "o-1".into(),
            channel: Channel::DujiaoDownstream,
            channel_order_id: "DN-7".into(),
            connection_id: "cred-3".into(),
            lines: vec![OrderLine {
                sku_id: "sku-1".into(),
                sku_code: "CARD-10".into(),
                quantity: 2,
                unit_price: Money::from_minor(1_000, Currency::CNY),
            }],
            total: Money::from_minor(2_000, Currency::CNY),
            callback_url: Some("https://down.example/cb".into()),
            customer_ref: None,
            accepted_at: 1_700_000_000_123,
        }
    }

    #[test]
    fn encodes_with_prefix_key_and_headers_and_decodes_back() {
        let meta = EventMeta::new().with_traceparent("00-abc-def-01");
        let event_id = meta.event_id;
        let encoded = encode("hubA.", &order(), meta).unwrap();
        assert_eq!(encoded.topic, "hubA.orders.accepted");
        assert_eq!(encoded.key, "DUJIAO_DOWNSTREAM:DN-7");
        assert_eq!(encoded.event_id, event_id);
        let header = |name| {
            headers::find_str(&encoded.headers, name)
                .unwrap()
                .to_owned()
        };
        assert_eq!(header(headers::EVENT_ID), event_id.to_string());
        assert_eq!(header(headers::EVENT_TYPE), "OrderAccepted");
        assert_eq!(
            header(headers::SCHEMA_NAME),
            "io.switchyard.events.OrderAccepted"
        );
        assert_eq!(header(headers::SCHEMA_FINGERPRINT).len(), 16);
        assert_eq!(header(headers::TRACEPARENT), "00-abc-def-01");
        assert!(header(headers::PRODUCED_AT).parse::<i64>().is_ok());
        assert_eq!(decode::<OrderAccepted>(&encoded.payload).unwrap(), order());
    }

    #[test]
    fn garbage_is_a_mismatch_not_a_panic() {
        let err = decode::<OrderAccepted>(&[0xff, 0xff, 0xff]).unwrap_err();
        assert!(matches!(err, CodecError::Mismatch { .. }));
        let mut payload = encode("", &order(), EventMeta::new()).unwrap().payload;
        payload.push(0);
        assert!(decode::<OrderAccepted>(&payload).is_err());
    }
}

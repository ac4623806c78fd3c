//! The wire contract against a real broker: topic provisioning, round trip of every event
//! type, and decoding with nothing but the `.avsc` file (Python fastavro).

use std::fmt::Debug;
use std::process::Command;
use std::time::{Duration, Instant};

use rdkafka::consumer::{BaseConsumer, Consumer};
use rdkafka::message::{Headers, Message};
use rdkafka::{ClientConfig, Offset, TopicPartitionList};
use switchyard_topics::admin::{create_or_verify, TopicPlan};
use switchyard_topics::events::*;
use switchyard_topics::{
    decode, encode, ensure_topics, headers, AdminError, Event, EventMeta, Producer,
};

use crate::common::test_config;

fn money(minor: i64) -> Money {
    Money::from_minor(minor, Currency::CNY)
}

fn order_accepted() -> OrderAccepted {
    OrderAccepted {
        order_id: "o-1".into(),
        channel: Channel::Dstore,
        channel_order_id: "REQ-9".into(),
        connection_id: "pos-1/store-2".into(),
        lines: vec![OrderLine {
            sku_id: "sku-1".into(),
            sku_code: "NOODLE".into(),
            quantity: 3,
            unit_price: money(1_250),
        }],
        total: money(3_750),
        callback_url: None,
        customer_ref: Some("h:5e1f".into()),
        accepted_at: 1_700_000_000_001,
    }
}

/// A record read back: payload, headers, key.
type ReadBack = (Vec<u8>, Vec<(String, Vec<u8>)>, String);

/// Reads back the record carrying `event_id` from `topic`.
fn read_back(brokers: &str, topic: &str, event_id: &str) -> ReadBack {
    let consumer: BaseConsumer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("group.id", format!("{topic}.reader"))
        .set("enable.auto.commit", "false")
        .create()
        .unwrap();
    let metadata = consumer
        .fetch_metadata(Some(topic), Duration::from_secs(10))
        .unwrap();
    let mut list = TopicPartitionList::new();
    for partition in metadata.topics()[0].partitions() {
        list.add_partition_offset(topic, partition.id(), Offset::Beginning)
            .unwrap();
    }
    consumer.assign(&list).unwrap();
    let deadline = Instant::now() + Duration::from_secs(20);
    while Instant::now() < deadline {
        let Some(message) = consumer.poll(Duration::from_millis(200)) else {
            continue;
        };
        let message = message.unwrap();
        let headers: Vec<(String, Vec<u8>)> = message
            .headers()
            .map(|hs| {
                hs.iter()
                    .map(|h| (h.key.to_owned(), h.value.unwrap_or_default().to_vec()))
                    .collect()
            })
            .unwrap_or_default();
        if headers::find_str(&headers, headers::EVENT_ID) == Some(event_id) {
            let key = String::from_utf8(message.key().unwrap().to_vec()).unwrap();
            return (message.payload().unwrap().to_vec(), headers, key);
        }
    }
    panic!("record {event_id} not found in {topic}");
}

async fn round_trip<E: Event + PartialEq + Debug>(
    producer: &Producer,
    brokers: &str,
    prefix: &str,
    event: E,
) {
    let encoded = encode(
        prefix,
        &event,
        EventMeta::new()
            .with_traceparent("00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"),
    )
    .unwrap();
    let report = producer
        .send(&encoded, Duration::from_secs(10))
        .await
        .unwrap();
    assert!(report.offset >= 0);
    let (brokers, topic, id) = (
        brokers.to_owned(),
        encoded.topic.clone(),
        encoded.event_id.to_string(),
    );
    let (payload, headers, key) =
        tokio::task::spawn_blocking(move || read_back(&brokers, &topic, &id))
            .await
            .unwrap();
    assert_eq!(key, event.key());
    assert_eq!(
        headers::find_str(&headers, headers::EVENT_TYPE),
        Some(E::EVENT_TYPE)
    );
    assert!(headers::find_str(&headers, headers::TRACEPARENT).is_some());
    assert_eq!(decode::<E>(&payload).unwrap(), event, "{}", E::TOPIC);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_event_type_survives_a_trip_through_the_broker() {
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    // A second run finds everything in place and changes nothing.
    ensure_topics(&config).await.unwrap();
    let producer = Producer::new(&config).unwrap();
    assert!(producer.broker_reachable(Duration::from_secs(5)).await);
    let (p, b) = (&config.topic_prefix, config.brokers.as_str());
    round_trip(&producer, b, p, order_accepted()).await;
    round_trip(
        &producer,
        b,
        p,
        OrderStatusChanged {
            order_id: "o-1".into(),
            channel: Channel::Daojia,
            channel_order_id: "58-1".into(),
            status: OrderStatus::PartiallyRefunded,
            previous_status: Some(OrderStatus::Delivered),
            source: StatusSource::Operator,
            reason: Some("partial_refund".into()),
            refunded_amount: Some(money(100)),
            delivered_at: Some(1_700_000_000_500),
            changed_at: 1_700_000_000_900,
        },
    )
    .await;
    round_trip(
        &producer,
        b,
        p,
        ChannelOrderUpdate {
            channel: Channel::Dstore,
            channel_order_id: "REQ-9".into(),
            order_id: None,
            kind: ChannelUpdateKind::CancelRequested,
            channel_status: Some("CANCELLED".into()),
            refund_amount: None,
            reason: None,
            channel_request_id: Some("push-1".into()),
            received_at: 1,
        },
    )
    .await;
    round_trip(
        &producer,
        b,
        p,
        ProcurementRequested {
            procurement_id: "p-1".into(),
            order_id: "o-1".into(),
            channel: Channel::DujiaoDownstream,
            channel_order_id: "DN-1".into(),
            fulfiller: Fulfiller::Vending,
            connection_id: "vm-acct".into(),
            lines: vec![ProcurementLine {
                sku_id: "sku-1".into(),
                upstream_sku_ref: "60".into(),
                quantity: 1,
                unit_price: money(500),
            }],
            amount: money(500),
            requested_at: 2,
        },
    )
    .await;
    round_trip(
        &producer,
        b,
        p,
        ProcurementResult {
            procurement_id: "p-1".into(),
            order_id: "o-1".into(),
            channel: Channel::DujiaoDownstream,
            channel_order_id: "DN-1".into(),
            fulfiller: Fulfiller::DujiaoUpstream,
            connection_id: "site-b".into(),
            outcome: ProcurementOutcome::Rejected,
            upstream_order_id: Some("77".into()),
            upstream_status: Some("canceled".into()),
            amount: None,
            error_code: Some("insufficient_balance".into()),
            retryable: false,
            attempt: 1,
            decided_at: 3,
        },
    )
    .await;
    round_trip(
        &producer,
        b,
        p,
        UpstreamCallbackReceived {
            connection_id: "site-b".into(),
            downstream_order_no: "p-1".into(),
            upstream_order_id: "77".into(),
            upstream_order_no: "B-77".into(),
            callback_event: UpstreamCallbackEvent::OrderFulfilled,
            status: "delivered".into(),
            fulfillment_type: Some("auto".into()),
            delivered_at: Some(4),
            upstream_timestamp: 1_700_000_000_000,
            received_at: 5,
        },
    )
    .await;
    round_trip(
        &producer,
        b,
        p,
        VendingDispenseResult {
            machine_no: "12345678".into(),
            vending_order_id: "60".into(),
            record_id: "r-1".into(),
            reported_delivered: false,
            floor_status: "2".into(),
            error_message: Some("jammed".into()),
            received_at: 6,
            procurement_id: Some("7f0c4a52-94c1-4a7e-9d0b-3f1f3f6b2a10".into()),
        },
    )
    .await;
    round_trip(
        &producer,
        b,
        p,
        StockChanged {
            sku_id: "sku-1".into(),
            sku_code: "NOODLE".into(),
            source: StockSource::Wdt,
            connection_id: Some("shop-1".into()),
            quantity: None,
            stock_status: StockStatus::Unlimited,
            is_active: true,
            price: Some(money(1_300)),
            reason: StockChangeReason::Sync,
            observed_at: 7,
        },
    )
    .await;
    round_trip(
        &producer,
        b,
        p,
        ReconciliationDiscrepancy {
            run_id: "run-1".into(),
            connection_id: "site-b".into(),
            procurement_id: "p-1".into(),
            upstream_order_id: None,
            check_type: ReconciliationCheck::Full,
            kind: DiscrepancyKind::MissingUpstream,
            local_status: Some("accepted".into()),
            upstream_status: None,
            local_amount: Some(money(500)),
            upstream_amount: None,
            period_start: 0,
            period_end: 86_400_000,
            detected_at: 8,
        },
    )
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_existing_topic_with_another_partition_count_is_reported() {
    let config = test_config();
    let name = config.topic_name("mismatch");
    let plan = |partitions| {
        vec![TopicPlan {
            name: name.clone(),
            partitions,
            retention_ms: 60_000,
        }]
    };
    create_or_verify(&config, &plan(2)).await.unwrap();
    let error = create_or_verify(&config, &plan(4)).await.unwrap_err();
    assert!(
        matches!(
            error,
            AdminError::PartitionMismatch {
                actual: 2,
                expected: 4,
                ..
            }
        ),
        "{error}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn python_fastavro_decodes_a_produced_value_with_only_the_avsc() {
    let probe = Command::new("python3")
        .args(["-c", "import fastavro"])
        .output();
    match probe {
        Ok(output) if output.status.success() => {}
        _ => panic!(
            "python3 with fastavro is required for this test: run `python3 -m pip install fastavro`"
        ),
    }
    let config = test_config();
    ensure_topics(&config).await.unwrap();
    let producer = Producer::new(&config).unwrap();
    let encoded = encode(&config, &order_accepted(), EventMeta::new()).unwrap();
    producer
        .send(&encoded, Duration::from_secs(10))
        .await
        .unwrap();
    let (brokers, topic, id) = (
        config.brokers.clone(),
        encoded.topic.clone(),
        encoded.event_id.to_string(),
    );
    let (payload, _, _) = tokio::task::spawn_blocking(move || read_back(&brokers, &topic, &id))
        .await
        .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let datum = dir.path().join("value.bin");
    std::fs::write(&datum, &payload).unwrap();
    let root = env!("CARGO_MANIFEST_DIR");
    let output = Command::new("python3")
        .arg(format!("{root}/tests/decode_with_avsc.py"))
        .arg(format!("{root}/../avro/orders.accepted.avsc"))
        .arg(&datum)
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let decoded: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    assert_eq!(decoded["order_id"], "o-1");
    assert_eq!(decoded["channel"], "DSTORE");
    assert_eq!(decoded["lines"][0]["unit_price"]["amount_minor"], 1_250);
    assert_eq!(decoded["total"]["currency"], "CNY");
    assert_eq!(decoded["callback_url"], serde_json::Value::Null);
    assert_eq!(decoded["accepted_at_ms"], 1_700_000_000_001_i64);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stopped_broker_is_reported_as_transient_and_sqlite_storage_survives_a_restart() {
    use switchyard_testkit::broker::{Storage, TansuBroker};
    let mut broker = TansuBroker::spawn(Storage::Sqlite).unwrap();
    let config = switchyard_topics::KafkaConfig {
        brokers: broker.bootstrap().to_owned(),
        delivery_timeout_ms: 2_000,
        ..test_config()
    };
    ensure_topics(&config).await.unwrap();
    let producer = Producer::new(&config).unwrap();
    let before = encode(&config, &order_accepted(), EventMeta::new()).unwrap();
    producer
        .send(&before, Duration::from_secs(10))
        .await
        .unwrap();

    broker.stop();
    assert!(!producer.broker_reachable(Duration::from_secs(1)).await);
    let during = encode(&config, &order_accepted(), EventMeta::new()).unwrap();
    let error = producer
        .send(&during, Duration::from_secs(3))
        .await
        .unwrap_err();
    assert!(error.is_transient(), "{error}");

    broker.restart().unwrap();
    let (brokers, topic, id) = (
        config.brokers.clone(),
        before.topic.clone(),
        before.event_id.to_string(),
    );
    let (payload, _, _) = tokio::task::spawn_blocking(move || read_back(&brokers, &topic, &id))
        .await
        .unwrap();
    assert_eq!(decode::<OrderAccepted>(&payload).unwrap(), order_accepted());
}

/// Symbols of `orders.status-changed` that no status maps to: never produced, kept only because
/// the schema may not drop a symbol that committed versions had (`schemas.rs`).
const RETIRED_STATUS_SYMBOLS: [&str; 3] = ["PROCURED", "FULFILLING", "EXPIRED"];

#[test]
fn the_status_enum_in_avro_is_the_domain_order_status() {
    let spec = switchyard_topics::catalogue::ALL
        .iter()
        .find(|spec| spec.name == OrderStatusChanged::TOPIC)
        .unwrap();
    let schema: serde_json::Value = serde_json::from_str(spec.schema).unwrap();
    let status = schema["fields"]
        .as_array()
        .unwrap()
        .iter()
        .find(|field| field["name"] == "status")
        .unwrap();
    let mut in_avro: Vec<&str> = status["type"]["symbols"]
        .as_array()
        .unwrap()
        .iter()
        .map(|symbol| symbol.as_str().unwrap())
        .collect();
    let mut expected: Vec<&str> = OrderStatus::ALL.iter().map(|s| s.symbol()).collect();
    expected.extend(RETIRED_STATUS_SYMBOLS);
    in_avro.sort_unstable();
    expected.sort_unstable();
    assert_eq!(in_avro, expected);

    for status in OrderStatus::ALL {
        let event = OrderStatusChanged {
            order_id: "o-1".into(),
            channel: Channel::Dstore,
            channel_order_id: "REQ-1".into(),
            status: *status,
            previous_status: Some(*status),
            source: StatusSource::Procurer,
            reason: None,
            refunded_amount: None,
            delivered_at: None,
            changed_at: 1,
        };
        let encoded = encode("t", &event, EventMeta::new()).unwrap();
        assert_eq!(
            decode::<OrderStatusChanged>(&encoded.payload).unwrap(),
            event
        );
    }
}

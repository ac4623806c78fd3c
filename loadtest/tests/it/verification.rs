//! Topic verification against a real broker: events produced as the ingress would (key
//! `{scope}:{partner id}`, `event-id` header), including a redelivered copy and a lost event.

use std::collections::BTreeMap;
use std::time::Duration;

use rdkafka::admin::{AdminClient, AdminOptions, NewTopic, TopicReplication};
use rdkafka::client::DefaultClientContext;
use rdkafka::message::{Header, OwnedHeaders};
use rdkafka::producer::{FutureProducer, FutureRecord};
use rdkafka::ClientConfig;
use switchyard_loadtest::verify::{verify_topics, KafkaSource};
use switchyard_testkit::broker::{shared_broker, unique_prefix};

async fn create_topic(brokers: &str, topic: &str) {
    let admin: AdminClient<DefaultClientContext> = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .create()
        .expect("admin client");
    let results = admin
        .create_topics(
            &[NewTopic::new(topic, 2, TopicReplication::Fixed(1))],
            &AdminOptions::new(),
        )
        .await
        .expect("create topics");
    for result in results {
        result.expect("topic created");
    }
}

async fn produce(brokers: &str, topic: &str, records: &[(&str, &str)]) {
    let producer: FutureProducer = ClientConfig::new()
        .set("bootstrap.servers", brokers)
        .set("message.timeout.ms", "10000")
        .create()
        .expect("producer");
    for (key, event_id) in records {
        let headers = OwnedHeaders::new().insert(Header {
            key: "event-id",
            value: Some(*event_id),
        });
        producer
            .send(
                FutureRecord::to(topic)
                    .key(*key)
                    .payload("{}")
                    .headers(headers),
                Duration::from_secs(10),
            )
            .await
            .map_err(|(error, _)| error)
            .expect("produced");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lost_and_doubled_events_are_found_and_clean_topics_pass() {
    let brokers = shared_broker().expect("a test broker");
    let prefix = unique_prefix();
    let orders = format!("{prefix}orders.accepted");
    let callbacks = format!("{prefix}upstream.callbacks");
    create_topic(&brokers, &orders).await;
    create_topic(&brokers, &callbacks).await;
    produce(
        &brokers,
        &orders,
        &[
            ("dujiao:A1", "e1"),
            ("dstore:A2", "e2"),
            ("dstore:A2", "e2"),
            ("daojia:A3", "e3"),
            ("someone-else:Z", "e9"),
        ],
    )
    .await;
    produce(
        &brokers,
        &callbacks,
        &[("conn-1:C1", "c1"), ("conn-1:C2", "c2")],
    )
    .await;

    let acked = BTreeMap::from([
        (
            orders.clone(),
            ["A1", "A2", "A3", "A4"].map(String::from).to_vec(),
        ),
        (callbacks.clone(), ["C1", "C2"].map(String::from).to_vec()),
    ]);
    let source = KafkaSource {
        brokers: brokers.clone(),
        topic_prefix: prefix.clone(),
    };
    let report = verify_topics(&source, acked, Duration::from_secs(3)).await;
    assert!(!report.passed);
    let topic = |name: &str| {
        report
            .topics
            .iter()
            .find(|t| t.topic == name)
            .expect("topic in report")
    };
    let orders_verdict = topic(&orders);
    assert_eq!(orders_verdict.records_read, 5);
    assert_eq!(orders_verdict.exactly_once, 2, "A1 and A3");
    assert_eq!(orders_verdict.repeated_event_ids, 1, "A2 delivered twice");
    assert_eq!(orders_verdict.missing, 1);
    assert_eq!(orders_verdict.missing_examples, vec!["A4"]);
    assert_eq!(orders_verdict.unrelated_records, 1);
    assert!(topic(&callbacks).passed());
    assert!(report.render().contains("FAILED"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_topic_that_does_not_exist_fails_with_its_reason() {
    let brokers = shared_broker().expect("a test broker");
    let prefix = unique_prefix();
    let missing = format!("{prefix}vending.dispense-results");
    let source = KafkaSource {
        brokers,
        topic_prefix: prefix,
    };
    let acked = BTreeMap::from([(missing, vec!["V1".to_string()])]);
    let report = verify_topics(&source, acked, Duration::ZERO).await;
    assert!(!report.passed);
    assert!(report.topics[0].read_error.is_some());
    assert_eq!(report.topics[0].missing, 1);
}

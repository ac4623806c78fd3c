//! Kafka topic catalogue, Avro codec, producer and the at-least-once consumer runner.

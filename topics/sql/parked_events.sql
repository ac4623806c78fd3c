-- Durable retry schedule of the consumer runner (switchyard-topics, runner::parking).
-- One row per event a consumer group parked: the head of a key (due_at set) is retried when
-- due; later events of the same key wait behind it (due_at null) in id order.
create table if not exists parked_events (
    id              bigserial primary key,
    consumer_group  text not null,
    topic           text not null,
    partition       integer not null,
    kafka_offset    bigint not null,
    event_key       text not null,
    payload         bytea,
    header_names    text[] not null,
    header_values   bytea[] not null,
    attempt         integer not null,
    due_at          timestamptz,
    last_error      text,
    parked_at       timestamptz not null default now(),
    unique (consumer_group, topic, partition, kafka_offset)
);
create index if not exists parked_events_due_idx
    on parked_events (consumer_group, due_at) where due_at is not null;
create index if not exists parked_events_key_idx
    on parked_events (consumer_group, topic, event_key, id);

-- The consumer runner's durable retry schedule (switchyard-topics runner::parking). The runner
-- also applies this file itself (`PARKED_EVENTS_DDL`), so every statement is idempotent.

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
comment on table parked_events is
    'Events a consumer group parked after a transient failure: the head of each key is retried when due; later events of the key wait behind it.';

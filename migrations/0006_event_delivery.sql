-- Event plumbing: consumer dedupe, the ingress spool, and stored answers for repeated pushes.

-- Exact DDL relied on by the topics crate's consumer runner.
create table processed_events (
    consumer_group text not null,
    event_id uuid not null,
    topic text not null,
    processed_at timestamptz not null default now(),
    primary key (consumer_group, event_id)
);
comment on table processed_events is
    'Consumer dedupe: a consumer group records an event id in the same transaction as its effect, so a redelivery changes nothing.';

create table ingress_spool (
    id            bigserial primary key,
    event_id      uuid not null unique,
    topic         text not null,
    key           bytea,
    payload       bytea not null,
    headers       jsonb not null default '{}'::jsonb check (jsonb_typeof(headers) = 'object'),
    created_at    timestamptz not null default now(),
    published_at  timestamptz
);
comment on table ingress_spool is
    'Events the ingress acknowledged while the broker could not confirm them. The drainer publishes them in id order and sets published_at. headers maps header name to its string value (event-id, traceparent, ...).';
create index ingress_spool_unpublished_idx on ingress_spool (id) where published_at is null;

create table ingress_dedupe (
    channel          text not null,
    dedupe_key       text not null,
    event_id         uuid not null,
    response_status  integer check (response_status between 100 and 599),
    response_body    bytea,
    created_at       timestamptz not null default now(),
    answered_at      timestamptz,
    primary key (channel, dedupe_key),
    constraint ingress_dedupe_answer_complete check ((response_status is null) = (response_body is null))
);
comment on table ingress_dedupe is
    'Repeated pushes (D-Store requestOrderId, 58 orderId, ...): the first push claims the key with its event id; the stored answer is replayed to repeats, which produce no second event. A claim without an answer means the first push is still in flight.';
create index ingress_dedupe_created_idx on ingress_dedupe (created_at);

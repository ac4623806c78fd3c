-- Events the broker refuses for good (too large for the topic, unknown topic, ...) leave the
-- drain queue instead of being retried every round: the row stays, with when and why, for an
-- operator (or `switchyard replay`-style tooling) to deal with.

alter table event_outbox
    add column refused_at timestamptz,
    add column refusal text,
    add constraint event_outbox_refusal_complete check ((refused_at is null) = (refusal is null));

comment on column event_outbox.refused_at is
    'When the broker refused this event for good; such an event is no longer drained.';
comment on column event_outbox.refusal is 'Why the broker refused it (no payload data).';

drop index event_outbox_unpublished_idx;
create index event_outbox_unpublished_idx on event_outbox (id)
    where published_at is null and refused_at is null;

-- Where a push's event went: the partition and offset the broker confirmed it at, stored with
-- the answer (no extra round trip). Null for an event acknowledged through the spool (its
-- outbox row says when it was published) and for claims answered before this migration.

alter table ingress_dedupe
    add column event_partition integer,
    add column event_offset bigint,
    add constraint ingress_dedupe_position_complete
        check ((event_partition is null) = (event_offset is null));

comment on column ingress_dedupe.event_partition is
    'Partition the broker confirmed the event at (null: acknowledged through the spool).';
comment on column ingress_dedupe.event_offset is
    'Offset the broker confirmed the event at, so an operator can find the record.';

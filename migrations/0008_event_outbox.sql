-- One transactional outbox for every event we owe the broker: the ingress's spool (events it
-- acknowledged while the broker could not confirm them) and the workers' events (status changes,
-- procurement events), each written in the transaction of the change it announces. A drainer
-- (switchyard-topics `outbox`) publishes them in id order and sets published_at.

alter table ingress_spool rename to event_outbox;
alter sequence ingress_spool_id_seq rename to event_outbox_id_seq;
alter index ingress_spool_pkey rename to event_outbox_pkey;
alter index ingress_spool_event_id_key rename to event_outbox_event_id_key;
alter index ingress_spool_unpublished_idx rename to event_outbox_unpublished_idx;
alter table event_outbox rename constraint ingress_spool_headers_check to event_outbox_headers_check;

comment on table event_outbox is
    'Events owed to the broker, each written in the transaction of the change it announces (the ingress spools here when the broker cannot confirm within its ack budget). One drainer at a time (advisory lock) publishes them in id order and sets published_at; writers of one key serialise on that key''s row lock, so id order is commit order per key. headers maps header name to its string value (event-id, traceparent, ...).';

-- The old name, read-only, for tools written before this migration.
create view ingress_spool as select * from event_outbox;
comment on view ingress_spool is 'Former name of event_outbox (read-only view).';

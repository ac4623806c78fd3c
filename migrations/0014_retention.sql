-- Retention (the expiry-sweeper's purge, store/src/retention.rs): each purged table's age column
-- is indexed so a batch finds its oldest rows without scanning the table, and the procurement
-- attempt log, append-only for everyone else, lets the purge delete the attempts of sub-orders
-- that ended long ago.

create index processed_events_processed_at_idx on processed_events (processed_at);
create index event_outbox_published_at_idx on event_outbox (published_at)
    where published_at is not null;
create index procurement_attempts_attempted_at_idx on procurement_attempts (attempted_at);

create function forbid_row_change_except_retention() returns trigger language plpgsql as $$
begin
    if tg_op = 'DELETE' and current_setting('switchyard.retention_purge', true) = 'on' then
        return old;
    end if;
    raise exception 'table % is append-only', tg_table_name using errcode = 'restrict_violation';
end;
$$;
comment on function forbid_row_change_except_retention() is
    'Append-only guard that lets through deletes of a transaction which set switchyard.retention_purge (the retention purge only).';

drop trigger procurement_attempts_append_only on procurement_attempts;
create trigger procurement_attempts_append_only before update or delete on procurement_attempts
    for each row execute function forbid_row_change_except_retention();

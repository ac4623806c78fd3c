-- The reconciler (workers/src/reconciler/): runs are requested (operator API, CLI, the daily job),
-- executed by one replica at a time as a scheduled task, and resumed from their cursor after a
-- crash. A run is idempotent per (connection, period, type): asking again returns the same run.
-- Items are unique per run and procurement (or per run and upstream order when we have no
-- procurement), so a resumed run never records a discrepancy twice.

alter table reconciliation_runs drop constraint reconciliation_runs_status_check;
alter table reconciliation_runs add constraint reconciliation_runs_status_check
    check (status in ('pending', 'running', 'completed', 'failed'));
alter table reconciliation_runs alter column status set default 'pending';
alter table reconciliation_runs
    add column requested_by          text not null default 'operator'
        check (requested_by in ('operator', 'daily')),
    add column total_count           integer not null default 0 check (total_count >= 0),
    add column skipped_count         integer not null default 0 check (skipped_count >= 0),
    add column remote_listed_count   integer not null default 0 check (remote_listed_count >= 0),
    add column phase                 text not null default 'local'
        check (phase in ('local', 'remote', 'done')),
    add column cursor_procurement_id uuid,
    add column cursor_remote_page    integer not null default 0 check (cursor_remote_page >= 0),
    add column note                  text,
    add column updated_at            timestamptz not null default now(),
    add constraint reconciliation_runs_once unique (connection_id, period_start, period_end, run_type);
comment on column reconciliation_runs.phase is
    'local: our procurements in the period, one by one after cursor_procurement_id; remote: the partner''s order list, page after cursor_remote_page (missing_local); done.';
comment on column reconciliation_runs.note is
    'What the run could not check and why (e.g. a partner without an order query or list); never secrets.';
comment on column reconciliation_runs.started_at is 'When the run was requested.';
create trigger reconciliation_runs_touch before update on reconciliation_runs
    for each row execute function touch_updated_at();

alter table reconciliation_items drop constraint reconciliation_items_mismatch_kind_check;
alter table reconciliation_items add constraint reconciliation_items_mismatch_kind_check
    check (mismatch_kind in ('status', 'amount', 'both', 'missing_upstream', 'missing_local'));
alter table reconciliation_items
    add column upstream_order_id text,
    add column local_currency    char(3),
    add column remote_currency   char(3),
    add column resolved_by       text,
    add column resolution_note   text,
    add constraint reconciliation_items_names_an_order
        check (procurement_order_id is not null or upstream_order_id is not null),
    add constraint reconciliation_items_resolution
        check ((resolved_at is null) = (resolution_note is null));
comment on column reconciliation_items.resolution_note is 'Why an operator closed the discrepancy.';
create unique index reconciliation_items_local_once
    on reconciliation_items (run_id, procurement_order_id) where procurement_order_id is not null;
create unique index reconciliation_items_remote_once
    on reconciliation_items (run_id, upstream_order_id) where procurement_order_id is null;
create index reconciliation_items_open_idx on reconciliation_items (created_at) where resolved_at is null;

-- Reconciliation of local procurement records against an upstream's, by period.

create table reconciliation_runs (
    id              bigserial primary key,
    connection_id   bigint not null references partner_connections (id),
    period_start    timestamptz not null,
    period_end      timestamptz not null,
    run_type        text not null check (run_type in ('status', 'amount', 'full')),
    status          text not null default 'running' check (status in ('running', 'completed', 'failed')),
    checked_count   integer not null default 0 check (checked_count >= 0),
    matched_count   integer not null default 0 check (matched_count >= 0),
    mismatch_count  integer not null default 0 check (mismatch_count >= 0),
    error           text,
    started_at      timestamptz not null default now(),
    finished_at     timestamptz,
    constraint reconciliation_runs_period check (period_end > period_start)
);
comment on table reconciliation_runs is 'One comparison of our procurement records with an upstream''s for a period.';
create index reconciliation_runs_connection_idx on reconciliation_runs (connection_id, started_at);

create table reconciliation_items (
    id                    bigserial primary key,
    run_id                bigint not null references reconciliation_runs (id) on delete cascade,
    procurement_order_id  uuid references procurement_orders (id),
    upstream_order_no     text,
    mismatch_kind         text not null check (mismatch_kind in ('status', 'amount', 'both')),
    local_status          text,
    remote_status         text,
    local_amount_minor    bigint,
    remote_amount_minor   bigint,
    resolved_at           timestamptz,
    created_at            timestamptz not null default now()
);
comment on table reconciliation_items is 'A discrepancy found by a run: local vs remote status and/or amount.';
create index reconciliation_items_run_idx on reconciliation_items (run_id);

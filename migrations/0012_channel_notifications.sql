-- What the status-syncer told each order's sales channel (workers/src/status_syncer/): one row per
-- partner status per order, with the idempotency key sent and the partner's last answer. Operators
-- read it through GET /admin/v1/orders/{id}/notifications.

create table channel_notifications (
    id              bigserial   primary key,
    order_id        uuid        not null references orders (id),
    connection_id   bigint      not null references partner_connections (id),
    channel         text        not null check (channel in ('dstore', 'daojia')),
    -- the partner's word or code for the status (ACCEPTED, 50, …)
    partner_status  text        not null,
    -- the key a retry repeats (D-Store requestId); 58 updates are idempotent per status
    request_id      text        not null,
    outcome         text        not null check (outcome in ('sent', 'refused', 'retrying')),
    answer_code     text,
    answer_message  text,
    attempts        integer     not null default 1,
    created_at      timestamptz not null default now(),
    updated_at      timestamptz not null default now(),
    unique (order_id, partner_status)
);
create index channel_notifications_order_idx on channel_notifications (order_id, id);
comment on table channel_notifications is
    'Status notifications sent to sales channels (D-Store notifyOrderChange, 58 updateOrderDetail) and their answers.';

-- Procurement: sub-orders placed with (outbound) or received from (inbound) other sites, their
-- attempts, and the callbacks we relay to downstream sites.

create table procurement_orders (
    id                 uuid primary key,
    order_id           uuid not null references orders (id),
    source_type        text not null check (source_type in ('inbound', 'outbound')),
    fulfiller          text check (fulfiller in ('local_stock', 'dujiao_upstream', 'vending', 'wdt_erp')),
    connection_id      bigint references partner_connections (id),
    credential_id      bigint references api_credentials (id),
    status             text not null default 'pending' check (status in (
                           'pending', 'submitted', 'accepted', 'rejected', 'failed', 'fulfilled',
                           'completed', 'partially_refunded', 'refunded', 'canceled')),
    idempotency_key    text not null check (length(idempotency_key) between 1 and 200),
    upstream_order_id  text,
    upstream_order_no  text,
    amount_minor       bigint not null default 0 check (amount_minor >= 0),
    currency           char(3) not null check (currency ~ '^[A-Z]{3}$'),
    attempts           integer not null default 0 check (attempts >= 0),
    next_attempt_at    timestamptz,
    last_error_code    text,
    last_error         text,
    delivery_content   jsonb,
    delivered_at       timestamptz,
    created_at         timestamptz not null default now(),
    updated_at         timestamptz not null default now(),
    constraint procurement_orders_idempotency unique nulls not distinct (connection_id, idempotency_key),
    constraint procurement_orders_outbound_has_fulfiller
        check (source_type <> 'outbound' or fulfiller is not null),
    constraint procurement_orders_remote_has_connection
        check (source_type <> 'outbound' or fulfiller = 'local_stock' or connection_id is not null)
);
comment on table procurement_orders is
    'One row per fulfiller of an order (a mixed cart splits into several). outbound = we buy from a partner, inbound = a downstream site buys from us. idempotency_key is what the partner dedupes on (Dujiao downstream_order_no, vending trade_id, WDT tid) and is unique per connection. A failed row is an exception for an operator, never auto-cancelled or refunded.';
comment on column procurement_orders.next_attempt_at is 'When a transient failure is retried next; null when nothing is scheduled.';
comment on column procurement_orders.last_error is 'Partner error message; must not contain secrets or personal data.';
create index procurement_orders_order_idx on procurement_orders (order_id);
create index procurement_orders_due_idx on procurement_orders (next_attempt_at)
    where next_attempt_at is not null;
create index procurement_orders_status_created_idx on procurement_orders (status, created_at);
create index procurement_orders_connection_created_idx on procurement_orders (connection_id, created_at);
create index procurement_orders_upstream_idx on procurement_orders (connection_id, upstream_order_id);
create trigger procurement_orders_touch before update on procurement_orders
    for each row execute function touch_updated_at();

create table procurement_order_items (
    procurement_order_id  uuid not null references procurement_orders (id) on delete cascade,
    order_item_id         bigint not null references order_items (id),
    quantity              integer not null check (quantity > 0),
    primary key (procurement_order_id, order_item_id)
);
comment on table procurement_order_items is 'Which order lines a procurement order covers.';
create index procurement_order_items_item_idx on procurement_order_items (order_item_id);

create table procurement_attempts (
    id                    bigserial primary key,
    procurement_order_id  uuid not null references procurement_orders (id) on delete cascade,
    attempt_no            integer not null check (attempt_no >= 1),
    attempted_at          timestamptz not null default now(),
    outcome               text not null check (outcome in ('succeeded', 'transient_failure', 'permanent_failure')),
    error_code            text,
    error                 text,
    http_status           integer check (http_status between 100 and 599),
    constraint procurement_attempts_number_unique unique (procurement_order_id, attempt_no)
);
comment on table procurement_attempts is 'Append-only log of every call made to place a procurement order (what an operator sees).';
create trigger procurement_attempts_append_only before update or delete on procurement_attempts
    for each row execute function forbid_row_change();

create table callback_deliveries (
    id                    bigserial primary key,
    order_id              uuid not null references orders (id),
    credential_id         bigint not null references api_credentials (id),
    event_id              uuid unique,
    url                   text not null check (url ~ '^https?://'),
    body                  text not null,
    status                text not null default 'pending' check (status in ('pending', 'delivered', 'failed')),
    attempts              integer not null default 0 check (attempts >= 0),
    next_attempt_at       timestamptz default now(),
    last_error            text,
    last_http_status      integer check (last_http_status between 100 and 599),
    delivered_at          timestamptz,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now()
);
comment on table callback_deliveries is
    'Callbacks relayed one level down to downstream Dujiao-Next sites, signed with that site''s credential; body is kept byte-exact because it is what is signed. Delivered only on HTTP 200 + ok:true. event_id is the event that caused it, so a redelivered event queues nothing new.';
create index callback_deliveries_due_idx on callback_deliveries (next_attempt_at)
    where status = 'pending';
create index callback_deliveries_order_idx on callback_deliveries (order_id);
create trigger callback_deliveries_touch before update on callback_deliveries
    for each row execute function touch_updated_at();

-- Orders taken from sales channels, their lines, the personal data a protocol forces us to keep,
-- stock reservations, and the Dujiao-Next provider idempotency records.

create sequence order_no_seq;

create table orders (
    id                    uuid primary key,
    order_no              text not null unique
                          default ('SY' || lpad(nextval('order_no_seq')::text, 12, '0')),
    channel               text not null
                          check (channel in ('dujiao_downstream', 'dstore', 'daojia', 'operator')),
    channel_order_id      text not null check (length(channel_order_id) between 1 and 200),
    source_credential_id  bigint references api_credentials (id),
    source_connection_id  bigint references partner_connections (id),
    status                text not null default 'accepted' check (status in (
                              'accepted', 'procuring', 'partially_delivered', 'delivered', 'completed',
                              'canceled', 'refunded', 'partially_refunded', 'failed', 'rejected')),
    total_minor           bigint not null check (total_minor >= 0),
    refunded_minor        bigint not null default 0 check (refunded_minor >= 0 and refunded_minor <= total_minor),
    currency              char(3) not null check (currency ~ '^[A-Z]{3}$'),
    callback_url          text check (callback_url ~ '^https?://'),
    trace_id              text,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    constraint orders_channel_order_unique unique (channel, channel_order_id),
    constraint orders_dujiao_has_credential
        check (channel <> 'dujiao_downstream' or source_credential_id is not null)
);
comment on table orders is
    'Orders accepted from a sales channel. (channel, channel_order_id) is the channel''s idempotency key: a repeated push finds the existing order. For dujiao_downstream the channel_order_id is "<credential id>/<downstream_order_no>" because downstream_order_no is only unique per credential.';
comment on column orders.callback_url is 'Where status callbacks are relayed for orders from a downstream Dujiao-Next site.';
create index orders_status_updated_idx on orders (status, updated_at);
create index orders_source_credential_idx on orders (source_credential_id, created_at);
create index orders_created_idx on orders (created_at);
create trigger orders_touch before update on orders
    for each row execute function touch_updated_at();

create table order_items (
    id                bigserial primary key,
    order_id          uuid not null references orders (id) on delete cascade,
    line_no           integer not null check (line_no >= 1),
    sku_id            bigint references skus (id),
    channel_item_id   text,
    title             text,
    quantity          integer not null check (quantity > 0),
    unit_price_minor  bigint not null check (unit_price_minor >= 0),
    manual_form_data  jsonb,
    created_at        timestamptz not null default now(),
    constraint order_items_line_unique unique (order_id, line_no)
);
comment on table order_items is 'Order lines. sku_id is the local SKU the channel item resolved to (null when the channel sent an item we do not map).';
create index order_items_sku_idx on order_items (sku_id);

create table order_contacts (
    order_id         uuid primary key references orders (id) on delete cascade,
    contact_phone    text,
    service_address  text,
    details          jsonb,
    created_at       timestamptz not null default now()
);
comment on table order_contacts is
    'PERSONAL DATA (58 Daojia userMobile / serviceAddress, D-Store customer). Kept apart from orders so that it is read only where a protocol needs it. NEVER logged, never put in errors, metrics or events.';

create table stock_reservations (
    order_id     uuid not null references orders (id) on delete cascade,
    sku_id       bigint not null references skus (id),
    quantity     integer not null check (quantity > 0),
    status       text not null default 'reserved' check (status in ('reserved', 'released', 'consumed')),
    created_at   timestamptz not null default now(),
    updated_at   timestamptz not null default now(),
    primary key (order_id, sku_id)
);
comment on table stock_reservations is
    'Stock taken from skus.stock_quantity for an order; makes reserve and release idempotent (a release only returns stock that is still reserved).';
create trigger stock_reservations_touch before update on stock_reservations
    for each row execute function touch_updated_at();

create table provider_order_requests (
    credential_id        bigint not null references api_credentials (id),
    downstream_order_no  text not null check (length(downstream_order_no) between 1 and 200),
    order_id             uuid not null unique references orders (id),
    created_at           timestamptz not null default now(),
    primary key (credential_id, downstream_order_no)
);
comment on table provider_order_requests is
    'Idempotency of the Dujiao-Next provider POST /orders: (credential, downstream_order_no) → our order. Written in the same transaction as the wallet debit, so a repeat returns the existing order and never debits twice.';

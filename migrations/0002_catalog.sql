-- Catalog: categories, products, SKUs with stock, stock reservations, and product mappings
-- (which fulfiller delivers a local SKU).

create table categories (
    id          bigserial primary key,
    parent_id   bigint references categories (id),
    slug        text not null unique check (length(slug) between 1 and 200),
    name        jsonb not null default '{}'::jsonb check (jsonb_typeof(name) = 'object'),
    icon        text,
    sort_order  integer not null default 0,
    created_at  timestamptz not null default now(),
    updated_at  timestamptz not null default now()
);
comment on table categories is 'Product categories served by the Dujiao-Next provider API; name is a locale → text map.';
create trigger categories_touch before update on categories
    for each row execute function touch_updated_at();

create table products (
    id                bigserial primary key,
    category_id       bigint references categories (id),
    slug              text not null unique check (length(slug) between 1 and 200),
    title             jsonb not null default '{}'::jsonb check (jsonb_typeof(title) = 'object'),
    description       jsonb not null default '{}'::jsonb check (jsonb_typeof(description) = 'object'),
    images            text[] not null default '{}',
    fulfillment_type  text not null default 'auto' check (fulfillment_type in ('auto', 'manual')),
    is_active         boolean not null default true,
    deleted_at        timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now()
);
comment on table products is
    'Sellable products. updated_at also moves when one of the product''s SKUs changes, so `updated_after` catalog pulls see stock and price changes. Deleted products are kept (deleted_at) and answer 404.';
create index products_updated_at_idx on products (updated_at, id);
create index products_category_idx on products (category_id);
create trigger products_touch before update on products
    for each row execute function touch_updated_at();

create table skus (
    id                   bigserial primary key,
    product_id           bigint not null references products (id),
    sku_code             text not null check (length(sku_code) between 1 and 200),
    spec_values          jsonb not null default '{}'::jsonb check (jsonb_typeof(spec_values) = 'object'),
    price_minor          bigint not null check (price_minor >= 0),
    currency             char(3) not null check (currency ~ '^[A-Z]{3}$'),
    stock_quantity       integer not null default -1 check (stock_quantity >= -1),
    low_stock_threshold  integer not null default 5 check (low_stock_threshold >= 0),
    stock_status         text not null generated always as (
        case
            when stock_quantity = -1 then 'unlimited'
            when stock_quantity = 0 then 'out_of_stock'
            when stock_quantity <= low_stock_threshold then 'low_stock'
            else 'in_stock'
        end
    ) stored,
    is_active            boolean not null default true,
    created_at           timestamptz not null default now(),
    updated_at           timestamptz not null default now(),
    constraint skus_code_per_product unique (product_id, sku_code)
);
comment on table skus is 'Stock keeping units. stock_quantity -1 means unlimited; stock_status is derived and cannot drift.';
comment on column skus.stock_quantity is '-1 = unlimited; otherwise units on hand not yet reserved by an order.';
create index skus_product_idx on skus (product_id);
create index skus_updated_at_idx on skus (updated_at, id);
create trigger skus_touch before update on skus
    for each row execute function touch_updated_at();

-- A SKU change is a product change for `updated_after` readers.
create function touch_product_of_sku() returns trigger language plpgsql as $$
begin
    update products set updated_at = now() where id = new.product_id;
    return null;
end;
$$;
create trigger skus_touch_product after insert or update on skus
    for each row execute function touch_product_of_sku();


create table product_mappings (
    id                    bigserial primary key,
    sku_id                bigint not null unique references skus (id),
    fulfiller             text not null
                          check (fulfiller in ('local_stock', 'dujiao_upstream', 'vending', 'wdt_erp')),
    connection_id         bigint references partner_connections (id),
    upstream_product_id   bigint,
    upstream_sku_id       bigint,
    machine_no            text check (machine_no ~ '^[0-9]{8}$'),
    vending_product_id    text,
    spec_no               text,
    goods_no              text,
    is_active             boolean not null default true,
    upstream_price_minor  bigint check (upstream_price_minor >= 0),
    upstream_stock        integer check (upstream_stock >= -1),
    synced_at             timestamptz,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    constraint product_mappings_fulfiller_fields check (
        case fulfiller
            when 'local_stock' then connection_id is null
            when 'dujiao_upstream' then connection_id is not null and upstream_sku_id is not null
            when 'vending' then connection_id is not null and machine_no is not null
                                and vending_product_id is not null
            when 'wdt_erp' then connection_id is not null and (spec_no is not null or goods_no is not null)
        end
    )
);
comment on table product_mappings is
    'Who fulfils a local SKU: local stock, an upstream Dujiao-Next connection + SKU, a vending machine + product, or the WDT ERP (spec_no/goods_no). One mapping per SKU; a SKU without a mapping is delivered from local stock. upstream_* columns cache the last catalog sync.';
create index product_mappings_connection_idx on product_mappings (connection_id);
create trigger product_mappings_touch before update on product_mappings
    for each row execute function touch_updated_at();

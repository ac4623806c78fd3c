-- Channel product mappings: which of our SKUs a sales channel's product id means
-- (a D-Store `posProductId`, a 58 Daojia `goodsId`), per channel connection.

create table channel_products (
    id                  bigserial primary key,
    channel             text not null check (channel in ('dstore', 'daojia')),
    connection_id       bigint not null references partner_connections (id),
    channel_product_id  text not null check (length(channel_product_id) between 1 and 200),
    sku_id              bigint not null references skus (id),
    created_at          timestamptz not null default now(),
    constraint channel_products_unique unique (connection_id, channel_product_id)
);
comment on table channel_products is
    'Maps a channel product id (D-Store posProductId, 58 goodsId) arriving through one connection to our SKU. The ingress refuses an order with a line that has no row here; the connection''s kind is the channel (checked on insert).';
create index channel_products_sku_idx on channel_products (sku_id);

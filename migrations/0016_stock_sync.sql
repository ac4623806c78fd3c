-- Stock and catalog sync (the stock-syncer): what the last upstream sync saw for each mapped SKU,
-- why a mapping was switched off, and a journal of stock and price changes that the stock-syncer
-- announces as `stock.changed` events.

alter table product_mappings
    add column upstream_stock_status text
        check (upstream_stock_status in ('unlimited', 'in_stock', 'low_stock', 'out_of_stock')),
    add column upstream_is_active boolean,
    add column upstream_currency char(3) check (upstream_currency ~ '^[A-Z]{3}$'),
    add column upstream_price_foreign boolean not null default false,
    add column disabled_reason text check (length(disabled_reason) <= 500);
comment on column product_mappings.upstream_currency is
    'Currency of the upstream price; never converted. upstream_price_foreign flags a price in another currency than the SKU''s.';
comment on column product_mappings.disabled_reason is
    'Why the mapping was switched off by the stock-syncer (e.g. the upstream product answers 404); shown to operators.';
comment on column product_mappings.synced_at is 'When an upstream sync last saw this SKU (last sync).';

-- Every change of a SKU's stock, price or sellability, written in the transaction of the change
-- (by trigger, so every writer is covered) and turned into a `stock.changed` event through the
-- outbox by the stock-syncer, which deletes the row in the same transaction.
create table stock_changes (
    id             bigserial primary key,
    sku_id         bigint not null references skus (id),
    source         text not null check (source in ('DUJIAO_UPSTREAM', 'VENDING', 'WDT', 'LOCAL')),
    reason         text not null check (reason in ('SYNC', 'RESERVED', 'RELEASED', 'SOLD', 'ADJUSTED')),
    connection_id  bigint,
    quantity       integer not null,
    stock_status   text not null,
    price_minor    bigint not null,
    currency       char(3) not null,
    price_changed  boolean not null,
    is_active      boolean not null,
    observed_at    timestamptz not null default clock_timestamp()
);
comment on table stock_changes is
    'Journal of SKU stock/price/sellability changes not yet announced as stock.changed. Writers that know the origin set the transaction settings switchyard.stock_source / switchyard.stock_connection; otherwise the change is LOCAL.';

create function sku_sellable(sku bigint, active boolean) returns boolean language sql stable as $$
    select active and not exists (
        select 1 from product_mappings m where m.sku_id = sku and not m.is_active)
$$;

create function journal_stock_change() returns trigger language plpgsql as $$
declare
    source text := coalesce(nullif(current_setting('switchyard.stock_source', true), ''), 'LOCAL');
    connection text := nullif(current_setting('switchyard.stock_connection', true), '');
    reason text;
begin
    if tg_op = 'UPDATE'
       and old.stock_quantity = new.stock_quantity and old.price_minor = new.price_minor
       and old.is_active = new.is_active then
        return null;
    end if;
    reason := case
        when source <> 'LOCAL' then 'SYNC'
        when tg_op = 'INSERT' or old.price_minor <> new.price_minor then 'ADJUSTED'
        when new.stock_quantity <> -1 and old.stock_quantity <> -1
             and new.stock_quantity < old.stock_quantity then 'RESERVED'
        when new.stock_quantity <> -1 and old.stock_quantity <> -1
             and new.stock_quantity > old.stock_quantity then 'RELEASED'
        else 'ADJUSTED'
    end;
    insert into stock_changes (sku_id, source, reason, connection_id, quantity, stock_status,
                               price_minor, currency, price_changed, is_active)
    values (new.id, source, reason, connection::bigint, new.stock_quantity, new.stock_status,
            new.price_minor,
            new.currency, tg_op = 'INSERT' or old.price_minor <> new.price_minor,
            sku_sellable(new.id, new.is_active));
    return null;
end;
$$;
create trigger skus_journal_stock after insert or update on skus
    for each row execute function journal_stock_change();

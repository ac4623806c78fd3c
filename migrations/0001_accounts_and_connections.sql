-- Accounts, partner connections and downstream API credentials.
-- Secrets are never stored in clear: every secret column is an AES-256-GCM ciphertext with its
-- 12-byte nonce and the id of the configured key that sealed it (so keys can be rotated).

-- Keeps every `updated_at` honest without relying on each query to remember it.
create function touch_updated_at() returns trigger language plpgsql as $$
begin
    new.updated_at := now();
    return new;
end;
$$;

-- Append-only tables (ledgers, attempt logs) refuse rewrites of history.
create function forbid_row_change() returns trigger language plpgsql as $$
begin
    raise exception 'table % is append-only', tg_table_name using errcode = 'restrict_violation';
end;
$$;

create table users (
    id          bigserial primary key,
    label       text not null check (length(label) between 1 and 200),
    created_at  timestamptz not null default now()
);
comment on table users is
    'Downstream site accounts (Dujiao-Next sites that buy from us). No personal data: only an operator-chosen display label.';

create table partner_connections (
    id                    bigserial primary key,
    kind                  text not null
                          check (kind in ('dujiao_upstream', 'dstore', 'daojia', 'qimen_wdt', 'vending')),
    name                  text not null unique check (length(name) between 1 and 200),
    base_url              text not null check (base_url ~ '^https?://'),
    status                text not null default 'pending'
                          check (status in ('pending', 'active', 'disabled')),
    rate_limit_per_minute integer not null default 60 check (rate_limit_per_minute > 0),
    retry_max             integer not null default 5 check (retry_max >= 0),
    retry_intervals       integer[] not null default '{30,60,300}'
                          check (cardinality(retry_intervals) >= 1 and 0 < all (retry_intervals)),
    api_key               text,
    app_id                text,
    settings              jsonb not null default '{}'::jsonb check (jsonb_typeof(settings) = 'object'),
    secret_nonce          bytea check (octet_length(secret_nonce) = 12),
    secret_ciphertext     bytea,
    secret_key_id         text,
    created_at            timestamptz not null default now(),
    updated_at            timestamptz not null default now(),
    constraint partner_connections_secret_complete check (
        (secret_nonce is null) = (secret_ciphertext is null)
        and (secret_ciphertext is null) = (secret_key_id is null)
    )
);
comment on table partner_connections is
    'One row per partner endpoint we talk to (upstream Dujiao-Next site, D-Store, 58 Daojia, WDT via Qimen, vending merchant API). Rate limit and retry schedule are per connection; past the end of retry_intervals the last interval repeats.';
comment on column partner_connections.api_key is 'Public identifier sent in clear (Dujiao api key, vending Appid, Qimen app_key, D-Store Client-Id).';
comment on column partner_connections.app_id is 'Secondary public identifier where a protocol has one (Qimen target_app_key, 58 serviceKey, D-Store posAccountId).';
comment on column partner_connections.settings is 'Protocol-specific non-secret settings (shop_no, sid, sign_method, public keys, ...).';
comment on column partner_connections.secret_ciphertext is 'AES-256-GCM ciphertext of the connection secret(s); never logged. Several secrets are sealed together as one JSON document by the partner adapter.';
comment on column partner_connections.secret_key_id is 'Id of the configured encryption key that sealed the secret (key rotation).';
create trigger partner_connections_touch before update on partner_connections
    for each row execute function touch_updated_at();

create table api_credentials (
    id                bigserial primary key,
    user_id           bigint not null unique references users (id),
    api_key           text not null unique check (length(api_key) between 16 and 128),
    secret_nonce      bytea not null check (octet_length(secret_nonce) = 12),
    secret_ciphertext bytea not null,
    secret_key_id     text not null,
    status            text not null default 'pending_review'
                      check (status in ('pending_review', 'approved', 'rejected', 'disabled')),
    reject_reason     text,
    approved_at       timestamptz,
    created_at        timestamptz not null default now(),
    updated_at        timestamptz not null default now(),
    constraint api_credentials_rejection_has_reason
        check (status <> 'rejected' or reject_reason is not null),
    constraint api_credentials_approval_has_time
        check (status not in ('approved', 'disabled') or approved_at is not null)
);
comment on table api_credentials is
    'Dujiao-Next provider API credentials for downstream sites, one per user. Only approved credentials may call; disabling keeps approved_at so re-enabling restores approval. The secret is shown once at issue time and stored encrypted.';
create trigger api_credentials_touch before update on api_credentials
    for each row execute function touch_updated_at();

create table wallets (
    user_id        bigint primary key references users (id),
    balance_minor  bigint not null default 0 check (balance_minor >= 0),
    currency       char(3) not null check (currency ~ '^[A-Z]{3}$'),
    updated_at     timestamptz not null default now()
);
comment on table wallets is
    'Prepaid balance of a downstream site in minor units; never negative. Every change is mirrored by a wallet_ledger row written in the same transaction.';
create trigger wallets_touch before update on wallets
    for each row execute function touch_updated_at();

create table wallet_ledger (
    id                   bigserial primary key,
    user_id              bigint not null references wallets (user_id),
    kind                 text not null check (kind in ('debit', 'credit', 'refund')),
    amount_minor         bigint not null check (amount_minor > 0),
    balance_after_minor  bigint not null check (balance_after_minor >= 0),
    currency             char(3) not null check (currency ~ '^[A-Z]{3}$'),
    reference            text,
    idempotency_key      text not null,
    created_at           timestamptz not null default now(),
    constraint wallet_ledger_idempotent unique (user_id, idempotency_key)
);
comment on table wallet_ledger is
    'Append-only wallet history. (user_id, idempotency_key) is unique so a retried credit, debit or refund applies once.';
create index wallet_ledger_user_created_idx on wallet_ledger (user_id, created_at);
create trigger wallet_ledger_append_only before update or delete on wallet_ledger
    for each row execute function forbid_row_change();

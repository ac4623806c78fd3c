-- Dujiao-Next replay guard, shared by every ingress replica (store/src/replay_guard.rs): each
-- signature a credential (or an upstream connection's key, for callbacks) used inside the ±60 s
-- window, with a digest of the request it signed, kept until the signature leaves the window.
-- The first insert of (api_key, signature) wins (ON CONFLICT); a second sighting with the same
-- digest is a byte-identical retry, anything else a replay. The expiry-sweeper's retention job
-- deletes expired rows.

create table dujiao_replay_guard (
    api_key         text not null,
    signature       bytea not null check (octet_length(signature) = 32),
    request_digest  bytea not null check (octet_length(request_digest) = 32),
    expires_at      timestamptz not null,
    primary key (api_key, signature)
);
comment on table dujiao_replay_guard is
    'Dujiao-Next signatures seen inside their validity window, per API key, with the SHA-256 of the request (method, path with query, body) they signed: a byte-identical retry of an idempotent call is recognised, any other reuse refused.';

-- The per-key bound counts a key's live rows; the purge finds expired rows.
create index dujiao_replay_guard_key_expiry_idx on dujiao_replay_guard (api_key, expires_at);
create index dujiao_replay_guard_expiry_idx on dujiao_replay_guard (expires_at);

#!/usr/bin/env bash
# Provisions a running Switchyard hub (operator API) with everything the loadtest's default
# protocol mix needs, using the harness's public test credentials:
#   - a downstream Dujiao user with an approved credential, a large wallet and an unlimited SKU;
#   - a dujiao_upstream connection that signs callbacks with loadtest-upstream / its secret;
#   - a dstore connection (Client-Id loadtest-dstore, the public test key pair in loadtest/keys/);
#   - a daojia connection with the loadtest push secret;
#   - channel product mappings: D-Store posProductId <sku id> and 58 goodsId CLEANING-2H → the SKU.
# Prints the `loadtest` flags for the issued Dujiao credential and the SKU (D-Store orders name
# our SKU id as posProductId), and the credential secret to export (the hub shows it only once).
#
# With SITES=N (default 1), N-1 further downstream users, each with its own approved credential
# and funded wallet, are written as `API_KEY SECRET` lines to SITES_FILE (default
# ./dujiao-sites.txt) and the printed flags include `--dujiao-sites-file`: the harness then spreads
# Dujiao orders over N sites, as a hub serving many sites sees them.
#
# Usage: ADMIN_URL=http://127.0.0.1:9464 ADMIN_TOKEN=... [SITES=16 SITES_FILE=...] loadtest/bench/provision.sh
set -euo pipefail
SITES=${SITES:-1}
SITES_FILE=${SITES_FILE:-$PWD/dujiao-sites.txt}

ADMIN_URL=${ADMIN_URL:-http://127.0.0.1:9464}
: "${ADMIN_TOKEN:?set ADMIN_TOKEN to the admin.token of the hub}"
KEYS="$(cd "$(dirname "$0")/../keys" && pwd)"

call() { # method path json
  curl -sS --fail-with-body -X "$1" "$ADMIN_URL$2" -H "Authorization: Bearer $ADMIN_TOKEN" \
    -H 'Content-Type: application/json' ${3:+-d "$3"}
}

# new_site LABEL: a downstream user with an approved credential and a large wallet; prints the
# credential JSON (api_key, secret).
new_site() {
  local user credential credential_id
  user=$(call POST /admin/v1/users "{\"label\":\"$1\",\"currency\":\"CNY\"}" | jq -r .id)
  credential=$(call POST /admin/v1/credentials "{\"user_id\":$user}")
  credential_id=$(jq -r .id <<<"$credential")
  call POST "/admin/v1/credentials/$credential_id/approve" '{}' >/dev/null
  call POST "/admin/v1/wallets/$user/credit" \
    "{\"amount_minor\":1000000000000,\"idempotency_key\":\"loadtest-$user\"}" >/dev/null
  echo "$credential"
}

credential=$(new_site loadtest-downstream)
sites_flag=""
if [ "$SITES" -gt 1 ]; then
  : >"$SITES_FILE"
  for n in $(seq 2 "$SITES"); do
    jq -r '"\(.api_key) \(.secret)"' <<<"$(new_site "loadtest-downstream-$n")" >>"$SITES_FILE"
  done
  sites_flag=" --dujiao-sites-file $SITES_FILE"
fi
product=$(call POST /admin/v1/products \
  '{"slug":"loadtest-card-'"$$"'","title":{"en":"Load test card"},"description":{},"images":[]}' | jq -r .id)
sku=$(call POST /admin/v1/skus \
  "{\"product_id\":$product,\"sku_code\":\"LT-1\",\"price_minor\":150,\"currency\":\"CNY\"}" | jq -r .id)

upstream=$(jq -n --arg pid "$$" '{kind: "dujiao_upstream", status: "active", name: "loadtest-upstream-\($pid)",
  base_url: "https://upstream.example.test", api_key: "loadtest-upstream",
  secret: "loadtest-upstream-secret"}')
dstore=$(jq -n --arg pid "$$" --rawfile public "$KEYS/dstore_test_public.pem" \
  --rawfile private "$KEYS/dstore_test_private.pem" \
  '{kind: "dstore", status: "active", name: "loadtest-dstore-\($pid)", base_url: "https://open-region-pre.alipayplus.com",
    api_key: "loadtest-dstore", settings: {dstore_public_key: $public}, secret: $private}')
daojia=$(jq -n --arg pid "$$" '{kind: "daojia", status: "active", name: "loadtest-daojia-\($pid)", base_url: "https://daojia.example.test",
  secret: "loadtest-daojia-secret"}')
call POST /admin/v1/connections "$upstream" >/dev/null
dstore_id=$(call POST /admin/v1/connections "$dstore" | jq -r .id)
daojia_id=$(call POST /admin/v1/connections "$daojia" | jq -r .id)
# Channel product mappings: every D-Store / 58 line must name a mapped product or is refused.
call POST /admin/v1/channel-products \
  "{\"channel\":\"dstore\",\"connection_id\":$dstore_id,\"channel_product_id\":\"$sku\",\"sku_id\":$sku}" >/dev/null
call POST /admin/v1/channel-products \
  "{\"channel\":\"daojia\",\"connection_id\":$daojia_id,\"channel_product_id\":\"CLEANING-2H\",\"sku_id\":$sku}" >/dev/null

echo "--dujiao-key $(jq -r .api_key <<<"$credential") --dujiao-sku $sku --dstore-product $sku$sites_flag"
echo "export LOADTEST_DUJIAO_SECRET=$(jq -r .secret <<<"$credential")"

#!/usr/bin/env bash
# After a run whose topic verification reported acknowledged orders missing, records what the
# database knows about each missing example while the stack is still up: the order, its dedupe
# claim (the event id the ingress published under, whether its answer was recorded, the partition
# and offset the broker confirmed it at) and whether the event sits in the outbox. Appends to
# OUT/missing.txt. Needs the ingress-stack variables.
# Usage (sourced by ingress-vs-bare.sh): explain_missing RUN_JSON
explain_missing() {
  local run_json=$1 db=$SWITCHYARD_DATABASE_URL id
  for id in $(jq -r '.topic_verification.topics[]? | select(.missing > 0) | .missing_examples[]' "$run_json"); do
    {
      echo "== $(basename "$run_json"): acknowledged $id has no event on its topic"
      psql "$db" -qAtc "
        select 'order', o.id, o.channel, o.created_at, 'claim', d.event_id, d.response_status,
               d.created_at, d.answered_at, 'confirmed at', d.event_partition, d.event_offset,
               'in outbox', (select count(*) from event_outbox x where x.event_id = d.event_id)
        from orders o left join ingress_dedupe d on d.dedupe_key = o.id::text
        where o.channel_order_id = '$id' or o.channel_order_id like '%/$id'"
    } >>"$OUT/missing.txt"
  done
}

#!/usr/bin/env bash
# Checks the concurrency guarantees against a running server, from outside the test suite:
#   50 concurrent claims of one ticket      -> exactly one 200 and 49 x 409, one history row
#   50 concurrent If-Match updates          -> exactly one 200 and 49 x 412
#   32 clients creating 4 tickets each      -> every acknowledged ticket readable afterwards
# Usage: KANBAN_TOKEN=<access token> scripts/race-check.sh [BASE_URL]   (default http://127.0.0.1:18000)
#    or: KANBAN_USERNAME=<pm or admin> KANBAN_PASSWORD=<password> scripts/race-check.sh [BASE_URL]
# The account must be a pm or an admin. The script sends about 400 requests as that account, more
# than the default rate limit's burst of 200: run it against a server started with
# KANBAN__RATE_LIMIT__ENABLED=false (or higher limits).
# Needs curl and python3 (for JSON). Creates one board and its tickets on the target server.
set -euo pipefail
base=${1:-http://127.0.0.1:18000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

json() { python3 -c "import json,sys; print(json.load(sys.stdin)$1)"; }

token=${KANBAN_TOKEN:-}
if [ -z "$token" ]; then
    : "${KANBAN_USERNAME:?set KANBAN_TOKEN, or KANBAN_USERNAME and KANBAN_PASSWORD}"
    : "${KANBAN_PASSWORD:?set KANBAN_PASSWORD}"
    token=$(python3 -c 'import json,os; print(json.dumps({"username": os.environ["KANBAN_USERNAME"], "password": os.environ["KANBAN_PASSWORD"]}))' \
        | curl -sS -X POST "$base/api/auth/login" -H 'content-type: application/json' -d @- \
        | json "['access_token']")
fi
# Every curl below, including those xargs starts, reads this file and sends the token.
printf 'header = "Authorization: Bearer %s"\n' "$token" > "$work/.curlrc"
export CURL_HOME="$work"
post() { curl -sS -X POST "$base$1" -H 'content-type: application/json' -d "$2"; }
statuses() { sort | uniq -c | awk '{printf "%s x %s; ", $1, $2}'; echo; }

board=$(post /api/boards '{"name": "race-check"}' | json "['id']")
ticket=$(post /api/tickets "{\"board_id\": $board, \"title\": \"prize\"}" | json "['id']")

echo "== 50 concurrent claims of ticket $ticket"
seq 1 50 | xargs -P 50 -I{} curl -sS -o /dev/null -w '%{http_code}\n' \
    -X POST "$base/api/tickets/$ticket/claim?agent_id=agent-{}" > "$work/claims"
statuses < "$work/claims"
rows=$(curl -sS "$base/api/history/tickets/$ticket/history?field_name=assignee" | json ".__len__()")
echo "assignee history rows: $rows"
[ "$(grep -c '^200$' "$work/claims")" = 1 ] && [ "$(grep -c '^409$' "$work/claims")" = 49 ] && [ "$rows" = 1 ]

ticket=$(post /api/tickets "{\"board_id\": $board, \"title\": \"contended\"}" | json "['id']")
echo "== 50 concurrent If-Match updates of ticket $ticket"
seq 1 50 | xargs -P 50 -I{} curl -sS -o /dev/null -w '%{http_code}\n' \
    -X PUT "$base/api/tickets/$ticket" -H 'content-type: application/json' -H 'If-Match: "1"' \
    -d '{"title": "writer {}"}' > "$work/updates"
statuses < "$work/updates"
[ "$(grep -c '^200$' "$work/updates")" = 1 ] && [ "$(grep -c '^412$' "$work/updates")" = 49 ]

echo "== 32 clients x 4 creates"
seq 1 32 | xargs -P 32 -I{} sh -c "for n in 1 2 3 4; do curl -sS -X POST '$base/api/tickets' \
    -H 'content-type: application/json' -d '{\"board_id\": $board, \"title\": \"c{}-'\$n'\"}' \
    -w '\n%{http_code}\n'; done > '$work/creates-{}'"
cat "$work"/creates-* > "$work/creates"
acknowledged=$(grep -c '^201$' "$work/creates")
ids=$(grep '^{' "$work/creates" | python3 -c "import json,sys; print(' '.join(str(json.loads(l)['id']) for l in sys.stdin))")
readable=0
for id in $ids; do
    [ "$(curl -sS -o /dev/null -w '%{http_code}' "$base/api/tickets/$id")" = 200 ] && readable=$((readable + 1))
done
echo "acknowledged: $acknowledged, readable afterwards: $readable"
[ "$acknowledged" = 128 ] && [ "$readable" = 128 ]
echo "race-check: all guarantees held"

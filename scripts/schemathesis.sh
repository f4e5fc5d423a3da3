#!/usr/bin/env bash
# Property-based test of the API against its own OpenAPI document: starts the server on
# 127.0.0.1 with a fresh database in a temporary directory (rate limits off, an admin account),
# runs schemathesis with every check against /openapi.json, then stops the server.
#
# Not part of `make test`: it needs Python and schemathesis from PyPI, which it installs into a
# virtual environment outside the repository (SCHEMATHESIS_VENV, default
# ${TMPDIR:-/tmp}/agent-kanban-schemathesis).
#
# Usage: scripts/schemathesis.sh [extra schemathesis arguments, e.g. --max-examples 20]
# Environment: AGENT_KANBAN_BIN (default: the debug binary, built if missing), SCHEMATHESIS_VENV,
# SCHEMATHESIS_VERSION (default: 4.x).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
target=${CARGO_TARGET_DIR:-$root/target}
bin=${AGENT_KANBAN_BIN:-$target/debug/agent-kanban}
venv=${SCHEMATHESIS_VENV:-${TMPDIR:-/tmp}/agent-kanban-schemathesis}
version=${SCHEMATHESIS_VERSION:->=4,<5}

if [ ! -x "$venv/bin/schemathesis" ]; then
    python3 -m venv "$venv"
    "$venv/bin/pip" install --quiet "schemathesis$version"
fi
if [ -z "${AGENT_KANBAN_BIN:-}" ]; then
    (cd "$root" && cargo build --quiet -p agent-kanban)
fi

work=$(mktemp -d)
server=""
stop() {
    if [ -n "$server" ] && kill -0 "$server" 2>/dev/null; then
        kill -TERM "$server"
        wait "$server" 2>/dev/null || true
    fi
    rm -rf "$work"
}
trap stop EXIT

port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port"
password="Schemathesis1"
export KANBAN_ENV=test
export DATABASE_URL="$work/kanban.db"
export KANBAN__RATE_LIMIT__ENABLED=false
export ACCESS_TOKEN_EXPIRE_MINUTES=600
export KANBAN_PASSWORD="$password"
export RUST_LOG=${RUST_LOG:-warn}

cd "$root"
"$bin" serve --host 127.0.0.1 --port "$port" --database-url "$work/kanban.db" >"$work/server.log" 2>&1 &
server=$!
for _ in $(seq 1 100); do
    curl -fsS "$base/health" >/dev/null 2>&1 && break
    sleep 0.1
done

# A fresh admin account `admin<n>` and its access token. Each run gets its own: the run changes
# its account's password (`PUT /api/auth/me`), and the last one logs out. (The number is an
# argument: `$(token)` runs in a subshell, where a counter would not advance.)
token() {
    local account=$1
    (cd "$root" && "$bin" users create --username "admin$account" \
        --email "admin$account@example.com" --role admin >/dev/null)
    curl -fsS -X POST "$base/api/auth/login" -H 'content-type: application/json' \
        -d "{\"username\": \"admin$account\", \"password\": \"$password\"}" |
        python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}
first=$(token 1)

# The bulk routes allow 10 requests a minute per user: check the server runs with limits off.
limited=$(curl -fsS "$base/api/bulk/operations/status" -H "Authorization: Bearer $first" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["rate_limits"]["enabled"])')
if [ "$limited" != "False" ]; then
    echo "rate limits are on (rate_limit.enabled = $limited): the run would be throttled" >&2
    exit 1
fi

# What the schema cannot express, and so is configured here:
# - a stale or random If-Match is 412 (server state);
# - a column name the board does not have is 422 (server state: a move, a create naming a column,
#   `move_to`, a rename's `from`, the `column` filter of a listing or of the ticket colours), and
#   so are column names equal ignoring case (JSON Schema's uniqueItems is case-sensitive: creating
#   or updating a board);
# - a ticket named twice in the `updates` of a bulk priority change is 422 (uniqueness of one
#   property of the items, which JSON Schema cannot say; the id lists of the other bulk routes
#   are `uniqueItems`).
cat >"$work/schemathesis.toml" <<'EOF'
[checks.positive_data_acceptance]
expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "429"]

[[operations]]
include-operation-id = ["move_ticket", "create_ticket", "set_columns", "rename_column", "list_tickets", "create_board", "update_board", "board_ticket_colors", "bulk_set_priorities"]
checks.positive_data_acceptance.expected-statuses = ["2xx", "3xx", "401", "403", "404", "409", "412", "422", "429"]
EOF

status=0
# schemathesis keeps a cache in the working directory: keep it out of the repository.
cd "$work"
# Logout revokes the token the run authenticates with, so it runs last, with a token of its own.
# GET /ws/connect is left out: a valid handshake turns the connection into a WebSocket (101),
# which an HTTP client then writes its next request into; tests/e2e/live.rs covers the route.
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
    --checks all \
    --exclude-operation-id logout \
    --exclude-operation-id connect_live \
    -H "Authorization: Bearer $first" \
    "$@" || status=$?
# Created now: the first run may have deactivated or demoted any other account.
last=$(token 2)
"$venv/bin/schemathesis" --config-file "$work/schemathesis.toml" run "$base/openapi.json" \
    --checks all \
    --include-operation-id logout \
    -H "Authorization: Bearer $last" \
    "$@" || status=$?

if grep -q '"status":500\|status=500' "$work/server.log"; then
    echo "the server answered 500; its log:" >&2
    grep -n '500\|ERROR' "$work/server.log" >&2 || true
    status=1
fi
exit "$status"

#!/usr/bin/env bash
# Dependencies point inward only: server -> api-actix -> domain <- storage-diesel.
# Fails when a crate depends (normally, not as a dev-dependency) on a crate of another layer.
set -euo pipefail
cd "$(dirname "$0")/.."

status=0
forbid() {
    local package=$1; shift
    for dependency in "$@"; do
        # `cargo tree -i X` prints the paths from X up to the package; empty when there is none.
        if cargo tree -q -p "$package" -e normal -i "$dependency" 2>/dev/null | grep -q .; then
            echo "layering: $package must not depend on $dependency:" >&2
            cargo tree -q -p "$package" -e normal -i "$dependency" >&2 || true
            status=1
        fi
    done
}

forbid kanban-domain diesel r2d2 libsqlite3-sys actix-web actix-http actix-ws tokio
forbid kanban-storage-diesel actix-web actix-http actix-ws tokio kanban-api-actix
forbid kanban-api-actix diesel r2d2 libsqlite3-sys kanban-storage-diesel

if [ "$status" -eq 0 ]; then
    echo "layering: ok (server -> api-actix -> domain <- storage-diesel)"
fi
exit "$status"

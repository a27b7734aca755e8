#!/usr/bin/env bash
# Make PostgreSQL server binaries (initdb, pg_ctl, postgres) available for psoreg's store tests
# (idempotent; run as root). The tests start their own throw-away server as the `postgres` user.
set -euo pipefail
if command -v initdb >/dev/null && command -v pg_ctl >/dev/null; then
    echo "postgresql: initdb found at $(command -v initdb)"
else
    export DEBIAN_FRONTEND=noninteractive
    apt_get() { apt-get -o DPkg::Lock::Timeout=300 "$@"; }
    apt_get update
    apt_get install -y --no-install-recommends postgresql
    # Debian keeps the server binaries off PATH: link the newest version's into /usr/local/bin
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
    for b in initdb pg_ctl postgres; do ln -sf "$bindir/$b" "/usr/local/bin/$b"; done
fi
# the server refuses to run as root: it needs an unprivileged `postgres` user
if ! id postgres >/dev/null 2>&1; then
    useradd --system --home-dir /var/lib/postgresql --shell /bin/bash postgres
fi
initdb --version

#!/usr/bin/env bash
# hyperfine for `make bench-cli` (idempotent; root). Not needed by the tests.
set -euo pipefail
command -v hyperfine >/dev/null && exit 0
if [ "$(id -u)" != 0 ]; then echo "bench.sh: not root; install hyperfine yourself"; exit 0; fi
apt-get install -y hyperfine >/dev/null 2>&1 || { apt-get update >/dev/null && apt-get install -y hyperfine >/dev/null; }

#!/usr/bin/env bash
# Install Debian's chromium for psoreg's Playwright end-to-end tests (idempotent; run as root).
# Playwright's own browser download cannot be used here: the tests drive /usr/bin/chromium.
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
    echo "chromium: already installed ($(/usr/bin/chromium --version 2>/dev/null || echo unknown))"
    exit 0
fi
export DEBIAN_FRONTEND=noninteractive
# another apt run may hold the lock for a while: wait up to 5 minutes for it
apt_get() { apt-get -o DPkg::Lock::Timeout=300 "$@"; }
apt_get update
apt_get install -y --no-install-recommends chromium fonts-dejavu-core
/usr/bin/chromium --version

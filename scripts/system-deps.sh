#!/usr/bin/env bash
# System packages psoreg needs beyond Python, installed only where missing.
#
#   scripts/system-deps.sh            # everything psoreg's tests use
#   scripts/system-deps.sh java       # only some: java (more to come: chromium, postgresql)
#
# Idempotent: a package that is already there is left alone, and `apt-get update` runs at most
# once, only when something has to be installed. Installing needs root (Debian/Ubuntu apt); as
# another user the script says what is missing and the tests that need it are skipped.
#
# To add a dependency: write a `need_<name>` function below (check, then `apt_install ...`) and
# add <name> to ALL.
set -euo pipefail

ALL=(java)

APT_UPDATED=0
MISSING=()

log() { printf 'system-deps: %s\n' "$*" >&2; }

# another apt run may hold the lock for a while: wait up to 5 minutes for it
apt_get() { DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=300 "$@"; }

is_root() { [ "$(id -u)" -eq 0 ]; }

# apt_install PACKAGE... : install with apt-get (update first, once per run).
apt_install() {
  if ! is_root; then
    log "not root: cannot install $*"
    MISSING+=("$@")
    return 1
  fi
  if ! command -v apt-get >/dev/null 2>&1; then
    log "no apt-get on this system: install $* with the system's package manager"
    MISSING+=("$@")
    return 1
  fi
  if [ "$APT_UPDATED" -eq 0 ]; then
    apt_get update -qq
    APT_UPDATED=1
  fi
  apt_get install -y -qq --no-install-recommends "$@"
}

# apt_available PACKAGE : whether apt knows the package (after an update if needed).
apt_available() {
  if [ "$APT_UPDATED" -eq 0 ] && is_root; then
    apt_get update -qq
    APT_UPDATED=1
  fi
  apt-cache show "$1" >/dev/null 2>&1
}

# Java runtime for Apache Spark (pyspark 4.0 runs on Java 17 or 21).
need_java() {
  if command -v java >/dev/null 2>&1; then
    log "java: present ($(java -version 2>&1 | head -n 1))"
    return 0
  fi
  log "java: missing, installing a headless Java runtime"
  if ! is_root; then
    apt_install openjdk-17-jre-headless || true
    return 0
  fi
  if apt_available openjdk-17-jre-headless; then
    apt_install openjdk-17-jre-headless
  else  # newer Debian releases ship 21 as the default runtime
    apt_install default-jre-headless
  fi
  log "java: installed ($(java -version 2>&1 | head -n 1))"
}

main() {
  local wanted=("$@")
  if [ "${#wanted[@]}" -eq 0 ]; then
    wanted=("${ALL[@]}")
  fi
  local name
  for name in "${wanted[@]}"; do
    if ! declare -F "need_${name}" >/dev/null; then
      log "unknown dependency '${name}' (known: ${ALL[*]})"
      exit 2
    fi
    "need_${name}"
  done
  if [ "${#MISSING[@]}" -gt 0 ]; then
    log "still missing: ${MISSING[*]} (run as root to install; tests needing them are skipped)"
  fi
}

main "$@"

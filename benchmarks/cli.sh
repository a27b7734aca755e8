#!/usr/bin/env bash
# Wall time of psoreg's commands on the case series (hyperfine: warm-up run, then 10 runs).
# Targets (issue 11): --help <= 0.3 s, summarize <= 1.0 s, report <= 3 s.
set -euo pipefail
cd "$(dirname "$0")/.."
BIN=.venv/bin
CASES=examples/ukmmc-ustekinumab-case-series.csv
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# Time the commands as an installed package runs them: byte-compiled. The editable install
# leaves src/psoreg uncompiled until first import, and where PYTHONDONTWRITEBYTECODE is set (it
# is on the project machine) every run would compile psoreg's modules again (0.1-0.3 s).
"$BIN/python" -m compileall -q src/psoreg >/dev/null
if ! command -v hyperfine >/dev/null; then
  echo "hyperfine not installed (bash scripts/deps/bench.sh as root); timing with 'time' instead"
  for cmd in "$BIN/psoreg --help" "$BIN/psoreg summarize $CASES" "$BIN/psoreg report $CASES --out $OUT/r.html"; do
    $cmd >/dev/null; /usr/bin/time -f "%e s  $cmd" $cmd >/dev/null
  done
  exit 0
fi
hyperfine --warmup 1 --runs ${BENCH_CLI_RUNS:-10} -N --export-markdown "$OUT/cli.md" \
  "$BIN/psoreg --help" \
  "$BIN/psoreg summarize $CASES" \
  "$BIN/psoreg report $CASES --out $OUT/report.html" \
  "$BIN/psoreg report $CASES --out $OUT/report.docx"
cat "$OUT/cli.md"

#!/usr/bin/env bash
# Wall time of psoreg's commands on the case series (hyperfine: warm-up run, then 10 runs).
# Targets (issue 11): --help <= 0.3 s, summarize <= 1.0 s, report <= 3 s.
# BENCH_CLI_BASE=/path/to/another/checkout also times that checkout's .venv in the same run
# (the "before" column of benchmarks/README.md: BENCH_CLI_BASE=/work/main).
set -euo pipefail
cd "$(dirname "$0")/.."
CASES=$PWD/examples/ukmmc-ustekinumab-case-series.csv
OUT=$(mktemp -d)
trap 'rm -rf "$OUT"' EXIT
# The commands run byte-compiled, as an installed package runs: the bytecode of every module
# (psoreg's and the libraries') is written on the warm-up run into a cache under $OUT, never
# into a checkout. Without this, where PYTHONDONTWRITEBYTECODE is set (it is on the project
# machine), every run would compile psoreg's modules from source again (0.1-0.3 s).
RUN="env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=$OUT/pycache"
CHECKOUTS=("$PWD")
if [ -n "${BENCH_CLI_BASE:-}" ]; then CHECKOUTS=("$(cd "$BENCH_CLI_BASE" && pwd)" "$PWD"); fi
CMDS=()
for dir in "${CHECKOUTS[@]}"; do
  BIN=$dir/.venv/bin
  CMDS+=("$RUN $BIN/psoreg --help"
    "$RUN $BIN/psoreg summarize $CASES"
    "$RUN $BIN/psoreg report $CASES --out $OUT/report.html"
    "$RUN $BIN/psoreg report $CASES --out $OUT/report.docx")
done
if ! command -v hyperfine >/dev/null; then
  echo "hyperfine not installed (bash scripts/deps/bench.sh as root); timing with 'time' instead"
  for cmd in "${CMDS[@]}"; do
    $cmd >/dev/null; /usr/bin/time -f "%e s  $cmd" $cmd >/dev/null
  done
  exit 0
fi
hyperfine --warmup 1 --runs "${BENCH_CLI_RUNS:-10}" -N --export-markdown "$OUT/cli.md" "${CMDS[@]}"
sed "s|$OUT|\$TMP|g; s|env -u PYTHONDONTWRITEBYTECODE PYTHONPYCACHEPREFIX=\$TMP/pycache ||" "$OUT/cli.md"

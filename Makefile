# psoreg — the two set-up commands are `make run` and `make test`; each installs into .venv when needed.
PY ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
EXAMPLE := examples/ukmmc-ustekinumab-case-series.csv

.PHONY: run test bench bench-web bench-cli bench-signals lint install clean deps \
	i18n-extract i18n-update i18n-compile i18n-check

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PY) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

# Translations (docs/glossary.md): the catalogues are src/psoreg/i18n/locale/<lang>/LC_MESSAGES/
# psoreg.po; the compiled .mo files are build output (not committed), made here from the .po.
LOCALES := src/psoreg/i18n/locale
POT := $(LOCALES)/psoreg.pot
MO := $(patsubst %.po,%.mo,$(wildcard $(LOCALES)/*/LC_MESSAGES/psoreg.po))

$(LOCALES)/%/LC_MESSAGES/psoreg.mo: $(LOCALES)/%/LC_MESSAGES/psoreg.po | $(STAMP)
	$(BIN)/pybabel -q compile -D psoreg -d $(LOCALES) -l $* --statistics

# psoreg's own modules byte-compiled, as an installed wheel's are: the editable install leaves
# them as source, and where PYTHONDONTWRITEBYTECODE is set every command compiled them again
# (about 0.1 s of each `psoreg` command); a module edited later is compiled in memory until then.
install: $(STAMP) $(MO)
	$(BIN)/python -m compileall -q -j 0 src/psoreg

# the messages marked in the code and templates -> psoreg.pot -> merged into each .po
i18n-extract: $(STAMP)
	$(BIN)/pybabel -q extract -F babel.cfg --no-location --sort-output --no-wrap \
		--project psoreg -o $(POT) .

i18n-update: i18n-extract
	$(BIN)/pybabel -q update -D psoreg -i $(POT) -d $(LOCALES) --no-fuzzy-matching \
		--ignore-obsolete --no-wrap

i18n-compile: $(MO)

# fails on a message missing, untranslated or fuzzy in the Bahasa Malaysia catalogue
i18n-check: $(STAMP)
	$(BIN)/python -m psoreg.i18n.check

# The main job: the case-series summary of the example, then the registry web application on
# 127.0.0.1:8000 with a demo database (SQLite, WAL) created in ./data on first run (the demo
# accounts' random passwords are printed then, once; `psoreg users reset` sets new ones).
run: install
	$(BIN)/psoreg summarize $(EXAMPLE)
	$(BIN)/psoreg serve --data data --demo

# Debian packages the tests need (chromium for the browser tests, PostgreSQL server binaries,
# Java for Spark); each script is idempotent and installs only what is missing (needs root).
deps:
	@if [ "$$(id -u)" = 0 ]; then for s in scripts/deps/*.sh; do bash $$s; done; \
	else echo "deps: not root; skipping system packages (scripts/deps/*.sh)"; fi

test: install deps
	$(BIN)/python -m pytest -q -n auto --dist loadfile

bench: $(STAMP) bench-signals
	$(BIN)/python benchmarks/run.py

# Load test of the web application: 10,000 patients, 10 and 50 concurrent readers, 50 writers
# on SQLite and PostgreSQL (benchmarks/web.py; about 6 minutes).
bench-web: $(STAMP)
	$(BIN)/python benchmarks/web.py

# Start-up and end-to-end times of the commands (hyperfine, from Debian: scripts/deps/bench.sh).
bench-cli: $(STAMP)
	bash benchmarks/cli.sh

# Disproportionality: MGPS on caers vs openEBGM, vigipy side by side, synthetic FAERS at full
# scale (BENCH_SIGNALS_REPORTS, default 20,000,000; see benchmarks/signals.py).
bench-signals: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[bench]'
	$(BIN)/python benchmarks/signals.py

lint: $(STAMP) i18n-check
	$(BIN)/ruff check src tests benchmarks
	$(BIN)/ruff format --check src tests benchmarks

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .hypothesis

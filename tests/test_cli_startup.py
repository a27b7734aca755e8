"""Fast commands: ``psoreg --help`` loads none of the data libraries, and a summary in a new
process runs the cached outcome query without importing Ibis, sqlglot or the plotting stack.
(Behaviour tests; the timings are measured by ``make bench-cli``.)"""

from __future__ import annotations

import os
import subprocess
import sys

from tests.conftest import CASE_SERIES

HEAVY = {
    "pandas", "numpy", "scipy", "matplotlib", "ibis", "sqlglot", "duckdb", "pyarrow",
    "lifelines", "sqlalchemy", "docx", "openpyxl",
}  # fmt: skip
# (pydantic is not in the list: typer itself imports it to render a command's help)

PROBE = """
import sys
from psoreg.cli import app
try:
    app(sys.argv[1:], prog_name="psoreg")
except SystemExit as exc:
    assert exc.code in (0, None), exc.code
watch = set(sys.argv[0].split(","))
names = {m.split(".")[0] for m in sys.modules} | set(sys.modules)
print("LOADED", ",".join(sorted(names & watch)))
"""


def _probe(args: list[str], watch: set[str], env: dict[str, str] | None = None):
    # sys.argv[0] of ``python -c`` is "-c": pass the watch list through it instead
    code = PROBE.replace('sys.argv[0].split(",")', repr(sorted(watch)))
    proc = subprocess.run(
        [sys.executable, "-c", code, *args],
        capture_output=True,
        text=True,
        env={**os.environ, **(env or {})},
        check=True,
    )
    line = [x for x in proc.stdout.splitlines() if x.startswith("LOADED")][-1]
    return {m for m in line.removeprefix("LOADED ").split(",") if m}, proc.stdout


def test_help_imports_no_data_library() -> None:
    for args in (["--help"], ["summarize", "--help"], ["cases", "--help"], ["serve", "--help"]):
        loaded, out = _probe(args, HEAVY)
        assert "Usage" in out
        assert not loaded, f"psoreg {' '.join(args)} imported {sorted(loaded)}"


def test_summary_in_a_new_process_uses_the_cached_query(tmp_path) -> None:
    env = {"PSOREG_CACHE_DIR": str(tmp_path)}
    args = ["summarize", str(CASE_SERIES)]
    first, out = _probe(args, {"ibis", "sqlglot"}, env)
    assert "Case-series summary" in out and first == {"ibis", "sqlglot"}  # compiled once
    # scipy.stats costs 0.5-2.5 s to import (docstring parsing); the summary needs none of it
    again, out = _probe(args, {"ibis", "sqlglot", "matplotlib", "lifelines", "scipy.stats"}, env)
    assert "Case-series summary" in out
    assert not again, f"the second run imported {sorted(again)}"

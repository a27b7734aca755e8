"""Fast commands: ``psoreg --help`` loads none of the data libraries, none of the command
groups' modules and no Markdown parser; a summary in a new process runs the cached outcome
query without importing Ibis, sqlglot or the plotting stack; a report imports no scipy.stats.
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


# what rich.markdown and rich.traceback import: typer's help formatter imports those two at its
# top, for its Markdown mode and for tracebacks only (psoreg.cli_lazy stands them in)
HELP_EXTRAS = {"markdown_it", "pygments"}


def test_help_imports_no_data_library() -> None:
    for args in (["--help"], ["summarize", "--help"], ["cases", "--help"], ["serve", "--help"]):
        loaded, out = _probe(args, HEAVY | HELP_EXTRAS)
        assert "Usage" in out
        assert not loaded, f"psoreg {' '.join(args)} imported {sorted(loaded)}"


def test_help_lists_the_command_groups_without_importing_them() -> None:
    from psoreg.cli import LAZY_GROUPS

    modules = {module for module, _attr, _help in LAZY_GROUPS.values()}
    loaded, out = _probe(["--help"], modules)
    assert not loaded, f"psoreg --help imported {sorted(loaded)}"
    for name, (_module, _attr, help_) in LAZY_GROUPS.items():
        assert f" {name} " in out and help_[:30] in out, name
    # naming a group imports its module (and only its own)
    loaded, out = _probe(["signals", "--help"], modules)
    assert loaded == {"psoreg.signals.cli"} and "ingest" in out


def test_every_command_group_loads_with_its_commands() -> None:
    """Each LAZY_GROUPS entry names a real Typer app (a typo would only show when a user runs
    the group), and the group keeps the help it is listed with."""
    from psoreg.cli import LAZY_GROUPS
    from psoreg.cli_lazy import load_group

    for name, spec in LAZY_GROUPS.items():
        group = load_group(name, *spec)
        assert group.name == name and group.help == spec[2] and group.commands, name


def test_help_formatter_stand_ins_become_the_real_classes() -> None:
    """After ``--help``, rich.markdown and rich.traceback still work for whoever uses them."""
    code = """
import sys
from psoreg.cli import app
try:
    app(["--help"], prog_name="psoreg")
except SystemExit:
    pass
import rich.markdown, rich.traceback
from rich.console import Console
md = rich.markdown.Markdown("# Title")
assert type(md).__module__ == "rich.markdown" and type(md).__name__ == "Markdown"
try:
    1 / 0
except ZeroDivisionError as exc:
    tb = rich.traceback.Traceback.from_exception(type(exc), exc, exc.__traceback__)
Console(file=sys.stderr).print(tb)
print("OK", type(tb).__name__, rich.markdown.Heading.__name__)
"""
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.splitlines()[-1] == "OK Traceback Heading"
    assert "ZeroDivisionError" in proc.stderr


def test_summary_in_a_new_process_uses_the_cached_query(tmp_path) -> None:
    env = {"PSOREG_CACHE_DIR": str(tmp_path)}
    args = ["summarize", str(CASE_SERIES)]
    first, out = _probe(args, {"ibis", "sqlglot"}, env)
    assert "Case-series summary" in out and first == {"ibis", "sqlglot"}  # compiled once
    # scipy.stats costs 0.5-2.5 s to import (docstring parsing); the summary needs none of it,
    # nor (for an abstracted file) the visit-level reader and what it imports
    unused = {"ibis", "sqlglot", "matplotlib", "lifelines", "scipy.stats", "psoreg.io.visits"}
    again, out = _probe(args, unused | {"psoreg.cases.naranjo", "psoreg.io.upload"}, env)
    assert "Case-series summary" in out
    assert not again, f"the second run imported {sorted(again)}"


def test_report_imports_no_statistics_library(tmp_path) -> None:
    """The case-series report needs neither scipy.stats (Wilson intervals are written out;
    the group tests import it only with --group-by) nor lifelines."""
    out = tmp_path / "r.html"
    loaded, stdout = _probe(
        ["report", str(CASE_SERIES), "--out", str(out)], {"scipy.stats", "lifelines"}
    )
    assert out.exists() and "Wrote" in stdout
    assert not loaded, f"psoreg report imported {sorted(loaded)}"


def test_survival_module_imports_no_scipy() -> None:
    """The web dashboard imports psoreg.analysis.survival for its curves; scipy.special (0.2-0.35
    s) is imported only when a confidence band needs the normal quantile."""
    code = (
        "import sys; import psoreg.analysis.survival as s; a = 'scipy' in sys.modules; "
        "km = s.kaplan_meier([1, 2, 3], [True, False, True]); "
        "print('SCIPY', a, 'scipy.special' in sys.modules, km.steps[0].lower)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    words = proc.stdout.split()
    assert words[:3] == ["SCIPY", "False", "True"], proc.stdout
    assert 0 < float(words[3]) < 1


def test_one_shot_command_pauses_the_collector_and_freezes_only_as_the_program() -> None:
    """``summarize`` runs with the cycle collector paused; in-process (as here) the collector
    runs again afterwards with nothing frozen; as the program (:func:`psoreg.cli.run`, the
    console script), the command's objects are frozen when it returns."""
    import gc

    from psoreg import cli

    seen: list[bool] = []

    @cli._collector_paused
    def command(x: int) -> int:
        seen.append(gc.isenabled())
        return x + 1

    assert gc.isenabled() and command.__name__ == "command"
    frozen = gc.get_freeze_count()
    assert command(1) == 2 and seen == [False] and gc.isenabled()
    assert gc.get_freeze_count() == frozen  # in-process: nothing frozen
    assert cli.summarize.__wrapped__.__name__ == "summarize"  # the signature typer reads

    cli._AS_PROGRAM[0] = True
    try:
        assert command(2) == 3 and seen == [False, False] and gc.isenabled()
        assert gc.get_freeze_count() > frozen
    finally:
        cli._AS_PROGRAM[0] = False
        gc.unfreeze()


def test_summarize_as_the_program_prints_the_same(tmp_path) -> None:
    """The console script (:func:`psoreg.cli.run`: pauses and freezes) and an in-process run
    (collector running again afterwards) print the same summary, text and JSON."""
    from typer.testing import CliRunner

    from psoreg.cli import app

    env = {**os.environ, "PSOREG_CACHE_DIR": str(tmp_path)}
    program = "import sys; from psoreg.cli import run; sys.argv[0] = 'psoreg'; run()"
    for extra in ([], ["--format", "json"]):
        args = ["summarize", str(CASE_SERIES), *extra]
        proc = subprocess.run(
            [sys.executable, "-c", program, *args],
            capture_output=True,
            text=True,
            env={**env, "COLUMNS": "80"},
            check=True,
        )
        res = CliRunner().invoke(app, args, env={"COLUMNS": "80"})
        assert res.exit_code == 0, res.output
        assert proc.stdout == res.stdout and "Paradoxical event" in proc.stdout


def test_console_script_freezes_the_heap_and_keeps_status_and_output(tmp_path) -> None:
    """``psoreg`` is :func:`psoreg.cli.run`: the command's output and exit status are those of
    the app, and afterwards the live objects are frozen (no collector passes at exit)."""
    from importlib.metadata import entry_points

    (script,) = [e for e in entry_points(group="console_scripts") if e.name == "psoreg"]
    assert script.value == "psoreg.cli:run"
    code = """
import gc, sys
from psoreg.cli import run
sys.argv = ["psoreg", *sys.argv[1:]]
try:
    run()
except SystemExit as exc:
    print("STATUS", exc.code, "FROZEN", gc.get_freeze_count() > 0, file=sys.stderr)
"""
    out = tmp_path / "r.csv"
    args = ["outcomes", str(CASE_SERIES), "--out", str(out)]
    ok = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True)
    assert ok.stderr.splitlines()[-1] == "STATUS 0 FROZEN True", ok.stderr
    assert out.read_text().count("\n") == 1 + 8  # the header and the case series' 8 courses
    bad = subprocess.run(
        [sys.executable, "-c", code, "summarize", str(tmp_path / "missing.csv")],
        capture_output=True,
        text=True,
    )
    assert bad.stderr.splitlines()[-1] == "STATUS 2 FROZEN True", bad.stderr

"""Fuzz suite: hostile inputs never give a traceback, and never different figures with exit 0.

Each test draws its inputs with hypothesis (``tests/fuzz_inputs.py``); together they run
``sum(EXAMPLES.values())`` (≥ 500) inputs per test run, in well under a minute of CPU:

* mutations of ``examples/`` (the abstracted case series, and each table of the visit cohort):
  a *preserving* mutation must load to exactly the clean file's cohort (every table, every
  value: the figures are computed from these); a *damaging* one must be refused - the command
  line exits 2, and every problem names the file and (for a problem of a row) row and column;
* hostile CSV, XLSX and JSON from scratch: exit 0 or exit 2 with problems named, never
  anything else.

The outcome engine is deterministic on equal cohorts, so an equal cohort means equal figures;
comparing cohorts keeps the suite fast (the engine itself is tested elsewhere).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from psoreg.cases.cli import cases_app
from psoreg.cli import app
from psoreg.cohort import SCHEMAS, Cohort
from psoreg.errors import ImportFailed
from psoreg.io import load
from tests.conftest import CASE_SERIES, VISIT_COHORT
from tests.fuzz_inputs import (
    CORPUS,
    VISIT_TABLES,
    Mutant,
    Rendering,
    hostile_csv,
    hostile_json,
    hostile_xlsx,
    mutate,
    render,
)

#: inputs per test: at least 500 in all
EXAMPLES = {
    "abstracted": 200,
    "visits": 150,
    "csv": 70,
    "xlsx": 30,
    "json": 60,
}
RAN: dict[str, int] = dict.fromkeys(EXAMPLES, 0)
runner = CliRunner()


def fuzz(n: int):  # type: ignore[no-untyped-def]
    return settings(
        max_examples=n,
        deadline=None,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                               HealthCheck.function_scoped_fixture],
    )  # fmt: skip


def test_the_suite_runs_at_least_500_inputs() -> None:
    assert sum(EXAMPLES.values()) >= 500


def same_cohort(a: Cohort, b: Cohort, what: str) -> None:
    for t in SCHEMAS:
        pd.testing.assert_frame_equal(getattr(a, t), getattr(b, t), obj=f"{what}: {t}")
    # the source's own judgements (their row numbers move with blank lines: not a figure)
    assert {k: v for k, (_, v) in a.recorded_success.items()} == {
        k: v for k, (_, v) in b.recorded_success.items()
    }, what


def refused_well(path: Path, what: str) -> None:
    """Exit 2 through the command line; each problem names file and, for a row, its column."""
    with pytest.raises(ImportFailed) as exc:  # first, cheaply: no figures computed
        load(path)
    assert exc.value.errors, what
    for e in exc.value.errors:
        if e.row is not None and e.row > 1:
            assert e.column, (what, str(e))
    res = runner.invoke(app, ["summarize", str(path)], env={"COLUMNS": "400"})
    assert res.exit_code == 2, (what, res.exit_code, res.output, res.exception)
    assert "Traceback" not in res.output, what
    lines = res.stderr.strip().splitlines()
    assert "nothing was imported" in lines[0], (what, res.stderr)


def _clean(table: str) -> Cohort:
    return load(CASE_SERIES if table == "abstracted" else VISIT_COHORT)


CLEAN: dict[str, Cohort] = {}


def clean(table: str) -> Cohort:
    key = "abstracted" if table == "abstracted" else "visits"
    if key not in CLEAN:
        CLEAN[key] = _clean(table)
    return CLEAN[key]


def _place(tmp: Path, table: str, m: Mutant) -> Path:
    """The mutant where a reader finds it: a file, or one table of a copy of the cohort."""
    if table == "abstracted":
        path = tmp / f"series{m.suffix}"
        path.write_bytes(m.data)
        return path
    folder = tmp / "cohort"
    if folder.exists():
        shutil.rmtree(folder)
    shutil.copytree(VISIT_COHORT, folder)
    (folder / f"{table}.csv").unlink()
    (folder / f"{table}{m.suffix}").write_bytes(m.data)
    return folder


def _reference(tmp: Path, table: str, m: Mutant) -> Cohort:
    if m.reference is None:
        return clean(table)
    ref = Mutant(render(m.reference, Rendering()), ".csv", "reference", False)
    sub = tmp / "reference"
    sub.mkdir(exist_ok=True)
    return load(_place(sub, table, ref))


def check(tmp: Path, table: str, m: Mutant) -> None:
    path = _place(tmp, table, m)
    what = f"{table}: {m.name}"
    if m.damaging:
        refused_well(path, what)
        return
    try:
        got = load(path)
    except ImportFailed as exc:
        raise AssertionError(f"{what}: a preserving mutation was refused: {exc}") from None
    same_cohort(got, _reference(tmp, table, m), what)


@fuzz(EXAMPLES["abstracted"])
@given(data=st.data(), damaging=st.booleans())
def test_mutations_of_the_case_series(tmp_path_factory, data, damaging) -> None:
    tmp = tmp_path_factory.mktemp("abstracted")
    m = mutate(data.draw, "abstracted", CORPUS["abstracted"], damaging)
    check(tmp, "abstracted", m)
    RAN["abstracted"] += 1


@fuzz(EXAMPLES["visits"])
@given(data=st.data(), table=st.sampled_from(VISIT_TABLES), damaging=st.booleans())
def test_mutations_of_the_visit_cohort(tmp_path_factory, data, table, damaging) -> None:
    tmp = tmp_path_factory.mktemp("visits")
    m = mutate(data.draw, table, CORPUS[table], damaging)
    check(tmp, table, m)
    RAN["visits"] += 1


def exit_0_or_2(args: list[str], what: str, cli=app) -> None:  # type: ignore[no-untyped-def]
    res = runner.invoke(cli, args, env={"COLUMNS": "400"})
    assert res.exit_code in (0, 2), (what, res.exit_code, res.output, repr(res.exception))
    assert "Traceback" not in res.output
    if res.exit_code == 2:
        assert res.stderr.strip(), what


@fuzz(EXAMPLES["csv"])
@given(data=hostile_csv())
def test_hostile_csv(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("csv") / "hostile.csv"
    path.write_bytes(data)
    try:
        load(path)
    except ImportFailed as exc:
        assert exc.errors
        for e in exc.errors:
            assert e.row is None or e.row == 1 or e.column, str(e)
    exit_0_or_2(["doses", str(path)], "hostile csv")
    RAN["csv"] += 1


@fuzz(EXAMPLES["xlsx"])
@given(data=hostile_xlsx())
def test_hostile_xlsx(tmp_path_factory, data) -> None:
    path = tmp_path_factory.mktemp("xlsx") / "hostile.xlsx"
    path.write_bytes(data)
    try:
        load(path)
    except ImportFailed as exc:
        for e in exc.errors:
            assert e.row is None or e.row == 1 or e.column, str(e)
    exit_0_or_2(["doses", str(path)], "hostile xlsx")
    RAN["xlsx"] += 1


@fuzz(EXAMPLES["json"])
@given(data=hostile_json())
def test_hostile_json_case_files(tmp_path_factory, data) -> None:
    tmp = tmp_path_factory.mktemp("json")
    path = tmp / "cases.json"
    path.write_bytes(data)
    exit_0_or_2(["import", str(path), "--library", str(tmp / "lib.json")], "json", cases_app)
    RAN["json"] += 1


def test_at_least_500_inputs_ran() -> None:
    """Counted, not configured: hypothesis really ran ≥ 500 inputs (when the module ran)."""
    if not all(RAN.values()):
        pytest.skip("only part of the fuzz module was selected")
    assert sum(RAN.values()) >= 500, RAN

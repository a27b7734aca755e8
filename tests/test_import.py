"""Importing files: bad input is refused with row, column and what was expected; nothing is
half-imported. Files are real CSV and Excel files written to a temporary folder."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.errors import ImportFailed
from psoreg.io import load, read_abstracted
from tests.conftest import CASE_SERIES, VISIT_COHORT


def _case_series_with(tmp_path: Path, **changes: tuple[int, str]) -> Path:
    """The case series with cells changed: column=(0-based data row, new value)."""
    df = pd.read_csv(CASE_SERIES, dtype=str, keep_default_na=False)
    for col, (row, value) in changes.items():
        df.loc[row, col] = value
    path = tmp_path / "series.csv"
    df.to_csv(path, index=False)
    return path


def _errors(path: Path, **kw) -> list[str]:
    with pytest.raises(ImportFailed) as exc:
        load(path, **kw)
    return [str(e) for e in exc.value.errors]


def test_abstracted_excel_reads_like_csv(tmp_path: Path) -> None:
    xlsx = tmp_path / "series.xlsx"
    pd.read_csv(CASE_SERIES, dtype=str, keep_default_na=False).to_excel(xlsx, index=False)
    a, b = load(CASE_SERIES), load(xlsx)
    pd.testing.assert_frame_equal(a.courses, b.courses)
    pd.testing.assert_frame_equal(a.milestones, b.milestones)
    pd.testing.assert_frame_equal(a.patients, b.patients)


def test_errors_name_row_column_and_expectation(tmp_path: Path) -> None:
    path = _case_series_with(
        tmp_path,
        baseline_pasi=(0, "80"),  # row 2 in the spreadsheet
        age_years=(2, "forty"),  # row 4
        psoriatic_arthritis=(3, "maybe"),  # row 5
        drug=(4, "aspirin"),  # row 6
    )
    errs = _errors(path)
    assert any(e.startswith("row 2, column 'baseline_pasi'") and "72" in e for e in errs), errs
    assert any(e.startswith("row 4, column 'age_years'") and "expected a number" in e for e in errs)
    assert any(e.startswith("row 5, column 'psoriatic_arthritis'") and "yes or no" in e
               for e in errs)  # fmt: skip
    assert any(e.startswith("row 6, column 'drug'") and "ustekinumab" in e for e in errs), errs


def test_impossible_milestones_are_refused(tmp_path: Path) -> None:
    path = _case_series_with(
        tmp_path,
        pasi90_week=(0, "10"),  # before PASI75 (16)
        secondary_failure_week=(1, "-3"),
        pasi75_week=(3, "200"),  # after 41 weeks on treatment
    )
    errs = _errors(path)
    assert any("row 2, column 'pasi90_week'" in e and "before pasi75_week" in e for e in errs)
    assert any("row 3, column 'secondary_failure_week'" in e for e in errs)
    assert any("row 5, column 'pasi75_week'" in e and "after the 41 weeks" in e for e in errs)


def test_relapse_on_an_ongoing_course_is_refused(tmp_path: Path) -> None:
    path = _case_series_with(tmp_path, time_to_relapse_weeks=(7, "10"))
    assert any("row 9, column 'time_to_relapse_weeks'" in e for e in _errors(path))


def test_unknown_and_missing_columns(tmp_path: Path) -> None:
    df = pd.read_csv(CASE_SERIES, dtype=str, keep_default_na=False)
    df = df.rename(columns={"pasi75_week": "pasi75week"}).drop(columns=["patient"])
    path = tmp_path / "bad.csv"
    df.to_csv(path, index=False)
    errs = _errors(path)
    assert any("column 'pasi75week': unknown column" in e for e in errs)
    assert any("column 'patient': required column is missing" in e for e in errs)


def test_visit_level_folder_and_workbook_agree(tmp_path: Path) -> None:
    xlsx = tmp_path / "cohort.xlsx"
    with pd.ExcelWriter(xlsx) as w:
        for f in VISIT_COHORT.glob("*.csv"):
            pd.read_csv(f, dtype=str, keep_default_na=False).to_excel(w, sheet_name=f.stem,
                                                                      index=False)  # fmt: skip
    a, b = load(VISIT_COHORT), load(xlsx)
    pd.testing.assert_frame_equal(a.assessments, b.assessments)
    pd.testing.assert_frame_equal(a.courses, b.courses)


def _visit_copy(tmp_path: Path) -> Path:
    dst = tmp_path / "cohort"
    shutil.copytree(VISIT_COHORT, dst)
    return dst


def _edit(path: Path, table: str, row: int, col: str, value: str) -> None:
    f = path / f"{table}.csv"
    df = pd.read_csv(f, dtype=str, keep_default_na=False)
    df.loc[row, col] = value
    df.to_csv(f, index=False)


@pytest.mark.parametrize(
    ("table", "row", "col", "value", "expect"),
    [
        ("assessments", 20, "head_erythema", "5", "assessments.head_erythema"),
        ("assessments", 20, "trunk_area_percent", "120", "assessments.trunk_area_percent"),
        ("assessments", 0, "week", "-2", "assessments.week"),
        ("assessments", 0, "pasi", "73", "assessments.pasi"),
        ("courses", 5, "stop_date", "2023-01-01", "courses.stop_date"),
        ("assessments", 27, "date", "1970-05-01", "assessments.date"),
        ("courses", 0, "stop_reason", "bored", "courses.stop_reason"),
        ("events", 0, "kind", "mystery", "events.kind"),
    ],
)
def test_visit_level_impossible_values_name_the_field(
    tmp_path: Path, table: str, row: int, col: str, value: str, expect: str
) -> None:
    path = _visit_copy(tmp_path)
    _edit(path, table, row, col, value)
    errs = _errors(path)
    assert any(f"row {row + 2}, column '{expect}'" in e for e in errs), errs


def test_components_disagreeing_with_total_are_refused(tmp_path: Path) -> None:
    path = _visit_copy(tmp_path)
    _edit(path, "assessments", 20, "pasi", "25")
    assert any("differs from the components' 19.3" in e for e in _errors(path))


def test_cli_refuses_bad_file_and_writes_nothing(tmp_path: Path) -> None:
    path = _case_series_with(tmp_path, baseline_pasi=(0, "-1"))
    out = tmp_path / "out.csv"
    res = CliRunner().invoke(app, ["outcomes", str(path), "--out", str(out)])
    assert res.exit_code == 2
    assert "nothing was imported" in res.stderr and "baseline_pasi" in res.stderr
    assert "Traceback" not in res.output
    assert not out.exists()


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(app, ["summarize", str(tmp_path / "nope.csv")])
    assert res.exit_code == 2 and "no such file" in res.stderr


def test_outcomes_command_writes_table_and_definitions(tmp_path: Path) -> None:
    out = tmp_path / "outcomes.csv"
    res = CliRunner().invoke(app, ["outcomes", str(VISIT_COHORT), "--out", str(out)])
    assert res.exit_code == 0, res.output
    df = pd.read_csv(out)
    assert list(df.course_id) == ["C01", "C02", "C03", "C04", "C05", "C06"]
    assert df.set_index("course_id").loc["C02", "week_secondary_failure"] == 36
    prov = (tmp_path / "outcomes.csv.definitions.json").read_text()
    assert "loss_of_pasi50" in prov and "Papp" in prov


def test_outcomes_command_options_and_formats(tmp_path: Path) -> None:
    out = tmp_path / "o.parquet"
    res = CliRunner().invoke(app, ["outcomes", str(VISIT_COHORT), "-o", str(out),
                                   "--relapse-definition", "half_of_best"])  # fmt: skip
    assert res.exit_code == 0, res.output
    df = pd.read_parquet(out).set_index("course_id")
    assert bool(df.loc["C01", "relapse"]) is False  # C01 relapses only by loss of PASI50
    bad = CliRunner().invoke(app, ["outcomes", str(VISIT_COHORT), "--primary-week", "0"])
    assert bad.exit_code == 2 and "--primary-week" in bad.stderr
    bad = CliRunner().invoke(app, ["outcomes", str(VISIT_COHORT), "-o", str(tmp_path / "x.txt")])
    assert bad.exit_code == 2 and "expected a .csv" in bad.stderr


def test_recorded_judgement_disagreeing_is_reported(tmp_path: Path) -> None:
    path = _case_series_with(tmp_path, treatment_success_week12=(0, "yes"))
    res = CliRunner().invoke(app, ["summarize", str(path)], env={"COLUMNS": "200"})
    assert res.exit_code == 0
    assert "row 2 (course 1-1): the file records treatment success = yes" in res.stdout


def test_abstracted_reader_keeps_every_row() -> None:
    c = read_abstracted(CASE_SERIES)
    assert len(c.courses) == 8 and len(c.patients) == 8
    assert len(c.relapses) == 5 and len(c.events) == 1

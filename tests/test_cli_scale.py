"""psoreg synth and psoreg outcomes on a folder of Parquet tables (the scale path of the CLI)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.cohort import Cohort
from psoreg.outcomes import OutcomeOptions, compute_outcomes


def test_synth_then_outcomes_on_parquet_matches_the_in_memory_engine(tmp_path: Path) -> None:
    runner = CliRunner()
    res = runner.invoke(app, ["synth", "--courses", "300", "--seed", "3", "--out", str(tmp_path)])
    assert res.exit_code == 0, res.output
    out = tmp_path / "outcomes.parquet"
    res = runner.invoke(
        app, ["outcomes", str(tmp_path), "--out", str(out), "--relapse-definition", "half_of_best"]
    )
    assert res.exit_code == 0, res.output
    got = pd.read_parquet(out).sort_values("course_id").reset_index(drop=True)
    tables = {
        n: pd.read_parquet(tmp_path / f"{n}.parquet")
        for n in ("patients", "courses", "assessments", "milestones", "events", "relapses")
    }
    want = compute_outcomes(Cohort(**tables), OutcomeOptions(relapse_definition="half_of_best"))
    want = want.table.sort_values("course_id").reset_index(drop=True)
    assert len(got) == 300
    for col in ("course_id", "week_pasi75", "treatment_success", "secondary_failure", "relapse"):
        assert got[col].astype(str).tolist() == want[col].astype(str).tolist(), col
    assert "half_of_best" in (tmp_path / "outcomes.parquet.definitions.json").read_text()


def test_parquet_input_needs_parquet_output_and_a_known_engine(tmp_path: Path) -> None:
    runner = CliRunner()
    runner.invoke(app, ["synth", "--courses", "20", "--out", str(tmp_path)])
    res = runner.invoke(app, ["outcomes", str(tmp_path), "--out", str(tmp_path / "o.csv")])
    assert res.exit_code == 2 and "Parquet input needs a .parquet output" in res.stderr
    res = runner.invoke(
        app, ["outcomes", str(tmp_path), "-o", str(tmp_path / "o.parquet"), "--engine", "pandas"]
    )
    assert res.exit_code == 2 and "--engine" in res.stderr

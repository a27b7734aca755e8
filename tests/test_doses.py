"""Recorded doses against the label schedule (examples/visit-cohort/doses.csv, worked by hand:
C01 ustekinumab, 82 kg, stopped at week 52 -> expected 45 mg at 0, 4, 16, 28, 40, 52; given 90 mg
at week 40 and nothing at 52, the stop week, so not missed by default. C06's dated doses fall on
weeks 0, 4 and 16 of a 20-week course)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from psoreg.cli import app
from psoreg.doses import dose_report
from psoreg.io import load
from tests.conftest import VISIT_COHORT


def test_deviations_of_the_example_cohort() -> None:
    report = dose_report(load(VISIT_COHORT))
    cols = ["course_id", "kind", "week", "expected_dose"]
    got = list(report[cols].itertuples(index=False, name=None))
    assert got == [("C01", "different dose", 40.0, 45.0)]
    assert report.given_dose.iloc[0] == 90


def test_dose_due_on_the_stop_week_is_not_missed_unless_asked() -> None:
    from psoreg.outcomes.options import DoseOptions

    report = dose_report(load(VISIT_COHORT), options=DoseOptions(dose_due_at_stop="missed"))
    cols = ["course_id", "kind", "week", "expected_dose"]
    got = list(report[cols].itertuples(index=False, name=None))
    assert got == [("C01", "different dose", 40.0, 45.0), ("C01", "missed", 52.0, 45.0)]


def test_etanercept_induction_three_months_per_label_or_twelve_weeks_as_an_option() -> None:
    from psoreg.cohort import Cohort
    from psoreg.outcomes.options import DoseOptions

    # 26 twice-weekly doses (weeks 0..12.5, the label's 3 months), then weekly from 13.5
    given = [(w / 2, 50.0) for w in range(26)] + [(13.5, 50.0), (14.5, 50.0)]
    cohort = Cohort(
        patients=pd.DataFrame({"patient_id": ["P"]}),
        courses=pd.DataFrame(
            {"course_id": ["E"], "patient_id": ["P"], "drug": ["etanercept"], "stop_week": [15.0]}
        ),
        doses=pd.DataFrame({"course_id": "E", "week": [w for w, _ in given],
                            "dose_mg": [d for _, d in given]}),
    )  # fmt: skip
    assert dose_report(cohort, tolerance_weeks=0.2).empty
    old = dose_report(
        cohort, tolerance_weeks=0.2, options=DoseOptions(etanercept_induction_weeks=12)
    )
    # a 12-week induction expects 0..11.5 twice weekly then 12.5, 13.5, 14.5: 12.0 is extra
    assert sorted(old.loc[old.kind == "extra", "week"]) == [12.0]


def test_weight_rule_applies_from_the_patient(tmp_path: Path) -> None:
    import shutil

    dst = tmp_path / "c"
    shutil.copytree(VISIT_COHORT, dst)
    pats = pd.read_csv(dst / "patients.csv", dtype=str, keep_default_na=False)
    pats.loc[pats.patient == "P01", "weight_kg"] = "120"  # > 100 kg: 90 mg expected throughout
    pats.to_csv(dst / "patients.csv", index=False)
    kinds = dose_report(load(dst)).query("course_id == 'C01'")
    assert sorted(kinds.week[kinds.kind == "different dose"]) == [0.0, 4.0, 16.0, 28.0]


def test_doses_and_schedule_commands() -> None:
    res = CliRunner().invoke(app, ["doses", str(VISIT_COHORT)], env={"COLUMNS": "200"})
    assert res.exit_code == 0, res.output
    assert "week 40: expected 45 mg, given 90 mg" in res.stdout
    res = CliRunner().invoke(app, ["schedule", "stelara", "--until", "30", "--weight", "120"])
    assert res.exit_code == 0 and res.stdout.count("90 mg") >= 3 and "45 mg" not in res.stdout
    res = CliRunner().invoke(app, ["schedule", "aspirin"])
    assert res.exit_code == 2 and "drug: got 'aspirin'" in res.stderr


def test_dose_table_rejects_bad_rows(tmp_path: Path) -> None:
    import shutil

    from psoreg.errors import ImportFailed

    dst = tmp_path / "c"
    shutil.copytree(VISIT_COHORT, dst)
    (dst / "doses.csv").write_text("course,week,date,dose_mg\nC01,0,,-45\nC99,4,,45\n")
    try:
        load(dst)
    except ImportFailed as exc:
        msgs = [str(e) for e in exc.errors]
    else:
        raise AssertionError("a negative dose was accepted")
    assert any("row 2, column 'doses.dose_mg'" in m for m in msgs), msgs
    assert any("row 3, column 'doses.course'" in m and "C99" in m for m in msgs), msgs

"""The visit-level example cohort: every outcome against the hand-worked examples/visit-cohort/
OUTCOMES.md (values typed from that table, not from the engine)."""

from __future__ import annotations

import math

import pytest

from psoreg.io import load
from psoreg.outcomes import OutcomeOptions, compute_outcomes
from tests.conftest import VISIT_COHORT

N = None  # not reached / not applicable
EXPECTED = {
    #        base  p50  p75  p90  p100  le2  le3  prim  succ   minim  sf    sfwk  wks  rel50 w50  relhalf whalf rebound parad
    "C01": (20.0, 12, 12, 16, N, 16, 16, 12, True, True, False, N, 52, True, 28, False, N, False, False),
    "C02": (15.0, 11, 16, N, N, N, 16, 11, False, True, True, 36, 40, N, N, N, N, N, False),
    "C03": (12.0, 12, 12, 12, 12, 12, 12, 12, True, True, False, N, 30, N, N, N, N, N, False),
    "C04": (19.3, 8, 20, N, N, N, N, N, N, N, False, N, 20, N, N, N, N, N, True),
    "C05": (30.0, 12, 12, 24, N, N, 24, 12, True, True, False, N, 24, True, 8, True, 8, True, False),
    "C06": (10.0, N, N, N, N, N, N, 12, False, False, False, N, 20, N, N, N, N, N, False),
}  # fmt: skip
COLUMNS = (
    "baseline_pasi", "week_pasi50", "week_pasi75", "week_pasi90", "week_pasi100", "week_pasi_le2",
    "week_pasi_le3", "primary_visit_week", "treatment_success", "minimal_response",
    "secondary_failure", "week_secondary_failure", "weeks_on_treatment", "relapse_loss_of_pasi50",
    "weeks_to_relapse_loss_of_pasi50", "relapse_half_of_best", "weeks_to_relapse_half_of_best",
    "rebound", "paradoxical_event",
)  # fmt: skip


@pytest.fixture(scope="module")
def table():
    return compute_outcomes(load(VISIT_COHORT), OutcomeOptions()).table.set_index("course_id")


def _is_missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


@pytest.mark.parametrize("course", sorted(EXPECTED))
def test_course_outcomes_match_hand_worked_table(table, course: str) -> None:
    row = table.loc[course]
    for col, want in zip(COLUMNS, EXPECTED[course], strict=True):
        got = row[col]
        if want is None:
            assert _is_missing(got), f"{course}.{col}: expected nothing, got {got!r}"
        elif isinstance(want, bool):
            assert not _is_missing(got) and bool(got) is want, f"{course}.{col}: {got!r}"
        else:
            assert got == pytest.approx(want, abs=1e-9), f"{course}.{col}: {got!r} != {want}"


def test_primary_failure_and_recorded_relapse(table) -> None:
    assert bool(table.loc["C06", "primary_failure"]) is True
    assert table.loc["C05", "relapse_morphology"] == "plaque;erythrodermic"
    assert bool(table.loc["C05", "rebound_ema"]) is True
    assert table.loc["C04", "paradoxical_morphology"] == "palmoplantar pustular"
    assert table.loc["C02", "n_adverse_events"] == 1
    # C01 stopped with no rebound but 28 weeks of follow-up
    assert table.loc["C01", "relapse_followup_weeks"] == 28


def test_non_responder_imputation_counts_missed_window_as_failure() -> None:
    t = compute_outcomes(load(VISIT_COHORT), OutcomeOptions(missing_primary_as_failure=True)).table
    assert bool(t.set_index("course_id").loc["C04", "treatment_success"]) is False


def test_wider_window_or_drug_week_changes_the_primary_visit() -> None:
    cohort = load(VISIT_COHORT)
    wide = compute_outcomes(cohort, OutcomeOptions(window_before=4, window_after=8)).table
    assert wide.set_index("course_id").loc["C04", "primary_visit_week"] == 8
    # ustekinumab's label week is 16 (MIMS): C01's week-16 visit (92.5%) is then primary
    by_drug = compute_outcomes(cohort, OutcomeOptions(primary_week_by_drug=True)).table
    t = by_drug.set_index("course_id")
    assert t.loc["C01", "primary_week"] == 16 and t.loc["C01", "primary_visit_week"] == 16
    assert t.loc["C03", "primary_week"] == 12  # secukinumab: week 12
    assert _is_missing(t.loc["C04", "primary_visit_week"])  # visits at 8 and 20, window 14-18

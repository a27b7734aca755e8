"""Each outcome definition and option on small hand-built trajectories (values worked by hand)."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from psoreg.cohort import Cohort
from psoreg.outcomes import OutcomeOptions, compute_outcomes


def run(visits: list[tuple[float, float]], opts: OutcomeOptions | None = None, **course) -> dict:
    """Outcomes of one course with ``visits`` as (week, PASI)."""
    crs = {"course_id": "c", "patient_id": "p", "drug": "ustekinumab", **course}
    events = course.pop("events", None)
    crs.pop("events", None)
    cohort = Cohort(
        courses=pd.DataFrame([crs]),
        assessments=pd.DataFrame(
            [{"course_id": "c", "week": w, "pasi": p} for w, p in visits],
            columns=["course_id", "week", "pasi"],
        ),
        events=pd.DataFrame(events or [], columns=["course_id", "kind", "week",
                                                   "rebound_morphology"]),
    )  # fmt: skip
    return compute_outcomes(cohort, opts).table.iloc[0].to_dict()


def missing(v: object) -> bool:
    return v is None or (isinstance(v, float) and math.isnan(v))


def test_exact_threshold_counts_as_reached() -> None:
    # 2.8 -> 0.7 is exactly 75% (binary floats make it 74.99999999999999)
    r = run([(0, 2.8), (12, 0.7)])
    assert r["week_pasi75"] == 12 and bool(r["treatment_success"])


def test_just_below_threshold_is_not_reached() -> None:
    r = run([(0, 20), (12, 5.01)])
    assert missing(r["week_pasi75"]) and r["week_pasi50"] == 12
    assert bool(r["treatment_success"]) is False and bool(r["minimal_response"]) is True


def test_pasi100_needs_zero_and_absolute_targets() -> None:
    r = run([(0, 10), (4, 3), (8, 2), (12, 0.1), (16, 0)])
    assert (r["week_pasi_le3"], r["week_pasi_le2"], r["week_pasi90"], r["week_pasi100"]) == (
        4, 8, 12, 16)  # fmt: skip


def test_baseline_zero_leaves_response_undefined() -> None:
    r = run([(0, 0), (12, 0)])
    assert missing(r["week_pasi50"]) and missing(r["improvement_at_primary"])
    assert missing(r["treatment_success"])
    assert r["week_pasi_le2"] == 12  # absolute targets need no baseline


def test_baseline_look_back_and_stated_baseline() -> None:
    visits = [(-6, 20), (12, 5)]
    assert missing(run(visits)["baseline_pasi"])  # 6 weeks before start > 4-week look-back
    r = run(visits, OutcomeOptions(baseline_lookback_weeks=8))
    assert r["baseline_pasi"] == 20 and bool(r["treatment_success"])
    assert run(visits, baseline_pasi=10.0)["baseline_pasi"] == 10  # the course's own wins


def test_latest_pre_treatment_visit_is_baseline() -> None:
    assert run([(-3, 30), (-1, 20), (12, 5)])["baseline_pasi"] == 20


def test_primary_window_nearest_visit_ties_go_to_the_earlier() -> None:
    r = run([(0, 20), (10, 4), (14, 12)])
    assert r["primary_visit_week"] == 10 and bool(r["treatment_success"])
    r = run([(0, 20), (11, 12), (14, 4)])
    assert r["primary_visit_week"] == 11 and bool(r["treatment_success"]) is False


def test_visit_outside_window_is_not_assessable() -> None:
    r = run([(0, 20), (9, 2), (15, 2)])
    assert missing(r["treatment_success"]) and missing(r["primary_failure"])
    assert bool(run([(0, 20), (9, 2), (15, 2)], OutcomeOptions(window_before=3))[
        "treatment_success"])  # fmt: skip


def test_primary_failure() -> None:
    r = run([(0, 20), (12, 12)])
    assert bool(r["primary_failure"]) is True and bool(r["minimal_response"]) is False


def test_secondary_failure_with_and_without_confirmation() -> None:
    visits = [(0, 20), (12, 4), (24, 12), (36, 4), (48, 11), (60, 12)]
    assert run(visits)["week_secondary_failure"] == 24
    confirmed = run(visits, OutcomeOptions(secondary_failure_confirmation=True))
    assert confirmed["week_secondary_failure"] == 48  # 24 alone is not confirmed at 36
    never = run([(0, 20), (12, 4), (24, 12)], OutcomeOptions(secondary_failure_confirmation=True))
    assert bool(never["secondary_failure"]) is False  # no second visit to confirm


def test_loss_after_stopping_is_relapse_not_secondary_failure() -> None:
    r = run([(0, 20), (12, 4), (24, 4), (30, 15)], stop_week=24.0)
    assert bool(r["secondary_failure"]) is False
    assert bool(r["relapse_loss_of_pasi50"]) and r["weeks_to_relapse_loss_of_pasi50"] == 6


def test_stop_with_no_later_visit_leaves_relapse_unknown() -> None:
    r = run([(0, 20), (12, 4), (24, 4)], stop_week=24.0)
    assert missing(r["relapse_loss_of_pasi50"]) and missing(r["relapse_followup_weeks"])
    assert missing(r["rebound"])
    assert r["weeks_on_treatment"] == 24 and bool(r["survival_event"])


def test_relapse_under_one_definition_but_not_the_other() -> None:
    # best 90% (PASI 2 of 20): half of best = 45%; 48% is a loss of PASI50 but not of half the best
    r = run([(0, 20), (12, 2), (24, 2), (36, 10.4)], stop_week=24.0)
    assert bool(r["relapse_loss_of_pasi50"]) and r["weeks_to_relapse_loss_of_pasi50"] == 12
    assert bool(r["relapse_half_of_best"]) is False
    head = run([(0, 20), (12, 2), (24, 2), (36, 10.4)],
               OutcomeOptions(relapse_definition="half_of_best"), stop_week=24.0)  # fmt: skip
    assert bool(head["relapse"]) is False and missing(head["weeks_to_relapse"])
    # a modest best (60%) halves to 30%: 29% is a relapse under both (half-of-best relapse always
    # implies loss of PASI50 for a course responding at the stop, as best <= 100%)
    r2 = run([(0, 20), (12, 8), (24, 8), (30, 14.2)], stop_week=24.0)
    assert bool(r2["relapse_half_of_best"]) and r2["weeks_to_relapse_half_of_best"] == 6
    assert bool(r2["relapse_loss_of_pasi50"])


def test_not_responding_at_stop_is_not_eligible_for_relapse() -> None:
    r = run([(0, 20), (12, 15), (20, 18)], stop_week=16.0)
    assert missing(r["relapse_loss_of_pasi50"]) and missing(r["relapse_half_of_best"])


def test_rebound_windows_npf_three_months_ema_two() -> None:
    r = run([(0, 20), (12, 4), (24, 4), (34, 26)], stop_week=24.0)  # 10 weeks after, 130%
    assert bool(r["rebound_npf"]) is True and bool(r["rebound_ema"]) is False
    r = run([(0, 20), (12, 4), (24, 4), (32, 24)], stop_week=24.0)  # 120% only
    assert bool(r["rebound_npf"]) is False


def test_rebound_from_new_erythrodermic_or_gpp_event() -> None:
    ev = [{"course_id": "c", "kind": "adverse", "week": 30.0, "rebound_morphology": True}]
    r = run([(0, 20), (12, 4), (24, 4)], stop_week=24.0, events=ev)
    assert bool(r["rebound_npf"]) and bool(r["rebound_ema"])


def test_drug_survival_failure_only_censors_other_stops() -> None:
    opts = OutcomeOptions(survival_events="failure_stop")
    assert (
        bool(run([(0, 20)], opts, stop_week=30.0, stop_reason="remission")["survival_event"])
        is False
    )
    assert bool(run([(0, 20)], opts, stop_week=30.0, stop_reason="inefficacy")["survival_event"])
    ongoing = run([(0, 20), (12, 3)], followup_week=40.0)
    assert ongoing["weeks_on_treatment"] == 40 and bool(ongoing["survival_event"]) is False


def test_paradoxical_latency_from_first_dose() -> None:
    ev = [
        {"course_id": "c", "kind": "paradoxical", "week": 24.0, "rebound_morphology": False},
        {"course_id": "c", "kind": "paradoxical", "week": 30.0, "rebound_morphology": False},
    ]
    r = run([(0, 20)], events=ev)
    assert bool(r["paradoxical_event"]) and r["week_paradoxical_event"] == 24
    assert r["n_paradoxical_events"] == 2


def test_options_reject_impossible_values() -> None:
    with pytest.raises(ValueError, match="primary_week"):
        OutcomeOptions(primary_week=-1)
    with pytest.raises(ValueError, match="relapse_definition"):
        OutcomeOptions(relapse_definition="whatever")


def test_every_option_names_a_definition() -> None:
    for o in OutcomeOptions().describe():
        assert o["definition"], o["option"]

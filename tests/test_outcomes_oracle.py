"""Property test: the Ibis engine agrees with the reference implementation on random cohorts."""

from __future__ import annotations

import ibis
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from psoreg.cohort import Cohort
from psoreg.outcomes import OutcomeOptions, compute_outcomes
from tests.oracle import ORACLE_COLUMNS, reference_outcomes, same

CON = ibis.duckdb.connect()
FRACTIONS = [0.0, 0.1, 0.25, 0.3, 0.5, 0.55, 0.75, 1.0, 1.25, 1.4]


@st.composite
def course(draw: st.DrawFn, cid: str) -> tuple[dict, list[dict], list[dict], list[dict]]:
    base = draw(st.sampled_from([0.0, 4.0, 10.0, 14.3, 20.0, 33.3, 60.0]))
    # a clinic schedule (every 2, 4 or 6 weeks) with missed visits and some off-schedule ones,
    # so window edges and visits equidistant from the primary week are common
    step = draw(st.sampled_from([2, 4, 6]))
    planned = range(draw(st.sampled_from([-4, -2, 0])), draw(st.integers(0, 90)), step)
    kept = draw(st.lists(st.booleans(), min_size=len(planned), max_size=len(planned)))
    weeks = [w for w, k in zip(planned, kept, strict=True) if k]
    weeks += draw(st.lists(st.integers(-6, 90).map(lambda x: x + 0.5), max_size=3))
    weeks = sorted(set(weeks))
    visits = []
    dlqi = st.one_of(st.none(), st.integers(0, 30).map(float))
    for w in weeks:
        f = draw(st.one_of(st.sampled_from(FRACTIONS), st.floats(0, 1.5)))
        visits.append({"course_id": cid, "week": float(w), "pasi": round(min(72.0, base * f), 2),
                       "dlqi": draw(dlqi)})  # fmt: skip
    if draw(st.booleans()):  # a baseline visit at week 0
        visits.append({"course_id": cid, "week": 0.0, "pasi": base, "dlqi": draw(dlqi)})
        visits = list({v["week"]: v for v in visits}.values())
    stop = draw(st.one_of(st.none(), st.integers(1, 70).map(float)))
    stated = draw(st.one_of(st.none(), st.just(base)))
    crs = {
        "course_id": cid,
        "patient_id": f"p{cid}",
        "drug": "ustekinumab",
        "stop_week": stop,
        "baseline_pasi": stated,
        "baseline_dlqi": draw(st.one_of(st.none(), st.integers(0, 30).map(float))),
        # month ends and leap days make calendar-month windows differ from day counts
        "start_date": draw(st.one_of(st.none(), st.sampled_from(
            ["2023-11-30", "2023-12-31", "2024-01-31", "2024-02-29", "2024-06-15"]))),
        "followup_week": draw(st.one_of(st.none(), st.just(90.0))) if stop is None else None,
    }  # fmt: skip
    events = [
        {
            "course_id": cid,
            "kind": draw(st.sampled_from(["paradoxical", "adverse"])),
            "week": float(draw(st.integers(0, 90))),
            "rebound_morphology": draw(st.booleans()),
            "pustular": draw(st.booleans()),
        }
        for _ in range(draw(st.integers(0, 2)))
    ]
    episodes = []
    if stop is not None and draw(st.booleans()):
        episodes.append(
            {
                "course_id": cid,
                "weeks_after_stop": float(draw(st.integers(1, 30))),
                "rebound_morphology": draw(st.booleans()),
                "pustular": draw(st.booleans()),
            }
        )
    return crs, visits, events, episodes


@st.composite
def cohorts(draw: st.DrawFn) -> Cohort:
    n = draw(st.integers(1, 6))
    parts = [draw(course(f"c{i}")) for i in range(n)]
    return Cohort(
        courses=pd.DataFrame([p[0] for p in parts]),
        assessments=pd.DataFrame([v for p in parts for v in p[1]],
                                 columns=["course_id", "week", "pasi", "dlqi"]),
        events=pd.DataFrame([e for p in parts for e in p[2]],
                            columns=["course_id", "kind", "week", "rebound_morphology",
                                     "pustular"]),
        relapses=pd.DataFrame([e for p in parts for e in p[3]],
                              columns=["course_id", "weeks_after_stop", "rebound_morphology",
                                       "pustular"]),
    )  # fmt: skip


options = st.builds(
    OutcomeOptions,
    primary_week=st.sampled_from([12.0, 16.0]),
    window_before=st.sampled_from([0.0, 2.0, 4.0]),
    window_after=st.sampled_from([0.0, 2.0]),
    secondary_failure_confirmation=st.booleans(),
    missing_primary_as_failure=st.booleans(),
    baseline_lookback_weeks=st.sampled_from([0.0, 4.0]),
    rebound_window_unit=st.sampled_from(["days", "calendar_months"]),
    rebound_zero_baseline=st.sampled_from(["not_applicable", "any_pasi"]),
    half_of_best_loss=st.sampled_from(["more_than_half", "at_least_half"]),
    minimal_response_definition=st.sampled_from(["pasi50", "pasi50_dlqi"]),
    dlqi_mcid=st.sampled_from([4, 5]),
    paradoxical_after_stop=st.sampled_from(["flag", "count"]),
    relapse_definition=st.sampled_from(["loss_of_pasi50", "half_of_best"]),
    recorded_relapse=st.sampled_from(["counts", "ignored"]),
)


def assert_agree(engine: pd.DataFrame, oracle: pd.DataFrame) -> None:
    e = engine.set_index("course_id")
    o = oracle.set_index("course_id")
    assert list(e.index) == list(o.index)
    for cid in o.index:
        for col in ORACLE_COLUMNS[1:]:
            assert same(e.at[cid, col], o.at[cid, col]), (
                f"course {cid}, {col}: engine {e.at[cid, col]!r} vs reference {o.at[cid, col]!r}"
            )


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cohort=cohorts(), opts=options)
def test_engine_matches_reference(cohort: Cohort, opts: OutcomeOptions) -> None:
    engine = compute_outcomes(cohort, opts, con=CON).table
    assert_agree(engine, reference_outcomes(cohort, opts))

"""Kaplan–Meier medians and their CIs against values worked out by hand, both conventions.

Hand working (G = Greenwood's sum Σ d/(n(n−d)); z = 1.959964):

**UKMMC drug survival** (weeks on treatment 41, 77, 77, 102, 105, 120, 123; patient 8 censored
at 140). At risk n / events d / S / G at each event time:

====  ==  ==  ==========================  =====================
t     n   d   S                           G
====  ==  ==  ==========================  =====================
41    8   1   7/8 = 0.875                 1/56 = 0.017857
77    7   2   0.875 × 5/7 = 0.625         + 2/35 = 0.075
102   5   1   0.625 × 4/5 = 0.5 (exactly) + 1/20 = 0.125
105   4   1   0.375                       + 1/12 = 0.208333
120   3   1   0.25                        + 1/6 = 0.375
123   2   1   0.125                       + 1/2 = 0.875
====  ==  ==  ==========================  =====================

Median: the smallest t with S ≤ 0.5 is **102** (the paper's 102); R's midpoint of the flat
segment at 0.5 is (102 + 105)/2 = **103.5**; lifelines, whose S(102) is 0.5000000000000001,
gives 105.

log-log band, e.g. at 41: log S = −0.133531, v = log(0.133531) = −2.013331, se = √G/|log S| =
1.000749, lower = exp(−exp(v + z·se)) = exp(−exp(−0.051899)) = 0.3870 ≤ 0.5 → lower limit
**41**. Upper band: 0.7749 at 102, 0.6744 at 105, 0.5581 at 120, 0.4227 at 123 → upper limit
**123**. R's default log band: lower = S·exp(−z√G): 0.6734 at 41, 0.3654 at 77 → **77**; upper
= min(1, S·exp(z√G)) ≥ 0.78 throughout → **NA**.

**UKMMC time to PASI75** (4, 4, 12, 16, 16, 16, 17, 42, all reached): S = 0.75, 0.625, 0.25,
0.125, 0 at 4, 12, 16, 17, 42 → median **16** (the paper's 16); log-log lower band 0.3148 at
4 → **4**; upper band 0.5581 at 16, 0.4227 at 17 → **17**.

**UKMMC relapse-free time** (26, 28, 40, 65, 66, all relapses): S = 0.8, 0.6, 0.4, 0.2, 0 →
median **40**; log-log lower 0.2038 at 26 → **26**; upper 0.7528 at 40, 0.5819 at 65, and at 66
S = 0 where the band is undefined → **NA** (as R; lifelines prints 66).

**Visit cohort** (examples/visit-cohort/OUTCOMES.md): time to PASI75 S(12) = 3/6 = 0.5 exactly,
S(16) = 1/3 → **12** (R: **14**; lifelines 16); relapse-free S(8) = 1/2, S(28) = 0 → **8** (R:
**18**); drug survival S(40) = 0.3125 → **40** both ways.
"""

from __future__ import annotations

import math

import pytest

from psoreg.analysis.survival import endpoint_data, kaplan_meier
from psoreg.io import load
from psoreg.outcomes import compute_outcomes
from tests.conftest import CASE_SERIES, VISIT_COHORT

DRUG = ([105, 77, 120, 41, 123, 77, 102, 140], [1, 1, 1, 1, 1, 1, 1, 0])


def _km(durations, events, ci="log-log"):  # noqa: ANN001, ANN202
    return kaplan_meier(durations, [bool(e) for e in events], ci)


def test_drug_survival_table_worked_by_hand() -> None:
    km = _km(*DRUG)
    table = [(s.time, s.at_risk, s.events, s.surv, s.greenwood) for s in km.steps]
    expected = [
        (41, 8, 1, 0.875, 1 / 56),
        (77, 7, 2, 0.625, 1 / 56 + 2 / 35),
        (102, 5, 1, 0.5, 0.125),
        (105, 4, 1, 0.375, 0.125 + 1 / 12),
        (120, 3, 1, 0.25, 0.375),
        (123, 2, 1, 0.125, 0.875),
    ]
    for got, want in zip(table, expected, strict=True):
        assert got[:3] == want[:3]
        assert got[3] == pytest.approx(want[3], abs=1e-12)
        assert got[4] == pytest.approx(want[4], abs=1e-12)
    lows = [round(s.lower, 4) for s in km.steps]
    highs = [round(s.upper, 4) for s in km.steps]
    assert lows[0] == 0.3870 and highs[2:] == [0.7749, 0.6744, 0.5581, 0.4227]


@pytest.mark.parametrize(
    "median, ci, text",
    [
        ("smallest", "log-log", "102 (95% CI 41–123)"),  # psoreg's default (Stata's band)
        ("midpoint", "log-log", "103.5 (95% CI 41–123)"),
        ("midpoint", "log", "103.5 (95% CI 77–NA)"),  # R: print(survfit(...))
        ("smallest", "log", "102 (95% CI 77–NA)"),
    ],
)
def test_ukmmc_drug_survival_median_both_conventions(median, ci, text) -> None:
    assert _km(*DRUG, ci=ci).median(median).text() == text


def test_exact_half_is_found_despite_float_rounding() -> None:
    # 0.625 × (1 − 1/5) is 0.5000000000000001 in lifelines' cumulative product
    from lifelines import KaplanMeierFitter

    kmf = KaplanMeierFitter().fit(DRUG[0], DRUG[1])
    assert kmf.median_survival_time_ == 105  # the off-by-one-event median this module fixes
    km = _km(*DRUG)
    # the curve and the log-log band agree with lifelines (an independent implementation)
    for s in km.steps:
        assert s.surv == pytest.approx(float(kmf.survival_function_.loc[s.time].iloc[0]))
        lo, hi = kmf.confidence_interval_.loc[s.time]
        assert s.lower == pytest.approx(float(lo), abs=1e-9)
        assert s.upper == pytest.approx(float(hi), abs=1e-9)


@pytest.mark.parametrize(
    "endpoint, smallest, midpoint",
    [
        ("pasi75", "16 (95% CI 4–17)", "16 (95% CI 4–17)"),
        ("drug_survival", "102 (95% CI 41–123)", "103.5 (95% CI 41–123)"),
        ("relapse_free", "40 (95% CI 26–NA)", "40 (95% CI 26–NA)"),
    ],
)
def test_case_series_endpoints(endpoint, smallest, midpoint) -> None:
    o = compute_outcomes(load(CASE_SERIES)).table
    d = endpoint_data(o, endpoint)
    km = kaplan_meier(d.duration, d.event)
    assert km.median("smallest").text() == smallest
    assert km.median("midpoint").text() == midpoint


def test_upper_limit_is_na_when_the_last_subject_has_the_event() -> None:
    km = _km([26, 28, 40, 65, 66], [1, 1, 1, 1, 1])
    assert km.steps[-1].surv == 0 and km.steps[-1].lower is None and km.steps[-1].upper is None
    m = km.median()
    assert (m.median, m.lower, m.upper) == (40, 26, None)


@pytest.mark.parametrize(
    "endpoint, smallest, midpoint",
    [
        ("pasi75", 12, 14),  # S(12) = 3/6 exactly
        ("relapse_free", 8, 18),  # S(8) = 1/2 exactly
        ("drug_survival", 40, 40),
    ],
)
def test_visit_cohort_medians_exact_half_both_ways(endpoint, smallest, midpoint) -> None:
    o = compute_outcomes(load(VISIT_COHORT)).table
    d = endpoint_data(o, endpoint)
    km = kaplan_meier(d.duration, d.event)
    assert km.median("smallest").median == smallest
    assert km.median("midpoint").median == midpoint


def test_visit_cohort_relapse_free_ci() -> None:
    # n = 2: S(8) = 0.5, G = 1/(2·1) = 0.5; log-log band at 8: se = √0.5/log 2 = 1.020139,
    # v = log(log 2) = −0.366513; lower = exp(−exp(v + z·se)) = exp(−exp(1.632922)) =
    # exp(−5.1189) = 0.0060 ≤ 0.5 -> lower limit 8;
    # upper = exp(−exp(v − z·se)) = 0.9104, and at 28 S = 0 (undefined) -> NA
    o = compute_outcomes(load(VISIT_COHORT)).table
    d = endpoint_data(o, "relapse_free")
    km = kaplan_meier(d.duration, d.event)
    st = km.steps[0]
    assert st.lower == pytest.approx(0.0060, abs=5e-5)
    assert st.upper == pytest.approx(0.9104, abs=5e-5)
    assert km.median().text() == "8 (95% CI 8–NA)"
    assert km.median("midpoint").text() == "18 (95% CI 8–NA)"  # the band is not at 0.5


def test_not_reached_and_not_estimable() -> None:
    # S(10) = 2/3 and never falls further: not reached; G = 1/6, lower band 0.054 -> 10
    km = _km([10, 20, 30], [1, 0, 0])
    m = km.median()
    assert m.median is None and m.text() == "NR (95% CI 10–NA)"
    assert math.isclose(km.surv_at(30), 2 / 3)


def test_km_rows_and_conventions_are_named_in_the_summary() -> None:
    from psoreg.analysis.summary import summarize

    cohort = load(CASE_SERIES)
    s = summarize(cohort, compute_outcomes(cohort))
    assert s["km_drug_survival"].text == "102 (95% CI 41–123) weeks"
    assert "smallest t with S(t) ≤ 0.5" in s["km_drug_survival"].note
    assert "log-log" in s["km_drug_survival"].note
    r = summarize(cohort, compute_outcomes(cohort), km_median="midpoint", km_ci="log")
    assert r["km_drug_survival"].text == "103.5 (95% CI 77–NA) weeks"


def test_survival_curve_is_the_km_curve_to_the_last_bit() -> None:
    """The dashboard's vectorised curve gives exactly :func:`curve` of :func:`kaplan_meier`
    (ties, censored ties, an event at the last time, all censored, empty)."""
    import random

    from psoreg.analysis.survival import curve, kaplan_meier, survival_curve

    rng = random.Random(5)
    cases = [
        ([3, 3, 3, 5, 5, 8, 8, 8, 12], [1, 0, 1, 1, 1, 0, 0, 1, 1]),
        ([1.5, 2.0, 2.0], [0, 0, 0]),
        ([], []),
        (
            [round(rng.expovariate(0.02), 1) for _ in range(3000)],
            [rng.random() < 0.4 for _ in range(3000)],
        ),
    ]
    for t, e in cases:
        ts, ss, _lo, _hi = curve(kaplan_meier(t, [bool(x) for x in e]))
        assert survival_curve(t, e) == (ts, ss)

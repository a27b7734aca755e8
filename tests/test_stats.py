"""Cohort statistics against values worked by hand (Hyndman & Fan 1996 definitions)."""

from __future__ import annotations

import math

import pytest
from scipy import stats as sps

from psoreg.analysis import correlation, count, fmt, median_iqr, round_half_up

AGES = [50, 46, 38, 29, 44, 26, 49, 21]  # the case series' Table 1


def test_type6_quartiles_by_hand() -> None:
    # sorted 21 26 29 38 44 46 49 50; type 6: position p(n+1) = 2.25 and 6.75
    m = median_iqr(AGES)
    assert (m.median, m.q1, m.q3) == (41.0, 26.75, 48.25)
    assert m.method.startswith("Hyndman-Fan type 6") and m.n == 8


def test_type7_and_type2_by_hand() -> None:
    # type 7: position 1 + p(n-1) = 2.75 and 6.25 -> 28.25, 46.75
    m7 = median_iqr(AGES, "type7")
    assert (m7.q1, m7.q3) == (28.25, 46.75)
    # type 2: np = 2 and 6 are whole -> average of 2nd/3rd and 6th/7th values
    m2 = median_iqr(AGES, "type2")
    assert (m2.q1, m2.q3) == (27.5, 47.5)


def test_missing_values_are_left_out_and_empty_is_reported() -> None:
    assert median_iqr([1, None, float("nan"), 3]).n == 2
    assert median_iqr([]).text() == "— (n=0)"
    with pytest.raises(ValueError, match="quantile method"):
        median_iqr([1, 2], "type9")  # type: ignore[arg-type]


def test_count_states_denominator_and_drops_unknown() -> None:
    c = count([True, False, None, True], "patients with the item recorded")
    assert (c.k, c.n, c.percent) == (2, 3, pytest.approx(66.6667, abs=1e-3))
    assert c.text() == "2/3 (66.7%)"
    assert count([]).text() == "0/0"


def test_half_up_rounding() -> None:
    assert round_half_up(21.35, 1) == 21.4  # Python's round gives 21.4 or 21.3 by float luck
    assert round_half_up(48.25, 1) == 48.3  # round(48.25, 1) == 48.2
    assert round_half_up(14.85, 1) == 14.9
    assert fmt(102.0) == "102" and fmt(None) == "—"


def test_correlations_match_scipy_and_need_three_pairs() -> None:
    x, y = [1, 2, 3, 4, 5], [2, 1, 4, 3, 5]
    s = correlation(x, y)
    ref = sps.spearmanr(x, y)
    assert s.r == pytest.approx(0.8) and s.p == pytest.approx(ref.pvalue) and s.n == 5
    p = correlation(x, y, "pearson")
    assert p.r == pytest.approx(0.8) and p.method == "Pearson"
    assert correlation([1, 2, None], [1, 2, 3]).r is None  # only two complete pairs
    assert correlation([1, 1, 1], [1, 2, 3]).r is None  # constant: undefined
    assert not math.isnan(s.p)


def test_spearman_is_exactly_scipys() -> None:
    """The hand-written Spearman (kept to avoid importing scipy.stats) equals scipy's, ties,
    perfect correlation and small samples included."""
    import numpy as np

    from psoreg.analysis.stats import spearman

    rng = np.random.default_rng(7)
    cases = [
        (np.array([1.0, 2, 3]), np.array([3.0, 1, 2])),
        (np.array([1.0, 2, 3, 4]), np.array([2.0, 4, 6, 8])),  # r = 1
        (np.array([1.0, 2, 3, 4]), np.array([8.0, 6, 4, 2])),  # r = -1
    ]
    for n in (3, 5, 8, 20, 200):
        x = rng.integers(0, 6, n).astype(float)  # many ties
        cases.append((x, x + rng.normal(0, 2, n).round()))
        cases.append((rng.normal(size=n), rng.normal(size=n)))
    for x, y in cases:
        if np.ptp(x) == 0 or np.ptp(y) == 0:
            continue
        ref = sps.spearmanr(x, y)
        r, p = spearman(x, y)
        assert r == float(ref.statistic) and p == float(ref.pvalue), (x, y)


def test_wilson_interval_is_exactly_scipys() -> None:
    """The Wilson score interval (written out to avoid importing scipy.stats) equals scipy's
    binomtest(k, n).proportion_ci(method="wilson") to the last bit, k = 0 and k = n included."""
    from psoreg.analysis.stats import Count

    for level in (0.9, 0.95, 0.99):
        for n in range(1, 41):
            for k in range(n + 1):
                ref = sps.binomtest(k, n).proportion_ci(confidence_level=level, method="wilson")
                assert Count(k, n).wilson(level) == (float(ref.low), float(ref.high)), (k, n)
    assert Count(0, 0).wilson() is None
    assert Count(3, 8).ci_text() == "37.5% (95% CI 13.7–69.4)"

"""2×2 measures on hand-worked tables (PRR, ROR, CIs, Yates χ², IC with exact gamma limits)."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy import stats

from psoreg.signals.measures import chi2_yates, information_component, prr, ror, two_by_two


def test_prr_ror_hand_worked():
    # a=20, b=80, c=100, d=1800: PRR = (20/100)/(100/1900) = 3.8; ROR = 20*1800/(80*100) = 4.5
    t = two_by_two(20, 80, 100, 1800)
    p, lo, hi = prr(t)
    assert p[0] == pytest.approx(3.8)
    se = math.sqrt(1 / 20 - 1 / 100 + 1 / 100 - 1 / 1900)
    assert lo[0] == pytest.approx(3.8 * math.exp(-1.96 * se))
    assert hi[0] == pytest.approx(3.8 * math.exp(1.96 * se))
    r, rlo, rhi = ror(t)
    assert r[0] == pytest.approx(4.5)
    se = math.sqrt(1 / 20 + 1 / 80 + 1 / 100 + 1 / 1800)
    assert (rlo[0], rhi[0]) == pytest.approx(
        (4.5 * math.exp(-1.96 * se), 4.5 * math.exp(1.96 * se))
    )
    assert t.expected()[0] == pytest.approx(100 * 120 / 2000)


def test_chi2_yates_matches_formula_and_scipy():
    a, b, c, d = 20, 80, 100, 1800
    n = a + b + c + d
    hand = n * (abs(a * d - b * c) - n / 2) ** 2 / ((a + b) * (c + d) * (a + c) * (b + d))
    assert chi2_yates(two_by_two(a, b, c, d))[0] == pytest.approx(hand)
    for table in ([3, 7, 2, 90], [1, 0, 4, 50], [0, 5, 2, 193], [12, 3, 40, 1000]):
        ours = chi2_yates(two_by_two(*table))[0]
        ref = stats.chi2_contingency(np.array(table).reshape(2, 2), correction=True)[0]
        assert ours == pytest.approx(ref), table


def test_zero_cells():
    # a = 0: PRR and ROR are 0, their CIs undefined
    t = two_by_two(0, 5, 2, 193)
    assert prr(t)[0][0] == 0 and np.isnan(prr(t)[1][0]) and np.isnan(prr(t)[2][0])
    assert ror(t)[0][0] == 0 and np.isnan(ror(t)[1][0])
    # c = 0: the drug has every report of the event -> infinite ratios, CIs undefined
    t = two_by_two(3, 5, 0, 192)
    assert math.isinf(prr(t)[0][0]) and math.isinf(ror(t)[0][0]) and np.isnan(ror(t)[2][0])
    # b = 0: ROR infinite, PRR finite (a/(a+b) = 1)
    t = two_by_two(4, 0, 6, 90)
    assert prr(t)[0][0] == pytest.approx(1 / (6 / 96)) and math.isinf(ror(t)[0][0])
    # an empty margin: chi2 undefined
    assert np.isnan(chi2_yates(two_by_two(0, 0, 5, 10))[0])
    # Haldane-Anscombe: +0.5 to all four cells of a table holding a zero
    h = two_by_two(0, 5, 2, 193).corrected("haldane")
    assert ror(h)[0][0] == pytest.approx(0.5 * 193.5 / (5.5 * 2.5))
    assert np.isfinite(ror(h)[1][0])
    # tables without a zero are left alone
    assert ror(two_by_two(20, 80, 100, 1800).corrected("haldane"))[0][0] == pytest.approx(4.5)


def test_negative_or_missing_counts_refused():
    with pytest.raises(ValueError, match="cell b"):
        two_by_two(1, -1, 3, 4)
    with pytest.raises(ValueError, match="cell d"):
        two_by_two(1, 1, 3, float("nan"))


def test_information_component_exact_gamma_limits():
    # O = 5, E = 1.2: IC = log2(5.5/1.7); limits from gamma(5.5, rate 1.7)
    ic, lo, hi = information_component(5, 1.2)
    assert ic == pytest.approx(math.log2(5.5 / 1.7))
    g = stats.gamma(5.5, scale=1 / 1.7)
    assert lo == pytest.approx(math.log2(g.ppf(0.025)))
    assert hi == pytest.approx(math.log2(g.ppf(0.975)))
    # O = 0: shrinks towards 0 from below, finite limits
    ic0, lo0, hi0 = information_component(0, 0.3)
    assert ic0 == pytest.approx(math.log2(0.5 / 0.8)) and np.isfinite(lo0) and hi0 > ic0

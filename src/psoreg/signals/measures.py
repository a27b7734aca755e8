"""Disproportionality measures of a drug × event 2×2 table, vectorised over many pairs.

The 2×2 table of spontaneous reports (``a`` drug & event, ``b`` drug & other events, ``c`` other
drugs & event, ``d`` the rest; N = a + b + c + d) gives, per pair:

* **PRR** = [a/(a+b)] / [c/(c+d)], 95 % CI exp(ln PRR ± 1.96·√(1/a − 1/(a+b) + 1/c − 1/(c+d)))
  (Evans et al., *Pharmacoepidemiol Drug Saf* 2001;10:483);
* **ROR** = ad/bc, 95 % CI exp(ln ROR ± 1.96·√(1/a + 1/b + 1/c + 1/d)) (van Puijenbroek 2002);
* **χ² with Yates' correction** = N·max(0, |ad − bc| − N/2)² / [(a+b)(c+d)(a+c)(b+d)]: the
  README's formula, with the correction clipped at zero as Yates and ``scipy.stats.
  chi2_contingency(correction=True)`` do (unclipped, a table with |ad − bc| < N/2 would get a
  large χ² for no association);
* **IC** with Norén's shrinkage: IC = log2((O + 0.5)/(E + 0.5)), credibility limits log2 of the
  0.025 and 0.975 quantiles of gamma(shape O + 0.5, rate E + 0.5) (Norén et al., *Stat Methods
  Med Res* 2013;22:57), exact gamma quantiles (no normal approximation).

Zero cells: a ratio whose numerator is 0 is 0 and one whose denominator is 0 is +inf; a CI that
needs ln(0) or 1/0 is NaN (shown as "NA"). ``zero_correction="haldane"`` adds 0.5 to all four
cells of any table holding a zero (Haldane–Anscombe) before PRR, ROR and their CIs; it is off
by default so that the numbers are those of the README's formulas.

MGPS (DuMouchel, *Am Stat* 1999;53:177) lives in :mod:`psoreg.signals.mgps`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy import special

__all__ = [
    "Z95",
    "ZeroCorrection",
    "TwoByTwo",
    "chi2_yates",
    "information_component",
    "prr",
    "ror",
    "two_by_two",
]

#: The normal quantile of a two-sided 95 % interval (1.96, as the formulas are published).
Z95 = 1.96

ZeroCorrection = Literal["none", "haldane"]


@dataclass(frozen=True)
class TwoByTwo:
    """The four cells as float arrays (so that 0.5 corrections and inf/NaN are representable)."""

    a: np.ndarray
    b: np.ndarray
    c: np.ndarray
    d: np.ndarray

    @property
    def n(self) -> np.ndarray:
        return self.a + self.b + self.c + self.d

    def expected(self) -> np.ndarray:
        """E = (a+b)(a+c)/N, the count expected if drug and event were independent."""
        with np.errstate(divide="ignore", invalid="ignore"):
            return (self.a + self.b) * (self.a + self.c) / self.n

    def corrected(self, how: ZeroCorrection) -> TwoByTwo:
        if how == "none":
            return self
        if how != "haldane":
            raise ValueError(f"zero_correction: got {how!r}; expected none or haldane")
        zero = (self.a == 0) | (self.b == 0) | (self.c == 0) | (self.d == 0)
        add = np.where(zero, 0.5, 0.0)
        return TwoByTwo(self.a + add, self.b + add, self.c + add, self.d + add)


def two_by_two(a: object, b: object, c: object, d: object) -> TwoByTwo:
    """Validate and convert the cells (non-negative counts, scalars or arrays)."""
    cells = [np.atleast_1d(np.asarray(x, dtype=float)) for x in (a, b, c, d)]
    for name, x in zip("abcd", cells, strict=True):
        if np.any(~np.isfinite(x)) or np.any(x < 0):
            raise ValueError(f"cell {name}: counts must be finite and non-negative")
    return TwoByTwo(*np.broadcast_arrays(*cells))


def _ratio(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    """num/den with 0/0 = NaN, x/0 = +inf, 0/x = 0."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(
            den == 0, np.where(num == 0, np.nan, np.inf), num / np.where(den == 0, 1, den)
        )


def _ci(point: np.ndarray, var: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    ok = np.isfinite(var) & (point > 0) & np.isfinite(point)
    with np.errstate(divide="ignore", invalid="ignore"):
        log = np.log(np.where(ok, point, 1.0))
        se = np.sqrt(np.where(ok, var, 0.0))
    lo = np.where(ok, np.exp(log - Z95 * se), np.nan)
    hi = np.where(ok, np.exp(log + Z95 * se), np.nan)
    return lo, hi


def _inv(x: np.ndarray) -> np.ndarray:
    with np.errstate(divide="ignore"):
        return np.where(x > 0, 1.0 / np.where(x > 0, x, 1.0), np.inf)


def prr(t: TwoByTwo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """PRR and its 95 % CI (Evans 2001)."""
    point = _ratio(t.a * (t.c + t.d), t.c * (t.a + t.b))
    var = _inv(t.a) - _inv(t.a + t.b) + _inv(t.c) - _inv(t.c + t.d)
    return (point, *_ci(point, var))


def ror(t: TwoByTwo) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ROR and its 95 % CI (van Puijenbroek 2002)."""
    point = _ratio(t.a * t.d, t.b * t.c)
    var = _inv(t.a) + _inv(t.b) + _inv(t.c) + _inv(t.d)
    return (point, *_ci(point, var))


def chi2_yates(t: TwoByTwo) -> np.ndarray:
    """χ² with Yates' continuity correction; NaN when a margin is empty."""
    n = t.n
    num = n * np.maximum(np.abs(t.a * t.d - t.b * t.c) - n / 2, 0) ** 2
    den = (t.a + t.b) * (t.c + t.d) * (t.a + t.c) * (t.b + t.d)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(den > 0, num / np.where(den > 0, den, 1), np.nan)


def information_component(
    observed: object, expected: object
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """IC, IC025 and IC975 (Norén 2013 shrinkage, exact gamma limits)."""
    o = np.asarray(observed, dtype=float)
    e = np.asarray(expected, dtype=float)
    shape, rate = o + 0.5, e + 0.5
    ic = np.log2(shape / rate)
    lo = np.log2(special.gammaincinv(shape, 0.025) / rate)
    hi = np.log2(special.gammaincinv(shape, 0.975) / rate)
    return ic, lo, hi

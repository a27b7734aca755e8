"""Cohort statistics: counts with denominators, medians and IQRs, correlations.

Quantiles follow Hyndman & Fan (1996). The default is their **type 6**, the method SPSS uses for
its percentiles (numpy ``method="weibull"``) and the one that reproduces the case series' IQRs;
type 7 (R's and Excel's default, numpy ``"linear"``) and type 2 (SAS's default, numpy
``"averaged_inverted_cdf"``) are available. Every result carries the method's name.
Correlations: Spearman's rank and Pearson's product-moment, with scipy's two-sided p-values.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

import numpy as np
import pandas as pd

QuantileMethod = Literal["type6", "type7", "type2"]

QUANTILE_METHODS: dict[str, tuple[str, str]] = {
    "type6": ("weibull", "Hyndman-Fan type 6 (SPSS default)"),
    "type7": ("linear", "Hyndman-Fan type 7 (R and Excel default)"),
    "type2": ("averaged_inverted_cdf", "Hyndman-Fan type 2 (SAS default)"),
}


def round_half_up(x: float, digits: int = 1) -> float:
    """Round as a person does (21.35 -> 21.4), not to even, and not fooled by binary floats."""
    d = Decimal(repr(round(x, 10)))
    return float(d.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP))


def fmt(x: float | None, digits: int = 1) -> str:
    """A number for a table: half-up rounding; whole numbers without decimals; '—' if missing."""
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "—"
    r = round_half_up(float(x), digits)
    return f"{r:.0f}" if float(r).is_integer() else f"{r:.{digits}f}"


def _clean(values: Iterable[object]) -> np.ndarray:
    return np.asarray([float(v) for v in values if not pd.isna(v)], dtype=float)  # type: ignore[arg-type]


@dataclass(frozen=True)
class Count:
    """k of n, with the percentage; ``n`` is the stated denominator and ``unknown`` the number
    of records left out of it because the value is missing (shown as an "Unknown" row, as
    gtsummary and tableone do, so N never shrinks silently)."""

    k: int
    n: int
    denominator: str = ""
    unknown: int = 0

    @property
    def percent(self) -> float | None:
        return 100 * self.k / self.n if self.n else None

    def text(self) -> str:
        return f"{self.k}/{self.n} ({fmt(self.percent)}%)" if self.n else f"{self.k}/0"

    def wilson(self, level: float = 0.95) -> tuple[float, float] | None:
        """Wilson score interval for k/n (Wilson 1927), as proportions: the formula of
        Newcombe (1998) exactly as ``scipy.stats.binomtest(k, n).proportion_ci(level,
        "wilson")`` evaluates it, operation for operation (``tests/test_stats.py`` checks every
        k ≤ n ≤ 40 against scipy to the last bit). Written out because importing
        ``scipy.stats`` costs 0.5-2.5 s, more than a whole report should take."""
        if not self.n:
            return None
        from scipy.special import ndtri  # the normal quantile, as scipy's binomtest takes it

        k, n = self.k, self.n
        p = k / n
        z = ndtri(0.5 + 0.5 * level)
        denom = 2 * (n + z**2)
        center = (2 * n * p + z**2) / denom
        delta = z / denom * math.sqrt(4 * n * p * (1 - p) + z**2)
        lo = 0.0 if k == 0 else center - delta
        hi = 1.0 if k == n else center + delta
        return float(lo), float(hi)

    def ci_text(self, level: float = 0.95) -> str:
        """'37.5% (95% CI 13.7–69.4)', Wilson score interval; '—' without a denominator."""
        ci = self.wilson(level)
        if ci is None:
            return "—"
        lo, hi = (fmt(100 * v) for v in ci)
        return f"{fmt(self.percent)}% ({fmt(level * 100)}% CI {lo}–{hi})"

    def as_dict(self) -> dict[str, object]:
        return {**asdict(self), "percent": self.percent}


def count(flags: Iterable[object], denominator: str = "") -> Count:
    """Count True among known (non-missing) values; missing values leave the denominator and
    are counted in ``unknown``."""
    values = list(flags)
    known = [bool(f) for f in values if not pd.isna(f)]
    return Count(
        k=sum(known), n=len(known), denominator=denominator, unknown=len(values) - len(known)
    )


@dataclass(frozen=True)
class MedianIQR:
    n: int
    median: float | None
    q1: float | None
    q3: float | None
    method: str
    minimum: float | None = None
    maximum: float | None = None

    def text(self, digits: int = 1) -> str:
        if not self.n:
            return "— (n=0)"
        vals = [round_half_up(v, digits) for v in (self.median, self.q1, self.q3)]  # type: ignore[arg-type]
        d = 0 if all(float(v).is_integer() for v in vals) else digits
        med, q1, q3 = (f"{v:.{d}f}" for v in vals)
        return f"{med} (IQR {q1}–{q3})"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def median_iqr(values: Iterable[object], method: QuantileMethod = "type6") -> MedianIQR:
    """Median and interquartile range of the non-missing values, by the named quantile method.

    With too few values for a method to place a quartile (type 6 needs p·(n+1) ≥ 1), numpy
    clamps to the smallest/largest value, as SPSS does.
    """
    if method not in QUANTILE_METHODS:
        raise ValueError(
            f"quantile method: got {method!r}; expected one of {list(QUANTILE_METHODS)}"
        )
    x = _clean(values)
    name = QUANTILE_METHODS[method][1]
    if x.size == 0:
        return MedianIQR(0, None, None, None, name)
    q1, med, q3 = np.quantile(x, [0.25, 0.5, 0.75], method=QUANTILE_METHODS[method][0])
    return MedianIQR(
        int(x.size), float(med), float(q1), float(q3), name, float(x.min()), float(x.max())
    )


@dataclass(frozen=True)
class Correlation:
    method: str
    n: int
    r: float | None
    p: float | None

    def text(self) -> str:
        if self.r is None:
            return f"— (n={self.n}, too few pairs)"
        return f"r={fmt(self.r, 2)}, p={fmt(self.p, 2)}, n={self.n}"

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def correlation(
    x: Iterable[object], y: Iterable[object], method: Literal["spearman", "pearson"] = "spearman"
) -> Correlation:
    """Correlation of paired values, dropping pairs with either value missing (n ≥ 3 needed)."""
    pairs = [(a, b) for a, b in zip(x, y, strict=True) if not _missing(a) and not _missing(b)]
    n = len(pairs)
    label = "Spearman rank" if method == "spearman" else "Pearson"
    if n < 3:
        return Correlation(label, n, None, None)
    xa = np.array([float(a) for a, _ in pairs])  # type: ignore[arg-type]
    ya = np.array([float(b) for _, b in pairs])  # type: ignore[arg-type]
    if np.ptp(xa) == 0 or np.ptp(ya) == 0:
        return Correlation(label, n, None, None)
    if method == "spearman":
        r, p = spearman(xa, ya)
        return Correlation(label, n, r, p)
    from scipy import stats as sps  # imported on first use: it costs 0.5-2.5 s

    res = sps.pearsonr(xa, ya)
    return Correlation(label, n, float(res.statistic), float(res.pvalue))


def spearman(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Spearman's rank correlation and its two-sided p, exactly as ``scipy.stats.spearmanr``
    computes them (average ranks, Pearson's r of the ranks, Student's t with n - 2 degrees of
    freedom). Written out because importing ``scipy.stats`` costs 0.5-2.5 s (it parses its
    distributions' docstrings), more than the whole ``psoreg summarize`` should take;
    ``scipy.special`` gives the t distribution. ``tests/test_stats.py`` checks it against
    scipy."""
    from scipy.special import stdtr

    rx = pd.Series(x).rank(method="average").to_numpy(dtype=float)
    ry = pd.Series(y).rank(method="average").to_numpy(dtype=float)
    r = np.corrcoef(rx, ry)[1, 0]
    dof = len(rx) - 2
    with np.errstate(divide="ignore"):
        t = r * np.sqrt((dof / ((r + 1.0) * (1.0 - r))).clip(0))
    return float(r), float(2 * stdtr(dof, -np.abs(t)))


def _missing(v: object) -> bool:
    return bool(pd.isna(v))

"""Kaplan–Meier estimates, their pointwise confidence bands and the median with its CI.

Written out here rather than taken from lifelines because the median needs the event table and
a tolerance (lifelines stores S = 0.5 as 0.5000000000000001 and moves the median one event
later) and because R's default "log" band is not in lifelines. The curve itself is checked
against lifelines in the tests.

Definitions (Kalbfleisch & Prentice 2002; Klein & Moeschberger 2003):

* At each distinct event time t_j with n_j at risk (duration ≥ t_j) and d_j events,
  S(t) = Π_{t_j ≤ t} (1 − d_j/n_j); censoring at t_j counts the subject as at risk at t_j.
* Greenwood's sum G(t) = Σ_{t_j ≤ t} d_j / (n_j (n_j − d_j)), the variance of log S(t).
* Pointwise 1−α bands, z = Φ⁻¹(1−α/2):

  - ``log-log`` (default; Stata's ``sts``, SAS LIFETEST's default, lifelines):
    S^exp(±z·√G / log S), i.e. exp(−exp(log(−log S) ± z·√G/|log S|));
  - ``log`` (R ``survfit``'s default ``conf.type="log"``): S·exp(±z·√G), the upper capped at 1;
  - ``plain`` (R ``conf.type="plain"``): S ± z·S·√G, clipped to [0, 1].

  Where S = 0 (the last subject at risk had the event) the band is undefined (NA), as in R.
* Median (``median="smallest"``, default): the smallest event time with S(t) ≤ 0.5, compared
  with the tolerance √(machine ε) ≈ 1.5e-8 that R uses, so that 0.5000000000000001 counts as
  0.5. ``median="midpoint"`` is R's convention (``print.survfit``/``quantile.survfit``): where S
  equals 0.5 (within the tolerance) on a flat segment that later drops, the midpoint of that
  segment, i.e. (t_j + t_{j+1})/2.
* CI of the median (R ``print.survfit``; Brookmeyer & Crowley 1982): a horizontal line at 0.5
  meets the lower band at the lower limit and the upper band at the upper limit – the same rule
  (and convention) applied to each band. A limit the band never reaches is NA ("not
  estimable"); a median S never reaches is NR ("not reached").
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Literal

CIMethod = Literal["log-log", "log", "plain"]
MedianConvention = Literal["smallest", "midpoint"]

TOLERANCE = math.sqrt(2.220446049250313e-16)  # √ε, as R's all.equal and quantile.survfit

CI_METHODS: dict[str, str] = {
    "log-log": "pointwise log(−log S) band (Kalbfleisch–Prentice; Stata sts, SAS, lifelines "
    "default)",
    "log": 'pointwise log S band (R survfit default, conf.type = "log")',
    "plain": 'pointwise linear Greenwood band (R conf.type = "plain")',
}
MEDIAN_CONVENTIONS: dict[str, str] = {
    "smallest": "smallest time with S(t) ≤ 0.5 (tolerance 1.5e-8)",
    "midpoint": "R's convention: midpoint of a flat segment at exactly S = 0.5",
}


@dataclass(frozen=True)
class Step:
    """One distinct event time of the Kaplan–Meier table."""

    time: float
    at_risk: int
    events: int
    censored: int  # censored at exactly this time (still at risk at it)
    surv: float
    greenwood: float  # cumulative Σ d/(n(n−d)); inf once S = 0
    lower: float | None
    upper: float | None


@dataclass(frozen=True)
class MedianCI:
    """A KM median with its CI; ``None`` = not reached (median) or not estimable (a limit)."""

    median: float | None
    lower: float | None
    upper: float | None
    convention: str
    ci_method: str
    level: float = 0.95

    def text(self, digits: int = 1) -> str:
        """'16 (95% CI 4–17)', 'NR (95% CI 12–NA)'."""
        from psoreg.analysis.stats import fmt

        def f(v: float | None, none: str) -> str:
            return none if v is None else fmt(v, digits)

        pct = fmt(self.level * 100)
        return f"{f(self.median, 'NR')} ({pct}% CI {f(self.lower, 'NA')}–{f(self.upper, 'NA')})"


@dataclass(frozen=True)
class KaplanMeier:
    """The fitted curve: the event table, and n, events and censored overall."""

    steps: list[Step]
    n: int
    events: int
    ci_method: str
    level: float
    durations: list[float] = field(default_factory=list)
    observed: list[bool] = field(default_factory=list)

    def surv_at(self, t: float) -> float:
        """S(t) (right-continuous: includes an event at t)."""
        s = 1.0
        for st in self.steps:
            if st.time <= t:
                s = st.surv
        return s

    def median(self, convention: MedianConvention = "smallest") -> MedianCI:
        times = [s.time for s in self.steps]
        return MedianCI(
            median=_crossing(times, [s.surv for s in self.steps], convention),
            lower=_crossing(times, [s.lower for s in self.steps], convention),
            upper=_crossing(times, [s.upper for s in self.steps], convention),
            convention=convention,
            ci_method=self.ci_method,
            level=self.level,
        )


def _crossing(
    times: list[float], ys: list[float | None], convention: MedianConvention
) -> float | None:
    """Where a step function meets 0.5: R's ``minmin`` (midpoint) or the smallest time."""
    keep = [(t, y) for t, y in zip(times, ys, strict=True) if y is not None and y < 0.5 + TOLERANCE]
    if not keep:
        return None
    t0, y0 = keep[0]
    if convention == "midpoint" and abs(y0 - 0.5) < TOLERANCE:
        later = [t for t, y in keep if y < y0]
        if later:
            return (t0 + later[0]) / 2
    return t0


def _band(s: float, g: float, z: float, method: CIMethod) -> tuple[float | None, float | None]:
    if s <= 0 or math.isinf(g):
        return None, None
    if g == 0:
        return s, s
    se = math.sqrt(g)
    if method == "log":
        return s * math.exp(-z * se), min(1.0, s * math.exp(z * se))
    if method == "plain":
        return max(0.0, s - z * s * se), min(1.0, s + z * s * se)
    if s >= 1:
        return 1.0, 1.0
    v, sv = math.log(-math.log(s)), se / abs(math.log(s))
    return math.exp(-math.exp(v + z * sv)), math.exp(-math.exp(v - z * sv))


def kaplan_meier(
    durations: Iterable[float],
    observed: Iterable[bool],
    ci_method: CIMethod = "log-log",
    level: float = 0.95,
) -> KaplanMeier:
    """The Kaplan–Meier estimate of (duration, event observed) pairs (see the module docstring)."""
    if ci_method not in CI_METHODS:
        raise ValueError(f"KM CI method: got {ci_method!r}; expected one of {list(CI_METHODS)}")
    pairs = sorted((float(d), bool(e)) for d, e in zip(durations, observed, strict=True))
    if any(d < 0 or math.isnan(d) for d, _ in pairs):
        raise ValueError("KM durations: expected numbers ≥ 0")
    # The normal quantile, = scipy.stats.norm.ppf to the last bit. Imported here, not at the
    # top: scipy.special costs 0.2-0.35 s to import (scipy's array-API layer imports
    # numpy.f2py and numpy.testing), which importing this module for survival_curve (the
    # web dashboard) or the names above need not pay. statistics.NormalDist().inv_cdf is not
    # a substitute: it differs from ndtri by up to 6 units in the last place (1 at 0.975).
    from scipy.special import ndtri

    z = float(ndtri(1 - (1 - level) / 2))
    steps: list[Step] = []
    s, g = 1.0, 0.0
    i, n = 0, len(pairs)
    while i < n:
        t = pairs[i][0]
        j = i
        while j < n and pairs[j][0] == t:
            j += 1
        d = sum(1 for _, e in pairs[i:j] if e)
        at_risk = n - i
        if d:
            s *= 1 - d / at_risk
            g = math.inf if at_risk == d else g + d / (at_risk * (at_risk - d))
            lo, hi = _band(s, g, z, ci_method)
            steps.append(Step(t, at_risk, d, (j - i) - d, s, g, lo, hi))
        i = j
    return KaplanMeier(
        steps,
        n=n,
        events=sum(1 for _, e in pairs if e),
        ci_method=ci_method,
        level=level,
        durations=[d for d, _ in pairs],
        observed=[e for _, e in pairs],
    )


def curve(
    km: KaplanMeier,
) -> tuple[list[float], list[float], list[float | None], list[float | None]]:
    """Step-plot arrays from time 0: (times, S, lower, upper), one point per event time."""
    ts, ss, lo, hi = [0.0], [1.0], [1.0], [1.0]
    for st in km.steps:
        ts.append(st.time)
        ss.append(st.surv)
        lo.append(st.lower)
        hi.append(st.upper)
    return ts, ss, lo, hi


def survival_curve(durations: Any, observed: Any) -> tuple[list[float], list[float]]:
    """The (times, S) of :func:`curve` of :func:`kaplan_meier`, without the confidence band,
    vectorised (a dashboard draws one per drug over every course of the registry): the same
    product ``S *= 1 - d / n``, taken in the same order, so the same floats."""
    import numpy as np

    t = np.asarray(durations, dtype=float)
    e = np.asarray(observed, dtype=bool)
    if t.size and (np.isnan(t).any() or (t < 0).any()):
        raise ValueError("KM durations: expected numbers ≥ 0")
    times, counts = np.unique(t, return_counts=True)
    deaths = np.bincount(np.searchsorted(times, t[e]), minlength=times.size)
    at_risk = t.size - np.concatenate(([0], np.cumsum(counts)[:-1]))
    keep = deaths > 0
    surv = np.cumprod(1 - deaths[keep] / at_risk[keep])
    return [0.0, *times[keep].tolist()], [1.0, *surv.tolist()]


#: Time-to-event endpoints derived from the per-course outcomes (psoreg.outcomes):
#: ``pasi75``/``pasi90`` weeks from first dose to the first PASI75/90, not reaching it censored
#: at the last week on treatment; ``drug_survival`` weeks on treatment, event = the outcome's
#: ``survival_event``, ongoing courses censored at last follow-up; ``relapse_free`` weeks from
#: the stop to relapse over courses eligible for relapse, no relapse censored at last follow-up.
ENDPOINTS = ("pasi75", "pasi90", "drug_survival", "relapse_free")


def endpoint_data(outcomes, endpoint: str):  # noqa: ANN001, ANN201 - pandas DataFrame in/out
    """(duration, event) per eligible course for ``endpoint``, keeping the outcomes' index."""
    import pandas as pd

    def flag(v: object) -> bool:
        return v is not None and not pd.isna(v) and bool(v)  # type: ignore[arg-type]

    o = outcomes
    if endpoint in ("pasi75", "pasi90"):
        week = o[f"week_{endpoint}"]
        duration = week.where(week.notna(), o.weeks_on_treatment)
        event = week.notna()
    elif endpoint == "drug_survival":
        duration = o.weeks_on_treatment
        event = o.survival_event.map(flag)
    elif endpoint == "relapse_free":
        eligible = o.relapse.map(lambda v: v is not None and not pd.isna(v))
        rel = o.relapse.map(flag)
        duration = o.weeks_to_relapse.where(rel, o.relapse_followup_weeks).where(eligible)
        event = rel
    else:
        raise ValueError(f"KM endpoint: got {endpoint!r}; expected one of {list(ENDPOINTS)}")
    d = pd.DataFrame({"duration": pd.to_numeric(duration), "event": event.astype(bool)})
    return d[d.duration.notna()]

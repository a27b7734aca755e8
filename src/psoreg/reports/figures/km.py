"""Kaplan–Meier curves (lifelines) with an at-risk table and the median with its 95% CI.

Endpoints, from the per-course outcomes (psoreg.outcomes):

* ``pasi75`` / ``pasi90`` – weeks from first dose to the first PASI75 / PASI90; courses not
  reaching it are censored at their last week on treatment. Drawn as the cumulative proportion
  reaching the level (1 − S).
* ``drug_survival`` – weeks on treatment; event = ``survival_event`` (any stop by default,
  ``--survival-events`` in the options), ongoing courses censored at last follow-up.
* ``relapse_free`` – weeks from stopping to relapse, over courses eligible for relapse (stopped
  while responding, with follow-up); no relapse = censored at the last follow-up.

Median and 95% CI: ``KaplanMeierFitter.median_survival_time_`` and
``lifelines.utils.median_survival_times`` on the exponential Greenwood (log(−log)) pointwise
interval lifelines uses by default; "NR" = not reached.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pandas as pd
from lifelines import KaplanMeierFitter
from lifelines.utils import median_survival_times
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from psoreg.analysis.stats import fmt
from psoreg.reports.cells import missing
from psoreg.reports.figures.style import OKABE_ITO, count_label, new_figure


@dataclass(frozen=True)
class Endpoint:
    key: str
    title: str
    xlabel: str
    cumulative: bool


KM_ENDPOINTS: dict[str, Endpoint] = {
    e.key: e
    for e in [
        Endpoint("pasi75", "Time to PASI75", "Weeks from first dose", True),
        Endpoint("pasi90", "Time to PASI90", "Weeks from first dose", True),
        Endpoint("drug_survival", "Drug survival", "Weeks from first dose", False),
        Endpoint("relapse_free", "Relapse-free time after stopping", "Weeks from stop", False),
    ]
}


def km_data(outcomes: pd.DataFrame, endpoint: str) -> pd.DataFrame:
    """(duration, event) per eligible course, keeping the outcomes' index."""
    o = outcomes
    if endpoint in ("pasi75", "pasi90"):
        week = o[f"week_{endpoint}"]
        duration = week.where(week.notna(), o.weeks_on_treatment)
        event = week.notna()
    elif endpoint == "drug_survival":
        duration = o.weeks_on_treatment
        event = o.survival_event.map(lambda v: not missing(v) and bool(v))
    elif endpoint == "relapse_free":
        eligible = o.relapse.map(lambda v: not missing(v))
        rel = o.relapse.map(lambda v: not missing(v) and bool(v))
        duration = o.weeks_to_relapse.where(rel, o.relapse_followup_weeks).where(eligible)
        event = rel
    else:
        raise ValueError(f"KM endpoint: got {endpoint!r}; expected one of {list(KM_ENDPOINTS)}")
    d = pd.DataFrame({"duration": pd.to_numeric(duration), "event": event.astype(bool)})
    return d[d.duration.notna()]


def _ci_text(v: float) -> str:
    return "NR" if v is None or math.isinf(v) or math.isnan(v) else fmt(v)


def median_text(kmf: KaplanMeierFitter) -> str:
    """'16 (95% CI 12–17)' or 'NR (95% CI 12–NR)'."""
    med = kmf.median_survival_time_
    ci = median_survival_times(kmf.confidence_interval_)
    lo, hi = (float(x) for x in np.asarray(ci).ravel()[:2])
    return f"{_ci_text(float(med))} (95% CI {_ci_text(lo)}–{_ci_text(hi)})"


def km_figure(
    outcomes: pd.DataFrame,
    endpoint: str,
    groups: dict[str, pd.Series] | None = None,
    suppress_below: int | None = None,
) -> Figure:
    """KM curve(s) of ``endpoint``; ``groups`` maps a label to a boolean mask over ``outcomes``."""
    data = km_data(outcomes, endpoint)
    ep = KM_ENDPOINTS[endpoint]
    groups = groups or {"All courses": pd.Series(True, index=outcomes.index)}
    sets = {
        g: data[m.reindex(data.index, fill_value=False).astype(bool)] for g, m in groups.items()
    }
    fig = new_figure(height=2.8 + 0.18 * len(sets), width=6.3)
    ax, ax_risk = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 0.5 + 0.35 * len(sets)]}
    )
    top = float(data.duration.max()) if len(data) else 52.0
    ax.set_xlim(0, max(top, 4.0) * 1.04)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True, min_n_ticks=3))
    for i, (label, d) in enumerate(sets.items()):
        colour = OKABE_ITO[i % len(OKABE_ITO)]
        n_text = count_label(len(d), suppress_below)
        e_text = count_label(int(d.event.sum()), suppress_below)
        if len(d) == 0:
            continue
        kmf = KaplanMeierFitter().fit(d.duration, d.event, label=label)
        med = median_text(kmf)
        name = f"{label} (n={n_text}, events={e_text})\nmedian {med} weeks"
        sf = kmf.survival_function_.iloc[:, 0]
        ci = kmf.confidence_interval_
        y = 1 - sf if ep.cumulative else sf
        lo = 1 - ci.iloc[:, 1] if ep.cumulative else ci.iloc[:, 0]
        hi = 1 - ci.iloc[:, 0] if ep.cumulative else ci.iloc[:, 1]
        ax.step(sf.index, y, where="post", color=colour, lw=1.5, label=name, gid=f"km:{label}")
        ax.fill_between(
            sf.index, lo, hi, step="post", color=colour, alpha=0.15, lw=0, gid=f"ci:{label}"
        )
        cens = d[~d.event].duration
        if len(cens):
            at = [float(y.loc[:t].iloc[-1]) for t in cens]
            ax.plot(cens, at, ls="none", marker="|", ms=7, color=colour, gid=f"censored:{label}")
    ax.set_ylim(-0.02, 1.05)
    ax.set_ylabel("Proportion reaching" if ep.cumulative else "Proportion without event")
    ax.set_title(ep.title)
    ax.tick_params(labelbottom=True)
    if len(data):
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), frameon=False, labelspacing=0.9)
    else:
        ax.text(
            0.5,
            0.5,
            "No eligible courses",
            ha="center",
            va="center",
            transform=ax.transAxes,
            gid="empty",
        )
    _at_risk(ax, ax_risk, sets, suppress_below)
    ax_risk.set_xlabel(ep.xlabel)
    return fig


def _at_risk(ax, ax_risk, sets: dict[str, pd.DataFrame], k: int | None) -> None:  # noqa: ANN001
    """Numbers at risk (duration ≥ t) under each x tick, one row per group."""
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    ax_risk.set_ylim(-0.5, len(sets) - 0.5)
    ax_risk.set_yticks(range(len(sets)), list(reversed(list(sets))))
    ax_risk.tick_params(left=False)
    for s in ("left", "top", "right"):
        ax_risk.spines[s].set_visible(False)
    ax_risk.set_title("Number at risk", fontsize=7, loc="left")
    for row, (_, d) in enumerate(reversed(list(sets.items()))):
        for t in ticks:
            n = int((d.duration >= t).sum())
            ax_risk.text(
                t,
                row,
                count_label(n, k),
                ha="center",
                va="center",
                fontsize=6.5,
                gid=f"at-risk:{t:g}",
            )

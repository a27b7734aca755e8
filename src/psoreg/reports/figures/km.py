"""Kaplan–Meier curves with an at-risk table and the median with its CI in the legend.

Estimates, bands, medians and their CIs come from :mod:`psoreg.analysis.survival` (the
conventions are named in the caption: median = smallest t with S(t) ≤ 0.5 by default, R's
midpoint convention on request; log-log band by default). Endpoints:
:data:`psoreg.analysis.survival.ENDPOINTS`.

Each group has its own line style and marker as well as its colour, so the curves stay apart
in greyscale print; the legend sits under the plot so the curves use the full width.
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from psoreg.analysis.survival import (
    CIMethod,
    MedianConvention,
    endpoint_data,
    kaplan_meier,
)
from psoreg.i18n import N_, _
from psoreg.reports.figures.style import SERIES_STYLES, count_label, new_figure
from psoreg.reports.strings import KM_TITLES


@dataclass(frozen=True)
class Endpoint:
    key: str
    title: str
    xlabel: str
    cumulative: bool


KM_ENDPOINTS: dict[str, Endpoint] = {
    e.key: e
    for e in [
        Endpoint("pasi75", KM_TITLES["pasi75"], N_("Weeks from first dose"), True),
        Endpoint("pasi90", KM_TITLES["pasi90"], N_("Weeks from first dose"), True),
        Endpoint("drug_survival", KM_TITLES["drug_survival"], N_("Weeks from first dose"), False),
        Endpoint("relapse_free", KM_TITLES["relapse_free"], N_("Weeks from stop"), False),
    ]
}

km_data = endpoint_data  # the figure's data, for tests and callers of the older name


def km_figure(
    outcomes: pd.DataFrame,
    endpoint: str,
    groups: dict[str, pd.Series] | None = None,
    suppress_below: int | None = None,
    median: MedianConvention = "smallest",
    ci_method: CIMethod = "log-log",
) -> Figure:
    """KM curve(s) of ``endpoint``; ``groups`` maps a label to a boolean mask over ``outcomes``."""
    data = endpoint_data(outcomes, endpoint)
    ep = KM_ENDPOINTS[endpoint]
    groups = groups or {_("All courses"): pd.Series(True, index=outcomes.index)}
    sets = {
        g: data[m.reindex(data.index, fill_value=False).astype(bool)] for g, m in groups.items()
    }
    fig = new_figure(height=3.4 + 0.32 * len(sets), width=6.3)
    ax, ax_risk = fig.subplots(
        2, 1, sharex=True, gridspec_kw={"height_ratios": [4, 0.55 + 0.3 * len(sets)]}
    )
    top = float(data.duration.max()) if len(data) else 52.0
    ax.set_xlim(0, max(top, 4.0) * 1.04)
    ax.xaxis.set_major_locator(MaxNLocator(nbins=7, integer=True, min_n_ticks=3))
    for i, (label, d) in enumerate(sets.items()):
        style = SERIES_STYLES[i % len(SERIES_STYLES)]
        n_text = count_label(len(d), suppress_below)
        e_text = count_label(int(d.event.sum()), suppress_below)
        if len(d) == 0:
            continue
        km = kaplan_meier(d.duration, d.event, ci_method)
        med = km.median(median).text()
        name = _("{group} (n={n}, events={events}): median {median} weeks").format(
            group=label, n=n_text, events=e_text, median=med
        )
        xs = [0.0] + [s.time for s in km.steps]
        sv = [1.0] + [s.surv for s in km.steps]
        lo = [1.0] + [s.lower if s.lower is not None else float("nan") for s in km.steps]
        hi = [1.0] + [s.upper if s.upper is not None else float("nan") for s in km.steps]
        end = float(d.duration.max())
        if end > xs[-1]:  # the curve runs on, flat, to the last follow-up
            xs.append(end)
            sv.append(sv[-1])
            lo.append(lo[-1])
            hi.append(hi[-1])
        y = [1 - v for v in sv] if ep.cumulative else sv
        band_lo = [1 - v for v in hi] if ep.cumulative else lo
        band_hi = [1 - v for v in lo] if ep.cumulative else hi
        ax.step(
            xs,
            y,
            where="post",
            color=style.colour,
            ls=style.linestyle,
            lw=1.6,
            marker=style.marker,
            markevery=list(range(1, len(km.steps) + 1)),
            ms=4.5,
            mfc="white",
            label=name,
            gid=f"km:{label}",
        )
        ax.fill_between(
            xs, band_lo, band_hi, step="post", color=style.colour, alpha=0.13, lw=0,
            gid=f"ci:{label}",
        )  # fmt: skip
        cens = d[~d.event].duration
        if len(cens):
            at = [1 - km.surv_at(t) if ep.cumulative else km.surv_at(t) for t in cens]
            ax.plot(
                cens, at, ls="none", marker="|", ms=8, mew=1.4, color=style.colour,
                gid=f"censored:{label}",
            )  # fmt: skip
    ax.set_ylim(-0.02, 1.05)
    ax.set_ylabel(_("Proportion reaching") if ep.cumulative else _("Proportion without event"))
    ax.set_title(_(ep.title))
    ax.tick_params(labelbottom=True)
    if len(data):
        ax.legend(
            loc="upper center",
            bbox_to_anchor=(0.5, -0.14),
            frameon=False,
            ncol=1,
            handlelength=3.2,
        )
    else:
        ax.text(
            0.5, 0.5, _("No eligible courses"), ha="center", va="center", transform=ax.transAxes,
            gid="empty",
        )  # fmt: skip
    _at_risk(ax, ax_risk, sets, suppress_below)
    ax_risk.set_xlabel(_(ep.xlabel))
    return fig


def _at_risk(ax, ax_risk, sets: dict[str, pd.DataFrame], k: int | None) -> None:  # noqa: ANN001
    """Numbers at risk (duration ≥ t) under each x tick, one row per group."""
    ticks = [t for t in ax.get_xticks() if ax.get_xlim()[0] <= t <= ax.get_xlim()[1]]
    ax_risk.set_ylim(-0.5, len(sets) - 0.5)
    ax_risk.set_yticks(range(len(sets)), list(reversed(list(sets))))
    ax_risk.tick_params(left=False)
    for s in ("left", "top", "right"):
        ax_risk.spines[s].set_visible(False)
    ax_risk.set_title(_("Number at risk"), fontsize=7, loc="left")
    for row, (_label, d) in enumerate(reversed(list(sets.items()))):
        for t in ticks:
            n = int((d.duration >= t).sum())
            ax_risk.text(
                t, row, count_label(n, k), ha="center", va="center", fontsize=6.5,
                gid=f"at-risk:{t:g}",
            )  # fmt: skip

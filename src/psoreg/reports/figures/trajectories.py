"""PASI trajectories per course: absolute PASI and % improvement from baseline.

% improvement = (PASI₀ − PASI) / PASI₀ × 100 (Carlin 2004), with reference lines at 50, 75 and
90 (PASI50/75/90). Visit-level data are drawn visit by visit, one line style and marker per
course (greyscale-safe); a vertical bar marks the stop, and visits after it (off treatment) are
open markers on a thin dotted line. Abstracted (chart-review) data have no visits, only the
first week each response level was reached, so those milestones are drawn as unconnected open
markers (a line would imply values nobody measured), absolute PASI as the upper bound each
milestone implies (PASI75 ⇒ PASI ≤ 25% of baseline) – and the figure says so.
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure

from psoreg.cohort import Cohort
from psoreg.i18n import N_, _
from psoreg.reports.cells import missing
from psoreg.reports.figures.style import SERIES_STYLES, new_figure
from psoreg.reports.identifiers import Labels

LEVELS = {"pasi50": 50.0, "pasi75": 75.0, "pasi90": 90.0, "pasi100": 100.0}
THRESHOLDS = (50, 75, 90)
MAX_LEGEND = 16

MILESTONE_NOTE = N_(
    "Abstracted data: milestones (first week each response level was reached) are drawn, not "
    "visits; absolute PASI at a milestone is the upper bound it implies."
)


def course_points(
    visits: pd.DataFrame | None, milestones: pd.DataFrame | None, baseline: float | None
) -> tuple[str, list[tuple[float, float, float]]]:
    """('visits' | 'milestones' | 'none', [(week, pasi, improvement %)]) for one course, from its
    assessments with a week and a PASI and its response milestones with a week
    (:func:`_by_course`)."""
    if visits is not None and len(visits) and baseline:
        a = visits.sort_values("week")
        pts = [
            (float(w), float(p), 100 * (baseline - float(p)) / baseline)
            for w, p in zip(a.week, a.pasi, strict=True)
        ]
        if pts[0][0] > 0:
            pts.insert(0, (0.0, baseline, 0.0))
        return "visits", pts
    if milestones is not None and len(milestones) and baseline:
        best: dict[float, float] = {}
        for name, wk in zip(milestones.milestone, milestones.week, strict=True):
            best[float(wk)] = max(best.get(float(wk), 0.0), LEVELS[str(name)])
        pts = [(0.0, baseline, 0.0)]
        pts += [(w, baseline * (1 - lv / 100), lv) for w, lv in sorted(best.items())]
        return "milestones", pts
    return "none", []


def _by_course(frame: pd.DataFrame) -> dict[str, pd.DataFrame]:
    """The rows of each course (in their order), split once rather than filtered per course."""
    return {str(k): g for k, g in frame.groupby(frame.course_id.astype(str), sort=False)}


def trajectories_figure(cohort: Cohort, outcomes: pd.DataFrame, labels: Labels) -> Figure:
    """Two panels (absolute PASI, % improvement), one line per course."""
    fig = new_figure(height=3.4)
    ax_abs, ax_pct = fig.subplots(1, 2)
    kinds: set[str] = set()
    drawn = 0
    course_visits = _by_course(cohort.assessments.dropna(subset=["week", "pasi"]))
    ms = cohort.milestones
    course_milestones = _by_course(ms[ms.milestone.isin(list(LEVELS))].dropna(subset=["week"]))
    for i, (_row, o) in enumerate(outcomes.iterrows()):
        base = None if missing(o.baseline_pasi) else float(o.baseline_pasi)
        cid = str(o.course_id)
        kind, pts = course_points(course_visits.get(cid), course_milestones.get(cid), base)
        if not pts:
            continue
        kinds.add(kind)
        st = SERIES_STYLES[i % len(SERIES_STYLES)]
        label = labels.course_of(o.course_id) if drawn < MAX_LEGEND else "_nolegend_"
        visits = kind == "visits"
        gid = f"{kind}:{labels.course_of(o.course_id)}"
        stop = None if missing(o.stop_week) else float(o.stop_week)
        on = [p for p in pts if stop is None or p[0] <= stop]
        off = [p for p in pts if stop is not None and p[0] > stop]
        common = {"color": st.colour, "marker": st.marker, "ms": 4, "mew": 1.0}
        for ax, col, lab in ((ax_abs, 1, label), (ax_pct, 2, "_nolegend_")):
            if visits:
                ax.plot([p[0] for p in on], [p[col] for p in on], ls=st.linestyle, lw=1.3,
                        mfc=st.colour, label=lab, gid=gid, **common)  # fmt: skip
                if off:
                    bridge = on[-1:] + off
                    ax.plot([p[0] for p in bridge], [p[col] for p in bridge], ls=":", lw=0.9,
                            mfc="white", markevery=list(range(len(bridge) - len(off), len(bridge))),
                            gid=f"off-treatment:{gid}", **common)  # fmt: skip
                if stop is not None and on:
                    y_stop = on[-1][col]
                    ax.plot([stop], [y_stop], ls="none", marker="|", ms=11, mew=1.8,
                            color=st.colour, gid=f"stop:{gid}")  # fmt: skip
            else:  # milestones: markers only, never joined
                ax.plot([p[0] for p in pts], [p[col] for p in pts], ls="none", mfc="white",
                        label=lab, gid=gid, **common)  # fmt: skip
        drawn += 1
    for t in THRESHOLDS:
        ax_pct.axhline(t, color="#777777", lw=0.7, ls=(0, (4, 3)), zorder=0, gid=f"threshold-{t}")
        ax_pct.annotate(
            f"PASI{t}",
            xy=(1.0, t),
            xycoords=("axes fraction", "data"),
            xytext=(2, 0),
            textcoords="offset points",
            va="center",
            fontsize=6.5,
            color="#555555",
        )
    ax_abs.set(xlabel=_("Weeks from first dose"), ylabel="PASI", title=_("Absolute PASI"))
    ax_abs.set_ylim(bottom=0)
    ax_pct.set(
        xlabel=_("Weeks from first dose"),
        ylabel=_("Improvement from baseline (%)"),
        title=_("PASI improvement"),
    )
    ax_pct.set_ylim(min(-10.0, ax_pct.get_ylim()[0]), 105)
    if drawn:
        fig.legend(loc="outside right upper", title=_("Patient (course)"), frameon=False)
    else:
        for ax in (ax_abs, ax_pct):
            ax.text(
                0.5,
                0.5,
                _("No PASI recorded"),
                ha="center",
                va="center",
                transform=ax.transAxes,
                gid="empty",
            )
    if "milestones" in kinds:
        fig.text(
            0.01,
            0.0,
            _(MILESTONE_NOTE),
            fontsize=6.5,
            ha="left",
            va="bottom",
            gid="milestone-note",
            wrap=True,
        )
        fig.get_layout_engine().set(rect=(0, 0.05, 1, 0.95))
    return fig

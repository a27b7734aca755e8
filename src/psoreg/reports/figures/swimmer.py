"""Swimmer plot: one bar per course from the first dose to the stop (or last follow-up).

Bars are coloured by drug; markers show the first week of PASI75 and PASI90, secondary failure
and a paradoxical event on therapy; a dotted line runs from the stop to a relapse (open circle);
an arrow marks an ongoing course; the stop reason is written at the end of each row.
(Swimmer plots as in e.g. Phillippo et al., and the FDA's oncology reviews: time on treatment
per subject with event markers.)
"""

from __future__ import annotations

import pandas as pd
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from psoreg.i18n import N_, _
from psoreg.model.vocab import label as vocab_label
from psoreg.reports.cells import missing
from psoreg.reports.figures.style import (
    GREY,
    HATCHES,
    OKABE_ITO,
    colours,
    count_label,
    new_figure,
)
from psoreg.reports.identifiers import Labels

#: (outcome column, gid/legend label, marker, colour, filled)
MARKERS = [
    ("week_pasi90", "PASI90", "D", "#000000", False),
    ("week_pasi75", "PASI75", "^", "#000000", True),
    ("week_secondary_failure", N_("Secondary failure"), "X", OKABE_ITO[5], True),
    ("week_paradoxical_event", N_("Paradoxical event"), "*", OKABE_ITO[3], True),
]


def _f(v: object) -> float | None:
    return None if missing(v) else float(v)  # type: ignore[arg-type]


def swimmer_figure(
    outcomes: pd.DataFrame, labels: Labels, suppress_below: int | None = None
) -> Figure:
    """The swimmer plot of every course in ``outcomes`` (one row of the outcomes table each)."""
    n = len(outcomes)
    fig = new_figure(height=min(1.6 + 0.32 * max(n, 1), 24.0))
    ax = fig.add_subplot()
    drugs = sorted(outcomes.drug.dropna().astype(str).unique())
    col = colours(drugs)
    hatch = {d: HATCHES[i % len(HATCHES)] for i, d in enumerate(drugs)}
    ys = list(range(n, 0, -1))
    right = 0.0
    for y, (_row, o) in zip(ys, outcomes.iterrows(), strict=True):
        length = _f(o.weeks_on_treatment) or 0.0
        bar = ax.barh(
            y, length, height=0.6, color=col.get(str(o.drug), GREY), zorder=2,
            hatch=hatch.get(str(o.drug), ""), edgecolor="#333333", lw=0.4,
        )  # fmt: skip
        bar.patches[0].set_gid("course-bar")
        end = length
        stopped = not missing(o.stopped) and bool(o.stopped)
        if not stopped:
            ax.annotate(
                "",
                xy=(length + 6, y),
                xytext=(length, y),
                arrowprops={"arrowstyle": "-|>", "color": "#000000", "lw": 1.2},
                zorder=3,
            ).set_gid("ongoing")
            end = length + 6
        relapse_wk = _f(o.weeks_to_relapse) if not missing(o.relapse) and bool(o.relapse) else None
        if stopped and relapse_wk is not None:
            x1 = length + relapse_wk
            ax.plot([length, x1], [y, y], ls=":", color=GREY, lw=1.2, zorder=1, gid="off-treatment")
            end = max(end, x1)
        reason = (
            _("ongoing")
            if not stopped
            else (vocab_label(o.stop_reason) if not missing(o.stop_reason) else _("stopped"))
        )
        ax.text(end + 2, y, reason, va="center", ha="left", fontsize=6.5, gid="stop-reason")
        right = max(right, end + 2 + 1.1 * len(reason))
    for column, name, marker, colour, filled in MARKERS:
        xs, yy = _points(outcomes, column, ys)
        if column == "week_secondary_failure":
            xs, yy = _only(outcomes, "secondary_failure", xs, yy, ys)
        ax.plot(
            xs,
            yy,
            ls="none",
            marker=marker,
            ms={"*": 8, "D": 7, "^": 4}.get(marker, 5),
            mfc=colour if filled else "white",
            mec=colour,
            color=colour,
            zorder=4,
            gid=name,
            label=_(name),
        )
    rx, ry = [], []
    for y, (_row, o) in zip(ys, outcomes.iterrows(), strict=True):
        w = _f(o.weeks_to_relapse)
        if not missing(o.relapse) and bool(o.relapse) and w is not None:
            rx.append((_f(o.weeks_on_treatment) or 0.0) + w)
            ry.append(y)
    ax.plot(
        rx,
        ry,
        ls="none",
        marker="o",
        mfc="white",
        mec="#000000",
        ms=5,
        zorder=4,
        gid="Relapse",
        label=_("Relapse (after stop)"),
    )
    ax.set_yticks(ys, [labels.course_of(c) for c in outcomes.course_id])
    ax.set_ylim(0.3, n + 0.7)
    ax.set_xlim(0, max(right, 10.0))
    ax.set_xlabel(_("Weeks from first dose"))
    ax.set_ylabel(_("Patient (course)"))
    ax.set_title(_("Courses: time on treatment, response, events and relapse"))
    n_by_drug = outcomes.drug.astype(str).value_counts()
    handles: list[object] = [
        Patch(
            facecolor=col[d],
            hatch=hatch[d],
            edgecolor="#333333",
            lw=0.4,
            label=f"{d} (n={count_label(int(n_by_drug[d]), suppress_below)})",
        )
        for d in drugs
    ]
    handles += [h for h in ax.get_lines() if h.get_label() and not h.get_label().startswith("_")]
    handles.append(Line2D([], [], ls=":", color=GREY, label=_("Off treatment to relapse")))
    handles.append(
        Line2D(
            [], [], marker=r"$\rightarrow$", ls="none", color="#000000", ms=9, label=_("Ongoing")
        )
    )
    ax.legend(
        handles=handles,
        loc="upper center",
        bbox_to_anchor=(0.5, -0.08 - 0.6 / (n + 3)),
        ncol=4,
        frameon=False,
    )
    return fig


def _points(outcomes: pd.DataFrame, column: str, ys: list[int]) -> tuple[list[float], list[int]]:
    xs, yy = [], []
    for y, v in zip(ys, outcomes[column], strict=True):
        if not missing(v):
            xs.append(float(v))
            yy.append(y)
    return xs, yy


def _only(
    outcomes: pd.DataFrame, flag: str, xs: list[float], yy: list[int], ys: list[int]
) -> tuple[list[float], list[int]]:
    keep = {y for y, f in zip(ys, outcomes[flag], strict=True) if not missing(f) and bool(f)}
    pairs = [(x, y) for x, y in zip(xs, yy, strict=True) if y in keep]
    return [x for x, _ in pairs], [y for _, y in pairs]

"""Flow diagram of the courses (STROBE item 13; the CONSORT-style boxes and arrows).

One box per stage (:func:`psoreg.reports.strobe.flow_stages`), arrows down the main path and a
side box at each stage for the courses that did not go on, with the reason.
"""

from __future__ import annotations

from matplotlib.figure import Figure
from matplotlib.patches import FancyBboxPatch

from psoreg.reports.figures.style import count_label, new_figure


def flow_figure(stages, suppress_below: int | None = None) -> Figure:  # noqa: ANN001
    """Boxes for ``stages`` (a list of FlowStage), top to bottom."""
    n = len(stages)
    fig = new_figure(height=0.62 * n + 0.2, width=6.3)
    ax = fig.add_subplot()
    ax.set_axis_off()
    ax.set_xlim(0, 10)
    ax.set_ylim(-0.45, n - 0.55)
    for i, s in enumerate(stages):
        y = n - 1 - i
        _box(ax, 2.6, y, 4.6, f"{s.label}\nn = {count_label(s.n, suppress_below)}",
             gid=f"flow:{s.key}")  # fmt: skip
        if i < n - 1:
            down = {"arrowstyle": "-|>", "color": "#000000", "lw": 1.0}
            ax.annotate("", xy=(2.6, y - 0.75), xytext=(2.6, y - 0.25), arrowprops=down)
        if s.left:
            side = {"arrowstyle": "-|>", "color": "#555555", "lw": 0.9}
            ax.annotate("", xy=(5.45, y - 0.5), xytext=(2.6, y - 0.5), arrowprops=side)
            _box(ax, 7.55, y - 0.5, 4.1,
                 f"{s.left}\nn = {count_label(s.left_n, suppress_below)}",
                 gid=f"flow-left:{s.key}", grey=True)  # fmt: skip
    return fig


def _box(ax, x: float, y: float, width: float, text: str, gid: str, grey: bool = False) -> None:  # noqa: ANN001
    h = 0.5
    ax.add_patch(
        FancyBboxPatch(
            (x - width / 2, y - h / 2), width, h, boxstyle="round,pad=0.02,rounding_size=0.08",
            fc="#f2f2f2" if grey else "white", ec="#555555" if grey else "#000000", lw=0.9,
            ls="--" if grey else "-", gid=gid,
        )
    )  # fmt: skip
    ax.text(x, y, text, ha="center", va="center", fontsize=8, wrap=True, gid=f"{gid}:text")

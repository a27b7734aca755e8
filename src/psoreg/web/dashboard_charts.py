"""The dashboard's charts, as inline SVG with presentation attributes only.

Written by hand like the patient timeline (:mod:`psoreg.web.charts`): the Content-Security-Policy
forbids inline styles (an inline matplotlib SVG draws black), SVG with ``fill=""`` attributes
scales with the page down to a 390 px phone, and no figure is rendered per request.

* response rate by drug at the primary week (PASI75 = treatment success; ``n/N`` on each bar);
* drug survival (Kaplan–Meier of weeks on treatment, the outcome's ``survival_event``), by drug,
  time axis in months;
* a horizontal bar chart for counts (patients by site, open queries by site, overdue).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from psoreg.analysis.survival import survival_curve
from psoreg.i18n import _

COLORS = ("#2b6cb0", "#2f855a", "#9c4221", "#6b46c1", "#b83280", "#2c7a7b", "#975a16")
FONT = 'font-size="12" font-family="sans-serif"'
WEEKS_PER_MONTH = 52.1775 / 12


def _svg(w: int, h: int, label: str, body: list[str]) -> str:
    return (
        f'<svg viewBox="0 0 {w} {h}" width="100%" role="img" aria-label="{escape(label)}" '
        f'xmlns="http://www.w3.org/2000/svg" {FONT}>' + "".join(body) + "</svg>"
    )


def hbars(
    rows: Sequence[tuple[str, float, str]], label: str, *, percent: bool = False, css: str = ""
) -> str:
    """Horizontal bars: ``(name, value, text shown at the bar's end)``; ``percent`` scales to
    100."""
    if not rows:
        return '<p class="muted">' + escape(_("Nothing to show.")) + "</p>"
    w, left, bar, gap = 480, 130, 20, 8
    h = 10 + len(rows) * (bar + gap)
    top = max([v for _, v, _ in rows] + [1e-9]) if not percent else 100.0
    body = []
    for i, (name, value, text) in enumerate(rows):
        y = 6 + i * (bar + gap)
        width = (w - left - 90) * (value / top if top else 0)
        col = COLORS[i % len(COLORS)]
        body.append(
            f'<text x="{left - 6}" y="{y + 15}" text-anchor="end">{escape(name[:18])}</text>'
            f'<rect x="{left}" y="{y}" width="{max(width, 1):.1f}" height="{bar}" fill="{col}">'
            f"<title>{escape(name)}: {escape(text)}</title></rect>"
            f'<text x="{left + width + 5:.1f}" y="{y + 15}" fill="#1a202c">{escape(text)}</text>'
        )
    svg = _svg(w, h, label, body)
    return svg.replace("<svg ", f'<svg class="{css}" ', 1) if css else svg


def response_by_drug(by_drug: dict[str, dict]) -> str:
    """PASI75 at the primary week (treatment success), % of courses assessed, per drug."""
    rows = []
    for drug, b in sorted(by_drug.items()):
        k, n = b["success"]
        if n:
            rows.append((drug, 100 * k / n, f"{100 * k / n:.0f} % ({k}/{n})"))
    label = _("PASI75 at the primary week, by drug")
    return hbars(rows, label, percent=True, css="chart-response")


def drug_survival(table) -> str:  # noqa: ANN001 - a pandas DataFrame of outcomes
    """Kaplan–Meier drug survival per drug, months on the time axis (drugs sorted by name,
    courses without a drug or weeks on treatment left out, an unknown event as censored)."""
    import numpy as np

    w, h, left, right, top, bottom = 560, 260, 44, 150, 10, 36
    weeks = table["weeks_on_treatment"].to_numpy(dtype=float, na_value=np.nan)
    event = table["survival_event"].astype("boolean").to_numpy(dtype=bool, na_value=False)
    drug = table["drug"]
    usable = drug.notna().to_numpy() & ~np.isnan(weeks)
    groups = []
    if usable.any():
        keys, codes = np.unique(
            drug.to_numpy(dtype=object)[usable].astype(str), return_inverse=True
        )
        rows = np.flatnonzero(usable)
        for i, key in enumerate(keys):
            mine = rows[codes == i]
            ts, ss = survival_curve(weeks[mine], event[mine])
            groups.append((str(key), (ts, ss), float(weeks[mine].max()), int(mine.size)))
    if not groups:
        return '<p class="muted">' + escape(_("No course to show.")) + "</p>"
    months = max(g[2] for g in groups) / WEEKS_PER_MONTH
    step = next(s for s in (1, 2, 3, 6, 12, 24, 60) if months / s <= 8)
    end = max(step, -(-months // step) * step)

    def x(weeks: float) -> float:
        return left + (w - left - right) * (weeks / WEEKS_PER_MONTH) / end

    def y(s: float) -> float:
        return top + (h - top - bottom) * (1 - s)

    axis = _("months on the drug")
    body = [
        f'<line x1="{left}" y1="{y(0)}" x2="{w - right}" y2="{y(0)}" stroke="#999"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{y(0)}" stroke="#999"/>',
    ]
    for pct in (0, 25, 50, 75, 100):
        body.append(
            f'<text x="{left - 4}" y="{y(pct / 100) + 4:.1f}" text-anchor="end">{pct} %</text>'
            f'<line x1="{left}" x2="{w - right}" y1="{y(pct / 100):.1f}" y2="{y(pct / 100):.1f}" '
            'stroke="#eee"/>'
        )
    m = 0
    while m <= end:
        px = x(m * WEEKS_PER_MONTH)
        body.append(
            f'<line x1="{px:.1f}" x2="{px:.1f}" y1="{y(0)}" y2="{y(0) + 4}" stroke="#999"/>'
            f'<text x="{px:.1f}" y="{y(0) + 16}" text-anchor="middle">{m:g}</text>'
        )
        m += step
    body.append(
        f'<text x="{(left + w - right) / 2}" y="{h - 4}" text-anchor="middle">{escape(axis)}</text>'
    )
    for i, (drug, (ts, ss), last, n) in enumerate(groups):
        col = COLORS[i % len(COLORS)]
        # the step: (t, S before t), (t, S at t) for every time, then (last, S): as x() and
        # y() compute them (same operations, so the same floats), for thousands of points
        t = np.array([*np.repeat(ts, 2), last], dtype=float)
        s = np.array([1.0, *np.repeat(ss, 2)], dtype=float)
        xs = (left + (w - left - right) * (t / WEEKS_PER_MONTH) / end).tolist()
        ys = (top + (h - top - bottom) * (1 - s)).tolist()
        path = " ".join(map("{:.1f},{:.1f}".format, xs, ys))
        body.append(
            f'<polyline class="km" points="{path}" fill="none" stroke="{col}" stroke-width="2">'
            f"<title>{escape(drug)} (n={n})</title></polyline>"
            f'<rect x="{w - right + 8}" y="{top + 16 * i}" width="10" height="10" fill="{col}"/>'
            f'<text x="{w - right + 22}" y="{top + 9 + 16 * i}">{escape(drug[:14])} ({n})</text>'
        )
    return _svg(w, h, _("Drug survival by drug (Kaplan–Meier)"), body).replace(
        "<svg ", '<svg class="chart-survival" ', 1
    )

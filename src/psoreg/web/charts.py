"""The patient timeline as inline SVG: courses as bars, the PASI trajectory with the 50/75/90 %
improvement lines of each course, and doses, events and relapses marked."""

from __future__ import annotations

import datetime as dt
from html import escape
from typing import Any

from psoreg.i18n import _
from psoreg.i18n.formats import month
from psoreg.model.vocab import label as vocab_label

W, H = 860, 300
LEFT, RIGHT, TOP = 50, 20, 20
CHART_H = 190  # PASI area height; the course bars and markers sit below it
COLORS = ("#2b6cb0", "#2f855a", "#9c4221", "#6b46c1", "#b83280")


def month_ticks(lo: dt.date, hi: dt.date, most: int = 10) -> list[dt.date]:
    """First days of months between ``lo`` and ``hi``, every 1, 2, 3, 6 or 12 months so that
    at most ``most`` are drawn (a readable time axis in months)."""
    months = (hi.year - lo.year) * 12 + hi.month - lo.month + 1
    step = next(
        (k for k in (1, 2, 3, 6, 12) if months / k <= most), 12 * (months // (12 * most) + 1)
    )
    out = []
    y, m = lo.year, lo.month
    if lo.day != 1:
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    while (d := dt.date(y, m, 1)) <= hi:
        if (m - 1) % step == 0:
            out.append(d)
        y, m = (y + 1, 1) if m == 12 else (y, m + 1)
    return out


def timeline_svg(courses: list[dict[str, Any]]) -> str:
    """SVG of the patient's courses (as shown to the user: dates may be shifted)."""
    dates: list[dt.date] = []
    for c in courses:
        dates += [c["start_date"], c["stop_date"] or c["followup_date"] or c["start_date"]]
        dates += [v["date"] for v in c["visits"]] + [r["date"] for r in c["relapses"]]
    dates = [d for d in dates if d is not None]
    if not dates:
        return '<p class="muted">' + escape(_("No courses yet.")) + "</p>"
    lo, hi = min(dates), max(dates + [min(dt.date.today(), max(dates) + dt.timedelta(days=28))])
    span = max((hi - lo).days, 1)
    pasis = [v["pasi"] for c in courses for v in c["visits"] if v["pasi"] is not None]
    ymax = max([10.0, *pasis]) * 1.1

    def x(d: dt.date) -> float:
        return LEFT + (W - LEFT - RIGHT) * (d - lo).days / span

    def y(p: float) -> float:
        return TOP + CHART_H * (1 - p / ymax)

    aria = _("Timeline: courses, PASI, doses, events and relapses")
    words = {
        "ongoing": escape(_("ongoing")), "dose": escape(_("dose")),
        "relapse": escape(_("relapse")), "stopped": escape(_("stopped")),
    }  # fmt: skip
    out = [
        f'<svg class="timeline" viewBox="0 0 {W} {H}" width="100%" role="img" '
        f'aria-label="{escape(aria)}" '
        'xmlns="http://www.w3.org/2000/svg" font-size="11" font-family="sans-serif">',
        f'<line x1="{LEFT}" y1="{TOP}" x2="{LEFT}" y2="{TOP + CHART_H}" stroke="#999"/>',
        f'<line x1="{LEFT}" y1="{TOP + CHART_H}" x2="{W - RIGHT}" y2="{TOP + CHART_H}" '
        'stroke="#999"/>',
        f'<text x="8" y="{TOP + 10}">PASI</text>',
    ]
    for tick in range(0, int(ymax) + 1, max(1, int(ymax // 5) or 1)):
        out.append(f'<text x="{LEFT - 6}" y="{y(tick) + 4:.1f}" text-anchor="end">{tick}</text>')
    ticks = month_ticks(lo, hi)
    for d in ticks:
        label = month(d, year=d.month == 1 or d == ticks[0])
        out.append(
            f'<line x1="{x(d):.1f}" y1="{TOP}" x2="{x(d):.1f}" y2="{TOP + CHART_H}" '
            f'stroke="#eee"/><text class="month" x="{x(d):.1f}" y="{H - 4}" '
            f'text-anchor="middle">{label}</text>'
        )
    for i, c in enumerate(courses):
        col = COLORS[i % len(COLORS)]
        start = c["start_date"]
        end = c["stop_date"] or c["followup_date"] or hi
        base = (c["outcome"] or {}).get("baseline_pasi")
        if base:
            for pct, dash in ((50, "6 3"), (75, "4 3"), (90, "2 3")):
                level = base * (1 - pct / 100)
                out.append(
                    f'<line class="pasi-line" x1="{x(start):.1f}" x2="{x(end):.1f}" '
                    f'y1="{y(level):.1f}" y2="{y(level):.1f}" stroke="{col}" '
                    f'stroke-dasharray="{dash}" opacity="0.7"/>'
                    f'<text x="{x(end) - 4:.1f}" y="{y(level) - 2:.1f}" text-anchor="end" '
                    f'fill="{col}">PASI{pct}</text>'
                )
        bar_y = TOP + CHART_H + 14 + 16 * (i % 3)
        label = escape(f"{c['label']} {c['drug']}")
        out.append(
            f'<rect class="course-bar" x="{x(start):.1f}" y="{bar_y}" '
            f'width="{max(x(end) - x(start), 2):.1f}" height="10" fill="{col}" opacity="0.8">'
            f"<title>{label}: {start} – {c['stop_date'] or words['ongoing']}</title></rect>"
            f'<text x="{x(start) + 3:.1f}" y="{bar_y + 9}" fill="#fff">{label}</text>'
        )
        for d in c["doses"]:
            out.append(
                f'<line class="dose" x1="{x(d["date"]):.1f}" x2="{x(d["date"]):.1f}" '
                f'y1="{bar_y - 3}" y2="{bar_y}" stroke="{col}">'
                f"<title>{words['dose']} {d['dose_mg']:g} mg "
                f"{d['date']}</title></line>"
            )
        pts = [(x(v["date"]), y(v["pasi"]), v) for v in c["visits"] if v["pasi"] is not None]
        if pts:
            path = " ".join(f"{px:.1f},{py:.1f}" for px, py, _ in pts)
            out.append(f'<polyline points="{path}" fill="none" stroke="{col}" stroke-width="2"/>')
            for px, py, v in pts:
                out.append(
                    f'<circle class="visit" cx="{px:.1f}" cy="{py:.1f}" r="3.5" fill="{col}">'
                    f"<title>{v['date']}: PASI {v['pasi']:g}</title></circle>"
                )
        for e in c["events"]:
            ex = x(e["date"])
            fill = "#c53030" if e["kind"] == "paradoxical" else "#dd6b20"
            out.append(
                f'<path class="event" d="M{ex:.1f},{TOP + 2} l5,9 h-10 z" fill="{fill}">'
                f"<title>{escape(vocab_label(e['kind']))} {e['date']}</title></path>"
            )
        for r in c["relapses"]:
            rx = x(r["date"])
            out.append(
                f'<rect class="relapse" x="{rx - 4:.1f}" y="{TOP + 14}" width="8" height="8" '
                f'fill="#744210"><title>{words["relapse"]} {r["date"]}</title></rect>'
            )
        if c["stop_date"]:
            sx = x(c["stop_date"])
            out.append(
                f'<line x1="{sx:.1f}" x2="{sx:.1f}" y1="{TOP}" y2="{TOP + CHART_H}" '
                f'stroke="{col}" stroke-dasharray="1 2">'
                f"<title>{words['stopped']} {c['stop_date']}: "
                f"{escape(vocab_label(c['stop_reason'] or ''))}</title></line>"
            )
    out.append("</svg>")
    return "".join(out)

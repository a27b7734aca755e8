"""Cells from numbers: counts with denominators, medians with IQR, yes/no, weeks.

Display rounding is always half up (:func:`psoreg.analysis.stats.fmt`), as papers print numbers.
"""

from __future__ import annotations

import pandas as pd

from psoreg.analysis.stats import Correlation, Count, MedianIQR, fmt
from psoreg.analysis.survival import MedianCI
from psoreg.i18n import _
from psoreg.reports.model import Cell

DASH = "—"


def missing(v: object) -> bool:
    return v is None or bool(pd.isna(v))  # type: ignore[arg-type]


def not_shown(k: int) -> str:
    """What a suppressed median prints: 'not shown (n<5)'."""
    return _("not shown (n<{k})").format(k=k)


def yes_no(v: object) -> Cell:
    """'Yes', 'No' or '—' (not recorded / not assessable)."""
    return Cell(DASH if missing(v) else (_("Yes") if bool(v) else _("No")))


def number(v: object, digits: int = 1) -> Cell:
    return Cell(DASH if missing(v) else fmt(float(v), digits))  # type: ignore[arg-type]


def text(v: object) -> Cell:
    """Free text from the data; ';'-separated lists are shown comma-separated."""
    if missing(v) or str(v).strip() == "":
        return Cell(DASH)
    return Cell(", ".join(s.strip() for s in str(v).split(";") if s.strip()))


def count_cell(c: Count) -> Cell:
    """'k/n (p%)', suppressible on k."""
    return Cell(c.text(), count=c.k, value=c)


def median_cell(m: MedianIQR, unit: str = "") -> Cell:
    """'median (IQR q1–q3) unit'; suppressible on n (a median of fewer than K values)."""
    body = f"{m.text()} {_(unit) if unit else ''}".strip()
    return Cell(body, count=m.n if m.n else None, masked=not_shown, value=m)


def km_cell(m: MedianCI, n: int, unit: str = "weeks") -> Cell:
    """'16 (95% CI 4–17) weeks'; suppressible on the number of courses at risk."""
    return Cell(f"{m.text()} {_(unit)}".strip(), count=n or None, masked=not_shown, value=m)


def ci_cell(c: Count) -> Cell:
    """The Wilson 95% CI of a count's proportion, '13.7–69.4' (%); masked with the count."""
    ci = c.wilson()
    if ci is None:
        return Cell(DASH)
    return Cell(f"{fmt(100 * ci[0])}–{fmt(100 * ci[1])}", count=c.k, masked=lambda k: DASH)


def n_cell(n: int) -> Cell:
    return Cell(str(n), count=n)


def correlation_cells(c: Correlation) -> dict[str, Cell]:
    """r, p and n of a correlation (r and p to 2 decimals)."""
    if c.r is None:
        return {"r": Cell(DASH), "p": Cell(DASH), "n": n_cell(c.n)}
    return {"r": Cell(fmt(c.r, 2)), "p": Cell(p_text(c.p)), "n": n_cell(c.n)}


def p_text(p: float | None) -> str:
    """A p-value as journals print it: 2 decimals, 3 below 0.1, '<0.001' below that and
    '>0.99' above 0.99 (a p of 1 is never printed as '1'; gtsummary's style_pvalue)."""
    if p is None or pd.isna(p):
        return DASH
    if p < 0.001:
        return "<0.001"
    if p > 0.99:
        return ">0.99"
    return fmt(p, 3) if p < 0.1 else fmt(p, 2)

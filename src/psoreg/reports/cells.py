"""Cells from numbers: counts with denominators, medians with IQR, yes/no, weeks.

Display rounding is always half up (:func:`psoreg.analysis.stats.fmt`), as papers print numbers.
"""

from __future__ import annotations

import pandas as pd

from psoreg.analysis.stats import Correlation, Count, MedianIQR, fmt
from psoreg.reports.model import Cell

DASH = "—"


def missing(v: object) -> bool:
    return v is None or bool(pd.isna(v))  # type: ignore[arg-type]


def yes_no(v: object) -> Cell:
    """'Yes', 'No' or '—' (not recorded / not assessable)."""
    return Cell(DASH if missing(v) else ("Yes" if bool(v) else "No"))


def number(v: object, digits: int = 1) -> Cell:
    return Cell(DASH if missing(v) else fmt(float(v), digits))  # type: ignore[arg-type]


def text(v: object) -> Cell:
    """Free text from the data; ';'-separated lists are shown comma-separated."""
    if missing(v) or str(v).strip() == "":
        return Cell(DASH)
    return Cell(", ".join(s.strip() for s in str(v).split(";") if s.strip()))


def count_cell(c: Count) -> Cell:
    """'k/n (p%)', suppressible on k."""
    return Cell(c.text(), count=c.k)


def median_cell(m: MedianIQR, unit: str = "") -> Cell:
    """'median (IQR q1–q3) unit'; suppressible on n (a median of fewer than K values)."""
    body = f"{m.text()} {unit}".strip()
    return Cell(body, count=m.n if m.n else None, masked=lambda k: f"not shown (n<{k})")


def n_cell(n: int) -> Cell:
    return Cell(str(n), count=n)


def correlation_cells(c: Correlation) -> dict[str, Cell]:
    """r, p and n of a correlation (r and p to 2 decimals)."""
    if c.r is None:
        return {"r": Cell(DASH), "p": Cell(DASH), "n": n_cell(c.n)}
    return {"r": Cell(fmt(c.r, 2)), "p": Cell(p_text(c.p)), "n": n_cell(c.n)}


def p_text(p: float | None) -> str:
    """A p-value as journals print it: 2 decimals, 3 below 0.1, '<0.001' below that."""
    if p is None or pd.isna(p):
        return DASH
    if p < 0.001:
        return "<0.001"
    return fmt(p, 3) if p < 0.1 else fmt(p, 2)

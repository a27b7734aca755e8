"""Small-count suppression for sharing a report outside the care team.

With ``suppress_below = K``, every cell that discloses a count under K – the k of "k/N (%)"
(with its percentage), the n of a median (the median is then not shown), a number at risk – is
replaced by "<K" (or the cell's own masked text). This is primary suppression as in the NHS
England / ONS small-number guidance; complementary cells (a count that can be worked out by
subtraction from an unsuppressed total) are not suppressed and need a person's review.
Figures apply the same rule to their labels (see ``figures.style.count_label``).
"""

from __future__ import annotations

from psoreg.i18n import _
from psoreg.reports.model import Cell, ReportTable


def mask(count: int, k: int | None) -> str | None:
    """The text for ``count`` under threshold ``k``, or None if it may be shown."""
    if k is None or k <= 1 or count >= k:
        return None
    return f"<{k}"


def suppress_cell(cell: Cell, k: int | None) -> Cell:
    if cell.count is None or mask(cell.count, k) is None:
        return cell
    text = cell.masked(k) if cell.masked else f"<{k}"  # type: ignore[arg-type]
    return Cell(text, cell.count, cell.masked, suppressed=True)


def suppress_table(table: ReportTable, k: int | None) -> ReportTable:
    """The table with every count under ``k`` masked (a footnote says so); ``None`` = no-op."""
    if k is None or k <= 1:
        return table
    for row in table.rows:
        row.cells = {c: suppress_cell(cell, k) for c, cell in row.cells.items()}
    if any(cell.suppressed for row in table.rows for cell in row.cells.values()):
        table.footnotes.append(
            _("Counts under {k} (and their percentages) are shown as <{k}.").format(k=k)
        )
    return table

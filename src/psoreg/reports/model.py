"""The report's building blocks: cells, tables, sentences, figures and the report itself.

A :class:`Report` is format-free. Renderers (``render_html``, ``render_docx``, ``render_md``,
``render_tex``) only lay it out, so every format shows the same cells, and a web page can call
:func:`psoreg.reports.build_report` and render the same object later.

Every number of the results paragraph is taken from a table cell and each :class:`Sentence`
keeps the list of cells it used (:class:`CellRef`), so a reader (and a test) can trace it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any


@dataclass
class Cell:
    """One table cell as printed.

    ``count`` is the count the cell discloses (a k of "k/n (p%)", an n of a median, a number at
    risk), so small-count suppression can find it; ``masked`` gives the text to print instead
    when that count is under the threshold (default ``"<K"``).
    """

    text: str
    count: int | None = None
    masked: Callable[[int], str] | None = None
    suppressed: bool = False

    def __str__(self) -> str:
        return self.text


@dataclass
class Row:
    """A table row: a stable key (for references) and one cell per column key."""

    key: str
    cells: dict[str, Cell]

    def text(self, column: str) -> str:
        return self.cells[column].text if column in self.cells else ""


@dataclass
class ReportTable:
    """A table as the paper lays it out: columns (key, header), rows, footnotes."""

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[Row] = field(default_factory=list)
    footnotes: list[str] = field(default_factory=list)

    def row(self, key: str) -> Row:
        for r in self.rows:
            if r.key == key:
                return r
        raise KeyError(f"{self.key}: no row {key!r}")

    def cell(self, row: str, column: str) -> Cell:
        return self.row(row).cells[column]

    def headers(self) -> list[str]:
        return [h for _, h in self.columns]

    def matrix(self) -> list[list[str]]:
        """Rows of cell texts in column order (what a renderer prints)."""
        return [[r.text(k) for k, _ in self.columns] for r in self.rows]

    def as_dict(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "columns": [{"key": k, "header": h} for k, h in self.columns],
            "rows": [{"key": r.key, **{k: r.text(k) for k, _ in self.columns}} for r in self.rows],
            "footnotes": self.footnotes,
        }


@dataclass(frozen=True)
class CellRef:
    """Where a number of the results paragraph comes from: (table, row, column)."""

    table: str
    row: str
    column: str


@dataclass
class Sentence:
    """One sentence of the results paragraph and the cells its numbers were taken from."""

    text: str
    refs: list[CellRef]


@dataclass
class ReportFigure:
    """A rendered figure with its caption; ``figure`` is a ``matplotlib.figure.Figure``."""

    key: str
    title: str
    caption: str
    figure: Any


@dataclass
class Report:
    """Everything a case-series report shows, in order."""

    title: str
    tables: list[ReportTable]
    paragraph: list[Sentence]
    figures: list[ReportFigure]
    appendix: list[ReportTable]
    notes: list[str] = field(default_factory=list)

    def table(self, key: str) -> ReportTable:
        for t in [*self.tables, *self.appendix]:
            if t.key == key:
                return t
        raise KeyError(f"no table {key!r}")

    def paragraph_text(self) -> str:
        return " ".join(s.text for s in self.paragraph)

    def close(self) -> None:
        """Release the figures' memory (call once the report is written)."""
        for f in self.figures:
            f.figure.clear()

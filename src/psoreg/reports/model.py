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
    #: the statistic the text shows (a Count, MedianIQR, …), for prose in other languages
    value: Any = None

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
    #: the language of the report's text ("en" or "ms")
    lang: str = "en"
    #: the results paragraph as an abstract pair (``--lang both``): [(language, heading,
    #: sentences)], Abstrak first as the case series' journal prints it
    abstracts: list[tuple[str, str, list[Sentence]]] = field(default_factory=list)
    #: the cohort summary the tables were built from (:class:`psoreg.analysis.summary.Summary`)
    summary: Any = None

    def table(self, key: str) -> ReportTable:
        for t in [*self.tables, *self.appendix]:
            if t.key == key:
                return t
        raise KeyError(f"no table {key!r}")

    def paragraph_text(self) -> str:
        return " ".join(s.text for s in self.paragraph)

    def headings(self) -> dict[str, str]:
        """The section headings in the report's language."""
        from psoreg.i18n import _, pgettext, use_language

        with use_language(self.lang):
            return {
                "notes": _("Notes"),
                "results": _("Results"),
                "tables": _("Tables"),
                "figures": _("Figures"),
                "appendix": _("Appendix: reproducibility"),
                "table": _("Table"),
                "figure": pgettext("chart", "Figure"),
                "continued": _("continued"),
                "continued_next": _("continued on the next page"),
            }

    def close(self) -> None:
        """Release the figures' memory (call once the report is written)."""
        for f in self.figures:
            f.figure.clear()


def numbered(title: str) -> tuple[int, str] | None:
    """(number, title) of a 'Table 3. Title' / 'Jadual 3. Tajuk' caption, in any language."""
    import re

    from psoreg.i18n import LANGUAGES, translations

    words = {"Table", "Figure"}
    for lang in LANGUAGES:
        t = translations(lang)
        words |= {t.gettext("Table"), t.pgettext("chart", "Figure")}
    m = re.match(rf"^(?:{'|'.join(map(re.escape, sorted(words)))}) (\d+)\.\s*(.*)$", title, re.S)
    return (int(m.group(1)), m.group(2)) if m else None

"""Write a report in the format its file name asks for, and its tables as CSV."""

from __future__ import annotations

from pathlib import Path

from psoreg.io.spreadsheet import csv_text
from psoreg.reports.model import Report

FORMATS = (".html", ".docx", ".md", ".tex", ".pdf")


def write_report(report: Report, path: Path) -> list[Path]:
    """Write ``report`` to ``path`` (.html, .docx, .md, .tex or .pdf); return every file written.

    HTML, Word and PDF are single files (figures inline SVG / embedded 300 dpi PNG / vector PDF);
    Markdown and LaTeX write their figures next to them in ``<stem>_figures/`` (SVG / PDF) and
    link them. PDF is the LaTeX document compiled with pdflatex (Debian TeX Live).
    """
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(f"--out: got {path.name!r}; expected a file ending {', '.join(FORMATS)}")
    path.parent.mkdir(parents=True, exist_ok=True)
    if suffix == ".html":
        from psoreg.reports.render_html import render_html

        path.write_text(render_html(report), encoding="utf-8")
        return [path]
    if suffix == ".docx":
        from psoreg.reports.render_docx import render_docx

        render_docx(report).save(str(path))
        return [path]
    if suffix == ".pdf":
        from psoreg.reports.render_tex import write_pdf

        return write_pdf(report, path)
    figdir = path.with_name(f"{path.stem}_figures")
    if suffix == ".md":
        from psoreg.reports.render_md import render_md

        text, files = render_md(report, figdir, path.parent)
    else:
        from psoreg.reports.render_tex import render_tex

        text, files = render_tex(report, figdir, path.parent)
    path.write_text(text, encoding="utf-8")
    return [path, *files]


def write_tables_csv(report: Report, folder: Path) -> list[Path]:
    """Each table (and appendix table) as ``<folder>/<key>.csv``, cells as printed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    out = []
    for t in [*report.tables, *report.appendix]:
        p = folder / f"{t.key}.csv"
        p.write_text(csv_text(t.headers(), t.matrix()), encoding="utf-8")  # formulas neutralised
        out.append(p)
    return out

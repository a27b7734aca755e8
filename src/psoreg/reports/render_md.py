"""The report as Markdown (GitHub-flavoured pipe tables); figures as SVG files beside it."""

from __future__ import annotations

from pathlib import Path

from psoreg.reports.figure_files import write_figures
from psoreg.reports.model import Report, ReportTable


def _cell(s: str) -> str:
    return s.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def table_md(t: ReportTable) -> str:
    lines = [f"**{_cell(t.title)}**", ""]
    lines.append("| " + " | ".join(_cell(h) for h in t.headers()) + " |")
    lines.append("|" + "---|" * len(t.columns))
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in t.matrix()]
    lines.append("")
    lines += [f"{_cell(f)}  " for f in t.footnotes]
    return "\n".join(lines) + "\n"


def render_md(report: Report, figdir: Path, relative_to: Path) -> tuple[str, list[Path]]:
    """Markdown text and the figure files written to ``figdir``."""
    h = report.headings()
    out = [f"# {report.title}", ""]
    if report.notes:
        out += [f"> **{h['notes']}**", *[f"> - {n}" for n in report.notes], ""]
    for _lang, heading, sentences in report.abstracts:
        out += [f"## {heading}", "", " ".join(s.text for s in sentences), ""]
    out += [f"## {h['results']}", "", " ".join(s.text for s in report.paragraph), ""]
    out += [f"## {h['tables']}", ""]
    out += [table_md(t) for t in report.tables]
    out += [f"## {h['figures']}", ""]
    files = write_figures(report.figures, [figdir / f"{f.key}.svg" for f in report.figures])
    for f, p in zip(report.figures, files, strict=True):
        rel = p.relative_to(relative_to).as_posix()
        out += [f"![{f.title}]({rel})", "", f"*{f.title}.* {f.caption}", ""]
    out += [f"## {h['appendix']}", ""]
    out += [table_md(t) for t in report.appendix]
    return "\n".join(out), files

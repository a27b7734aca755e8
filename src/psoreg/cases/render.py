"""Rendering a comparison (table + summary) as text, CSV, Markdown, HTML or JSON.

HTML is built from strings with every value passed through :func:`html.escape` (no template
engine). The compared case is marked ``*`` in text and Markdown, bold in HTML and
``is_compared_case`` in CSV and JSON.
"""

from __future__ import annotations

import html
import json
import textwrap
from dataclasses import asdict
from typing import Literal

from psoreg.cases.compare import TABLE_COLUMNS, Comparison, TableRow
from psoreg.cases.json_format import case_dicts
from psoreg.cases.summary import Summary

__all__ = ["FORMATS", "Format", "render_comparison", "summary_lines", "text_table"]

Format = Literal["text", "csv", "md", "html", "json"]
FORMATS: tuple[str, ...] = ("text", "csv", "md", "html", "json")

_WIDTHS = {
    "study": 28, "age_sex": 7, "phenotype": 15, "time_to_onset": 13, "presentation": 28,
    "area": 16, "treatment": 22, "drug_stopped": 7,
}  # fmt: skip


def _counts(counts: dict[str, int]) -> str:
    return ", ".join(f"{k} {v}" for k, v in counts.items()) or "none"


def summary_lines(comp: Comparison) -> list[tuple[str, str]]:
    """(label, text) pairs of the summary, in display order."""
    s: Summary = comp.summary
    lines = [
        ("Matching", f"{s.n_cases} published case(s) with {comp.criterion.describe()} "
                     "(the compared case not counted)"),
    ]  # fmt: skip
    for name, stats in s.onset_by_drug.items():
        lines.append((f"Time to onset, {name}", stats.text()))
    for name, stats in s.onset_by_class.items():
        lines.append((f"Time to onset, {name}", stats.text()))
    lines += [
        ("Time to onset, this case", comp.case_onset_text()),
        ("Morphology", _counts(s.morphology)),
        ("Sites", _counts(s.sites)),
        ("Event type", _counts(s.event_types)),
        ("Drug stopped", s.stopped_text()),
        ("Outcomes", _counts(s.outcomes)),
        ("Family history of psoriasis", _counts(s.family_history)),
    ]
    return lines


def _title(comp: Comparison) -> str:
    return f"Case {comp.case.case_id} compared with published cases: {comp.criterion.describe()}"


def text_table(headers: list[str], rows: list[list[str]], widths: list[int]) -> str:
    """A plain-text table whose long cells wrap within their column."""
    widths = [
        min(w, max([len(h)] + [len(r[i]) for r in rows]))
        for i, (h, w) in enumerate(zip(headers, widths, strict=True))
    ]

    def line(cells: list[str]) -> list[str]:
        wrapped = [textwrap.wrap(c, w) or [""] for c, w in zip(cells, widths, strict=True)]
        height = max(len(w) for w in wrapped)
        return [
            "  ".join(
                (w[k] if k < len(w) else "").ljust(widths[i]) for i, w in enumerate(wrapped)
            ).rstrip()
            for k in range(height)
        ]

    out = line(headers)
    out.append("  ".join("-" * w for w in widths))
    for r in rows:
        out.extend(line(r))
    return "\n".join(out)


def _marked(row: TableRow) -> list[str]:
    cells = row.cells()
    cells[0] = ("* " if row.is_compared_case else "") + cells[0]
    return cells


def _text(comp: Comparison) -> str:
    table = text_table(
        list(TABLE_COLUMNS.values()),
        [_marked(r) for r in comp.rows],
        [_WIDTHS[k] for k in TABLE_COLUMNS],
    )
    summary = "\n".join(f"  {label}: {text}" for label, text in summary_lines(comp))
    return f"{_title(comp)}\n\n{table}\n\n* the compared case\n\nSummary\n{summary}\n"


def _md_cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _markdown(comp: Comparison) -> str:
    head = list(TABLE_COLUMNS.values())
    lines = [f"## {_title(comp)}", "", "| " + " | ".join(head) + " |",
             "|" + "|".join("---" for _ in head) + "|"]  # fmt: skip
    for r in comp.rows:
        cells = [_md_cell(c) for c in r.cells()]
        if r.is_compared_case:
            cells[0] = f"**{cells[0]}** (this case)"
        lines.append("| " + " | ".join(cells) + " |")
    lines += ["", "### Summary", ""]
    lines += [f"- **{_md_cell(label)}:** {_md_cell(text)}" for label, text in summary_lines(comp)]
    return "\n".join(lines) + "\n"


def _html(comp: Comparison) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in TABLE_COLUMNS.values())
    body = []
    for r in comp.rows:
        cls = ' class="compared"' if r.is_compared_case else ""
        cells = "".join(f"<td>{e(c)}</td>" for c in r.cells())
        body.append(f'<tr{cls} data-case-id="{e(r.case_id)}">{cells}</tr>')
    summary = "".join(f"<li><b>{e(k)}:</b> {e(v)}</li>" for k, v in summary_lines(comp))
    title = e(_title(comp))
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head><meta charset="utf-8">'
        f"<title>{title}</title>\n<style>table{{border-collapse:collapse}}"
        "td,th{border:1px solid #999;padding:4px;vertical-align:top}"
        "tr.compared{font-weight:bold;background:#eef}</style></head>\n<body>\n"
        f"<h2>{title}</h2>\n<table>\n<thead><tr>{head}</tr></thead>\n<tbody>\n"
        + "\n".join(body)
        + f"\n</tbody>\n</table>\n<h3>Summary</h3>\n<ul>{summary}</ul>\n</body>\n</html>\n"
    )


def _row_dict(r: TableRow) -> dict[str, object]:
    d = asdict(r)
    d["drugs"] = "; ".join(r.drugs)
    d["morphology"] = "; ".join(r.morphology)
    return d


def _csv(comp: Comparison) -> str:
    from psoreg.io.spreadsheet import dict_csv_text  # formulas neutralised (OWASP)

    rows = [_row_dict(r) for r in comp.rows]
    return dict_csv_text(list(rows[0]), rows)


def _json(comp: Comparison) -> str:
    doc = {
        "case": case_dicts([comp.case])[0],
        "criterion": {"kind": comp.criterion.kind, "value": comp.criterion.value},
        "columns": TABLE_COLUMNS,
        "rows": [asdict(r) for r in comp.rows],
        "summary": comp.summary.as_dict(),
        "summary_text": dict(summary_lines(comp)),
    }
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def render_comparison(comp: Comparison, fmt: str = "text") -> str:
    """The comparison in ``fmt`` (one of :data:`FORMATS`)."""
    renderers = {"text": _text, "csv": _csv, "md": _markdown, "html": _html, "json": _json}
    if fmt not in renderers:
        from psoreg.errors import InvalidValue

        raise InvalidValue("format", fmt, "one of: " + ", ".join(FORMATS))
    return renderers[fmt](comp)

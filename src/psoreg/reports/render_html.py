"""The report as one self-contained HTML file: tables, paragraph, inline SVG figures, appendix.

No external resources (scripts, fonts, images), so the file can be mailed or archived as is.
Each table cell carries ``data-table``/``data-row``/``data-col`` and each sentence the cells it
used (``data-refs``), so the numbers can be traced and read back by machine.
"""

from __future__ import annotations

from html import escape

from psoreg.reports.figure_files import svg_texts
from psoreg.reports.model import Report, ReportTable, Sentence

CSS = """
body{font-family:Georgia,'Times New Roman',serif;max-width:1180px;margin:2em auto;padding:0 1em;
color:#111;line-height:1.45}
h1{font-size:1.6em}h2{font-size:1.25em;margin-top:2em;border-bottom:1px solid #ccc}
table{border-collapse:collapse;margin:1em 0;font-size:.82em;font-family:Arial,Helvetica,sans-serif}
caption{caption-side:top;text-align:left;font-weight:bold;padding:.4em 0}
th,td{border-top:1px solid #999;border-bottom:1px solid #999;padding:.25em .5em;text-align:left;
vertical-align:top}
thead th{border-bottom:2px solid #333;background:#f3f3f3}
.foot{font-size:.78em;color:#333;margin:.1em 0}
figure{margin:1.5em 0}figure svg{max-width:100%;height:auto}
figcaption{font-size:.85em;margin-top:.4em}
.notes{background:#fff8e1;padding:.5em 1em;border-left:4px solid #e69f00}
"""


def table_html(t: ReportTable) -> str:
    head = "".join(f"<th scope='col'>{escape(h)}</th>" for _, h in t.columns)
    body = []
    for r in t.rows:
        tds = "".join(
            f"<td data-table='{escape(t.key)}' data-row='{escape(r.key)}' data-col='{escape(k)}'>"
            f"{escape(r.text(k))}</td>"
            for k, _ in t.columns
        )
        body.append(f"<tr>{tds}</tr>")
    feet = "".join(f"<p class='foot'>{escape(f)}</p>" for f in t.footnotes)
    return (
        f"<table id='{escape(t.key)}'><caption>{escape(t.title)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>{feet}"
    )


def _sentences(sentences: list[Sentence]) -> str:
    out = []
    for s in sentences:
        refs = " ".join(f"{r.table}:{r.row}:{r.column}" for r in s.refs)
        out.append(f"<span class='sentence' data-refs='{escape(refs)}'>{escape(s.text)}</span> ")
    return "".join(out)


def render_html(report: Report) -> str:
    """The whole report as an HTML5 document (UTF-8)."""
    h = report.headings()
    parts = [
        f"<!DOCTYPE html><html lang='{escape(report.lang)}'><head><meta charset='utf-8'>",
        f"<title>{escape(report.title)}</title><style>{CSS}</style></head><body>",
        f"<h1>{escape(report.title)}</h1>",
    ]
    if report.notes:
        items = "".join(f"<li>{escape(n)}</li>" for n in report.notes)
        parts.append(
            f"<div class='notes'><strong>{escape(h['notes'])}</strong><ul>{items}</ul></div>"
        )
    for lang, heading, sentences in report.abstracts:
        parts.append(
            f"<section class='abstract' id='abstract-{escape(lang)}' lang='{escape(lang)}'>"
            f"<h2>{escape(heading)}</h2><p>{_sentences(sentences)}</p></section>"
        )
    parts.append(f"<h2>{escape(h['results'])}</h2><p id='results'>")
    parts.append(_sentences(report.paragraph))
    parts.append(f"</p><h2>{escape(h['tables'])}</h2>")
    parts += [table_html(t) for t in report.tables]
    parts.append(f"<h2>{escape(h['figures'])}</h2>")
    svgs = svg_texts(report.figures)
    for f, svg in zip(report.figures, svgs, strict=True):
        parts.append(
            f"<figure id='{escape(f.key)}'>{svg}"
            f"<figcaption><strong>{escape(f.title)}.</strong> {escape(f.caption)}</figcaption>"
            "</figure>"
        )
    parts.append(f"<h2>{escape(h['appendix'])}</h2>")
    parts += [table_html(t) for t in report.appendix]
    parts.append("</body></html>\n")
    return "".join(parts)

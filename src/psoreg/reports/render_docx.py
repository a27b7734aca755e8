"""The report as a Word document (python-docx): real Word tables, figures as embedded PNG.

Journal layout: landscape A4; three-line tables (a rule above and below the table and under
the header, no vertical rules; the booktabs look), header row repeated across pages, column
widths in proportion to their content; captions in Word's *Caption* style with ``SEQ Table`` /
``SEQ Figure`` fields, so Word numbers them and can build a list of tables/figures; figures as
300 dpi PNG with alt text (the caption) for screen readers.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from psoreg.reports.figure_files import render_figures
from psoreg.reports.model import Report, ReportTable, numbered

PAGE_WIDTH_CM = 29.7 - 2 * 1.8


def _border(parent, edges: dict[str, int]) -> None:  # noqa: ANN001 - an oxml element
    """Set ``edges`` (name -> eighths of a point; 0 = none) on a tblBorders/tcBorders element."""
    for name, size in edges.items():
        el = OxmlElement(f"w:{name}")
        el.set(qn("w:val"), "single" if size else "nil")
        if size:
            el.set(qn("w:sz"), str(size))
            el.set(qn("w:space"), "0")
            el.set(qn("w:color"), "000000")
        parent.append(el)


def _caption(doc, kind: str, number: int, title: str, rest: str = "", word: str = "") -> None:  # noqa: ANN001
    """'Table 3. Title' ('Jadual 3. Tajuk') in the Caption style, the number a Word SEQ field
    (``kind`` names the sequence; ``word`` is the label printed, in the report's language)."""
    p = doc.add_paragraph(style="Caption")
    p.add_run(f"{word or kind} ").bold = True
    fld = OxmlElement("w:fldSimple")
    fld.set(qn("w:instr"), f" SEQ {kind} \\* ARABIC ")
    r = OxmlElement("w:r")
    rpr = OxmlElement("w:rPr")
    rpr.append(OxmlElement("w:b"))
    r.append(rpr)
    t = OxmlElement("w:t")
    t.text = str(number)
    r.append(t)
    fld.append(r)
    p._p.append(fld)
    p.add_run(f". {title}").bold = True
    if rest:
        p.add_run(f" {rest}")


def _widths(t: ReportTable) -> list[float]:
    """Column widths (cm) in proportion to content, each at least its longest word."""
    rows = [t.headers(), *t.matrix()]
    n = len(t.columns)
    least = [
        max(len(w) for r in rows for w in (r[j].split() or [""])) * 0.2 + 0.3 for j in range(n)
    ]
    natural = [max(least[j], min(max(len(r[j]) for r in rows), 50) * 0.19 + 0.3) for j in range(n)]
    if sum(natural) <= PAGE_WIDTH_CM:
        return natural
    spare = max(0.0, PAGE_WIDTH_CM - sum(least))
    extra = [natural[j] - least[j] for j in range(n)]
    total = sum(extra) or 1.0
    widths = [least[j] + spare * extra[j] / total for j in range(n)]
    scale = min(1.0, PAGE_WIDTH_CM / sum(widths))
    return [w * scale for w in widths]


def _table(doc, t: ReportTable, number: int | None, word: str = "Table") -> None:  # noqa: ANN001
    m = numbered(t.title)
    if m and number is not None:
        _caption(doc, "Table", number, m[1], word=word)
    else:
        doc.add_paragraph(t.title, style="Caption")
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.autofit = False
    tblpr = table._tbl.tblPr
    borders = OxmlElement("w:tblBorders")
    _border(borders, {"top": 12, "left": 0, "bottom": 12, "right": 0, "insideH": 0, "insideV": 0})
    tblpr.append(borders)
    for cell, header in zip(table.rows[0].cells, t.headers(), strict=True):
        cell.text = header
        for run in cell.paragraphs[0].runs:
            run.bold = True
        tcpr = cell._tc.get_or_add_tcPr()
        tcb = OxmlElement("w:tcBorders")
        _border(tcb, {"bottom": 6})
        tcpr.append(tcb)
    trpr = table.rows[0]._tr.get_or_add_trPr()
    rep = OxmlElement("w:tblHeader")
    rep.set(qn("w:val"), "true")
    trpr.append(rep)
    for row in t.matrix():
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    widths = _widths(t)
    for r in table.rows:
        for c, w in zip(r.cells, widths, strict=True):
            c.width = Cm(w)
            for p in c.paragraphs:
                p.paragraph_format.space_after = Pt(0)
                for run in p.runs:
                    run.font.size = Pt(8)
    for f in t.footnotes:
        p = doc.add_paragraph(f)
        p.runs[0].font.size = Pt(8)


#: Word's language tags (w:lang), so spelling and hyphenation follow the text's language.
WORD_LANG = {"en": "en-GB", "ms": "ms-MY"}


def _language(doc, lang: str) -> None:  # noqa: ANN001 - docx.Document
    """The document's default proofing language (styles.xml docDefaults)."""
    rpr = doc.styles.element.find(qn("w:docDefaults")).find(qn("w:rPrDefault")).find(qn("w:rPr"))
    el = rpr.find(qn("w:lang"))
    if el is None:
        el = OxmlElement("w:lang")
        rpr.append(el)
    el.set(qn("w:val"), WORD_LANG.get(lang, lang))


def _run_language(run, lang: str) -> None:  # noqa: ANN001 - a docx run
    el = OxmlElement("w:lang")
    el.set(qn("w:val"), WORD_LANG.get(lang, lang))
    run._r.get_or_add_rPr().append(el)


def render_docx(report: Report):  # noqa: ANN201 - docx.document.Document
    """A python-docx Document of the report (call ``.save(path)``)."""
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(1.8))
    h = report.headings()
    _language(doc, report.lang)
    doc.add_heading(report.title, level=0)
    if report.notes:
        doc.add_heading(h["notes"], level=2)
        for n in report.notes:
            doc.add_paragraph(n, style="List Bullet")
    for lang, heading, sentences in report.abstracts:
        doc.add_heading(heading, level=1)
        para = doc.add_paragraph(" ".join(s.text for s in sentences))
        for run in para.runs:
            _run_language(run, lang)
    doc.add_heading(h["results"], level=1)
    doc.add_paragraph(" ".join(s.text for s in report.paragraph))
    doc.add_heading(h["tables"], level=1)
    for i, t in enumerate(report.tables, start=1):
        _table(doc, t, i, h["table"])
    doc.add_heading(h["figures"], level=1)
    pngs = render_figures(report.figures, "png")
    for i, (f, png) in enumerate(zip(report.figures, pngs, strict=True), start=1):
        wide = f.key in ("swimmer", "trajectories", "flow")
        doc.add_picture(io.BytesIO(png), width=Cm(22) if wide else Cm(15))
        found = numbered(f.title)
        title = found[1] if found else f.title
        docpr = doc.inline_shapes[-1]._inline.docPr
        docpr.set("descr", f"{title}. {f.caption}")
        docpr.set("title", title)
        _caption(doc, "Figure", i, title, f.caption, word=h["figure"])
    doc.add_heading(h["appendix"], level=1)
    for t in report.appendix:
        _table(doc, t, None)
    return doc

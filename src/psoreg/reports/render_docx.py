"""The report as a Word document (python-docx): real Word tables, figures as embedded PNG.

Landscape A4 so the 14 columns of Table 2 fit; tables in 8-point type with a header row
repeated across pages.
"""

from __future__ import annotations

import io

from docx import Document
from docx.enum.section import WD_ORIENT
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Pt

from psoreg.reports.figure_files import png_bytes
from psoreg.reports.model import Report, ReportTable


def _table(doc, t: ReportTable) -> None:  # noqa: ANN001 - docx.Document
    doc.add_paragraph(t.title, style="Caption")
    table = doc.add_table(rows=1, cols=len(t.columns))
    table.style = "Table Grid"
    for cell, header in zip(table.rows[0].cells, t.headers(), strict=True):
        cell.text = header
        for run in cell.paragraphs[0].runs:
            run.bold = True
    trpr = table.rows[0]._tr.get_or_add_trPr()
    rep = OxmlElement("w:tblHeader")
    rep.set(qn("w:val"), "true")
    trpr.append(rep)
    for row in t.matrix():
        cells = table.add_row().cells
        for cell, value in zip(cells, row, strict=True):
            cell.text = value
    for r in table.rows:
        for c in r.cells:
            for p in c.paragraphs:
                p.paragraph_format.space_after = Pt(0)
                for run in p.runs:
                    run.font.size = Pt(8)
    for f in t.footnotes:
        p = doc.add_paragraph(f)
        p.runs[0].font.size = Pt(8)


def render_docx(report: Report):  # noqa: ANN201 - docx.document.Document
    """A python-docx Document of the report (call ``.save(path)``)."""
    doc = Document()
    sec = doc.sections[0]
    sec.orientation = WD_ORIENT.LANDSCAPE
    sec.page_width, sec.page_height = Cm(29.7), Cm(21.0)
    for side in ("left_margin", "right_margin", "top_margin", "bottom_margin"):
        setattr(sec, side, Cm(1.8))
    doc.add_heading(report.title, level=0)
    if report.notes:
        doc.add_heading("Notes", level=2)
        for n in report.notes:
            doc.add_paragraph(n, style="List Bullet")
    doc.add_heading("Results", level=1)
    doc.add_paragraph(" ".join(s.text for s in report.paragraph))
    doc.add_heading("Tables", level=1)
    for t in report.tables:
        _table(doc, t)
    doc.add_heading("Figures", level=1)
    for f in report.figures:
        doc.add_picture(
            io.BytesIO(png_bytes(f.figure)),
            width=Cm(22) if f.key in ("swimmer", "trajectories") else Cm(13),
        )
        doc.add_paragraph(f"{f.title}. {f.caption}", style="Caption")
    doc.add_heading("Appendix: reproducibility", level=1)
    for t in report.appendix:
        _table(doc, t)
    return doc

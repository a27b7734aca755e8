"""Helpers for the report tests (no tests here): cohorts, numbers in text, HTML/DOCX read-back."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd

from psoreg.cohort import Cohort
from tests.conftest import ROOT

ARTIFACTS = ROOT / "test-artifacts"

#: Numbers standing alone (not the 75 of "PASI75").
NUMBER = re.compile(r"(?<![\w.])\d+(?:\.\d+)?(?![\w])")


def numbers(text: str) -> list[str]:
    return NUMBER.findall(text)


class CellReader(HTMLParser):
    """(table, row, column) -> text of every ``<td data-table=…>`` of a report page."""

    def __init__(self) -> None:
        super().__init__()
        self.cells: dict[tuple[str, str, str], str] = {}
        self.sentences: list[tuple[str, str]] = []
        self._cur: tuple[str, str, str] | None = None
        self._sent: str | None = None
        self._buf: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "td" and "data-table" in a:
            self._cur = (a["data-table"] or "", a["data-row"] or "", a["data-col"] or "")
            self._buf = []
        if tag == "span" and a.get("class") == "sentence":
            self._sent = a.get("data-refs") or ""
            self._buf = []

    def handle_data(self, data: str) -> None:
        if self._cur is not None or self._sent is not None:
            self._buf.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "td" and self._cur is not None:
            self.cells[self._cur] = "".join(self._buf)
            self._cur = None
        if tag == "span" and self._sent is not None:
            self.sentences.append(("".join(self._buf), self._sent))
            self._sent = None


def read_html(path: Path) -> CellReader:
    r = CellReader()
    r.feed(path.read_text(encoding="utf-8"))
    return r


def docx_tables(path: Path) -> dict[str, list[list[str]]]:
    """Each Word table by the caption paragraph before it: list of rows of cell texts."""
    from docx import Document

    doc = Document(str(path))
    body = doc.element.body
    out: dict[str, list[list[str]]] = {}
    caption = ""
    tables = iter(doc.tables)
    for child in body.iterchildren():
        tag = child.tag.rsplit("}", 1)[-1]
        if tag == "p":
            text = "".join(t.text or "" for t in child.iter() if t.tag.endswith("}t"))
            if text.startswith(("Table", "Appendix")):
                caption = text
        elif tag == "tbl":
            t = next(tables)
            out[caption] = [[c.text for c in row.cells] for row in t.rows]
    return out


def edge_cohort(kind: str) -> Cohort:
    """Small cohorts for edge cases: 'one_patient', 'no_pasi75', 'all_ongoing'."""
    patients = pd.DataFrame(
        {
            "patient_id": ["A", "B", "C"],
            "sex": ["F", "M", "M"],
            "age_years": [30.0, 40.0, 50.0],
            "biologic_naive": [True, False, True],
        }
    )
    courses = pd.DataFrame(
        {
            "course_id": ["A1", "B1", "C1"],
            "patient_id": ["A", "B", "C"],
            "drug": ["ustekinumab", "adalimumab", "secukinumab"],
            "stop_week": [40.0, 30.0, 20.0],
            "stop_reason": ["inefficacy", "adverse event", "remission"],
            "followup_week": [40.0, 30.0, 20.0],
        }
    )
    pasi = {
        "A1": [(0, 20), (12, 12), (24, 11), (40, 12)],
        "B1": [(0, 10), (12, 8), (30, 9)],
        "C1": [(0, 30), (12, 25), (20, 24)],
    }
    if kind == "all_ongoing":
        pasi = {
            "A1": [(0, 20), (12, 4), (24, 1)],
            "B1": [(0, 10), (12, 2), (30, 1)],
            "C1": [(0, 30), (12, 9), (20, 6)],
        }
        courses = courses.assign(stop_week=float("nan"), stop_reason=None)
    rows = [(c, w, p) for c, v in pasi.items() for w, p in v]
    assessments = pd.DataFrame(rows, columns=["course_id", "week", "pasi"])
    if kind == "one_patient":
        patients, courses = patients.iloc[:1], courses.iloc[:1]
        assessments = assessments[assessments.course_id == "A1"]
    return Cohort(patients=patients, courses=courses, assessments=assessments, kind="visits")

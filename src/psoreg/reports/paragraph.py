"""The results paragraph, written from the table cells the way the case series' abstract reads.

("Out of 8 patients, 6 (75%) patients were males. There were 6 (75%) biologic-naïve patients.
Median age was … Median duration to achieve PASI75 was 16 weeks and median total duration of
treatment was 102 weeks …" – shared/seeds/ustekinumab-case-series-ukmmc.txt, Abstract.)

Every number is the text of a table cell, inserted verbatim, and each :class:`Sentence` lists
the (table, row, column) cells it used; so the paragraph shows exactly what the tables show,
including suppressed counts ("<5").
"""

from __future__ import annotations

from psoreg.reports.model import CellRef, ReportTable, Sentence


class _Writer:
    def __init__(self, tables: dict[str, ReportTable]) -> None:
        self.tables = tables
        self.sentences: list[Sentence] = []

    def has(self, table: str, row: str) -> bool:
        t = self.tables.get(table)
        return t is not None and any(r.key == row for r in t.rows)

    def cell(self, table: str, row: str, column: str, refs: list[CellRef]) -> str:
        refs.append(CellRef(table, row, column))
        return self.tables[table].cell(row, column).text

    def n(self, table: str, row: str) -> int | None:
        c = self.tables[table].cell(row, "value")
        return None if c.suppressed else c.count

    def add(self, text: str, refs: list[CellRef]) -> None:
        self.sentences.append(Sentence(text, refs))


def results_paragraph(tables: dict[str, ReportTable]) -> list[Sentence]:
    """Sentences from the 'summary' and 'correlations' tables (see the module docstring)."""
    w = _Writer(tables)
    S = "summary"

    def v(row: str, refs: list[CellRef], column: str = "value") -> str:
        return w.cell(S, row, column, refs)

    r: list[CellRef] = []
    w.add(
        f"Out of {v('patients', r)} patients ({v('courses', r)} courses), "
        f"{v('male', r)} were male.",
        r,
    )
    r = []
    w.add(
        f"There were {v('biologic_naive', r)} biologic-naive patients, and "
        f"{v('psoriatic_arthritis', r)} had psoriatic arthritis.",
        r,
    )
    r = []
    w.add(
        f"Median age was {v('age', r)} years and median duration of psoriasis "
        f"{v('disease_duration', r)} years; median baseline PASI was {v('baseline_pasi', r)}.",
        r,
    )
    r = []
    label = v("treatment_success", r, "figure")
    w.add(f"{label} was achieved in {v('treatment_success', r)} of assessable courses.", r)
    r = []
    if w.n(S, "weeks_to_pasi75") == 0:
        w.add("No course reached PASI75.", [])
    else:
        w.add(
            f"The median time to PASI75 was {v('weeks_to_pasi75', r)} "
            f"(n{_n(w, 'weeks_to_pasi75', r)}) "
            f"and PASI90 was reached in {v('pasi90_reached', r)} courses.",
            r,
        )
    r = []
    if w.n(S, "weeks_on_treatment") == 0:
        w.add(f"No course had stopped ({v('weeks_on_treatment', r, 'note')}).", r)
    else:
        w.add(
            f"The median total duration of treatment was {v('weeks_on_treatment', r)} "
            f"({v('weeks_on_treatment', r, 'note').rsplit('; ', 1)[0]}).",
            r,
        )
    r = []
    if w.n(S, "weeks_to_relapse") == 0:
        w.add(f"No relapse after stopping was recorded (relapse: {v('relapse', r)}).", r)
    else:
        w.add(
            f"Relapse after stopping occurred in {v('relapse', r)} eligible courses, at a median "
            f"of {v('weeks_to_relapse', r)} after the stop; {v('relapse_pustular', r)} of courses "
            "relapsed with pustules.",
            r,
        )
    r = []
    w.add(
        f"Secondary failure occurred in {v('secondary_failure', r)} of courses"
        + _weeks_note(w, r)
        + f", and a paradoxical event in {v('paradoxical_event', r)}.",
        r,
    )
    _correlations(w)
    return w.sentences


def _n(w: _Writer, row: str, refs: list[CellRef]) -> str:
    """The n of a median, as its note cell prints it."""
    note = w.cell("summary", row, "note", refs)
    return note.split(";")[0].removeprefix("n")


def _weeks_note(w: _Writer, refs: list[CellRef]) -> str:
    note = w.tables["summary"].cell("secondary_failure", "note").text
    if "at week" not in note:
        return ""
    refs.append(CellRef("summary", "secondary_failure", "note"))
    return f" ({note.split('; ', 1)[1]})"


def _correlations(w: _Writer) -> None:
    t = w.tables.get("correlations")
    if t is None:
        return
    parts: list[str] = []
    refs: list[CellRef] = []
    significant = False
    for row in t.rows:
        if row.text("r") == "—":
            continue
        label = row.text("factor").split(" (")[0]
        label = label[0].lower() + label[1:]
        r_ = w.cell("correlations", row.key, "r", refs)
        p = w.cell("correlations", row.key, "p", refs)
        n = w.cell("correlations", row.key, "n", refs)
        parts.append(f"{label} (r={r_}, p={p}, n={n})")
        p_val = _p(p)
        significant = significant or (p_val is not None and p_val < 0.05)
    if not parts:
        w.add("Too few relapses to correlate candidate factors with the time to relapse.", [])
        return
    verdict = (
        "Spearman correlations with the weeks from stopping to relapse"
        if significant
        else "None of the candidate factors was significantly correlated with the weeks from "
        "stopping to relapse (Spearman)"
    )
    w.add(f"{verdict}: {'; '.join(parts)}.", refs)


def _p(text: str) -> float | None:
    try:
        return float(text.lstrip("<"))
    except ValueError:
        return None

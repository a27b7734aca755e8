"""The results paragraph, written from the table cells the way the case series' abstract reads.

("Out of 8 patients, 6 (75%) patients were males. There were 6 (75%) biologic-naïve patients.
Median age was … Median duration to achieve PASI75 was 16 weeks and median total duration of
treatment was 102 weeks …" – shared/seeds/ustekinumab-case-series-ukmmc.txt, Abstract.)

Every number is the text of a table cell, inserted verbatim, and each :class:`Sentence` lists
the (table, row, column) cells it used; so the paragraph shows exactly what the tables show,
including suppressed counts ("<5").
"""

from __future__ import annotations

from psoreg.i18n import _
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
        _("Out of {patients} patients ({courses} courses), {male} were male.").format(
            patients=v("patients", r), courses=v("courses", r), male=v("male", r)
        ),
        r,
    )
    r = []
    w.add(
        _("There were {naive} biologic-naive patients, and {psa} had psoriatic arthritis.").format(
            naive=v("biologic_naive", r), psa=v("psoriatic_arthritis", r)
        ),
        r,
    )
    r = []
    w.add(
        _(
            "Median age was {age} years and median duration of psoriasis {duration} years; "
            "median baseline PASI was {pasi}."
        ).format(age=v("age", r), duration=v("disease_duration", r), pasi=v("baseline_pasi", r)),
        r,
    )
    r = []
    label = v("treatment_success", r, "figure")
    w.add(
        _("{label} was achieved in {count} of assessable courses.").format(
            label=label, count=v("treatment_success", r)
        ),
        r,
    )
    r = []
    if w.n(S, "weeks_to_pasi75") == 0:
        w.add(_("No course reached PASI75."), [])
    else:
        w.add(
            _(
                "The median time to PASI75 was {median} (n{n}) and PASI90 was reached in "
                "{pasi90} courses."
            ).format(
                median=v("weeks_to_pasi75", r),
                n=_n(w, "weeks_to_pasi75", r),
                pasi90=v("pasi90_reached", r),
            ),
            r,
        )
    r = []
    if w.n(S, "weeks_on_treatment") == 0:
        w.add(
            _("No course had stopped ({note}).").format(note=v("weeks_on_treatment", r, "note")),
            r,
        )
    else:
        w.add(
            _("The median total duration of treatment was {median} ({note}).").format(
                median=v("weeks_on_treatment", r),
                note=v("weeks_on_treatment", r, "note").rsplit("; ", 1)[0],
            ),
            r,
        )
    r = []
    if w.n(S, "weeks_to_relapse") == 0:
        w.add(
            _("No relapse after stopping was recorded (relapse: {relapse}).").format(
                relapse=v("relapse", r)
            ),
            r,
        )
    else:
        w.add(
            _(
                "Relapse after stopping occurred in {relapse} eligible courses, at a median of "
                "{median} after the stop; {pustular} of courses relapsed with pustules."
            ).format(
                relapse=v("relapse", r),
                median=v("weeks_to_relapse", r),
                pustular=v("relapse_pustular", r),
            ),
            r,
        )
    r = []
    sf = v("secondary_failure", r)
    weeks = _weeks_note(w, r)
    w.add(
        _(
            "Secondary failure occurred in {secondary_failure} of courses{weeks}, and a "
            "paradoxical event in {paradoxical}."
        ).format(secondary_failure=sf, weeks=weeks, paradoxical=v("paradoxical_event", r)),
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
    if "; " not in note:
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
        if not label[:2].isupper():  # 'Age' -> 'age', but 'PASI garis dasar' stays
            label = label[0].lower() + label[1:]
        r_ = w.cell("correlations", row.key, "r", refs)
        p = w.cell("correlations", row.key, "p", refs)
        n = w.cell("correlations", row.key, "n", refs)
        parts.append(f"{label} (r={r_}, p={p}, n={n})")
        p_val = _p(p)
        significant = significant or (p_val is not None and p_val < 0.05)
    if not parts:
        w.add(_("Too few relapses to correlate candidate factors with the time to relapse."), [])
        return
    verdict = (
        _("Spearman correlations with the weeks from stopping to relapse")
        if significant
        else _(
            "None of the candidate factors was significantly correlated with the weeks from "
            "stopping to relapse (Spearman)"
        )
    )
    w.add(f"{verdict}: {'; '.join(parts)}.", refs)


def _p(text: str) -> float | None:
    try:
        return float(text.lstrip("<"))
    except ValueError:
        return None

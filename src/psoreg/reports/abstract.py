"""The results as an abstract, in Bahasa Malaysia and English: the "Abstrak"/"Abstract" pair.

The UKMMC case series (shared/seeds/ustekinumab-case-series-ukmmc.txt, first page) is printed
with an Abstrak in Malay and an Abstract in English that give the same figures in the same
order: sex, biologic-naive, median age and duration of psoriasis (with IQR), median time to
PASI75, PASI75 at week 12 (treatment success), median total duration of treatment, secondary
failure, paradoxical events, and relapse after stopping (median time, morphology). This module
writes those sentences from the report's summary table, once per language, with numbers laid out
by the language's conventions (:mod:`psoreg.i18n.formats`) and counts written as the journal
does, "6 (75%)". Each :class:`Sentence` lists the summary cells it used.

Where the paper's abstract prints a figure its own Results contradict (a published-figures file
with an ``abstract`` entry, :mod:`psoreg.analysis.published`), the sentence gives the data's
figure and notes the abstract's ("41 tahun …; Abstrak asal: 41.5"). Malay terms follow the
paper's Abstrak and docs/glossary.md.
"""

from __future__ import annotations

from typing import Any

from psoreg.analysis.stats import Count, MedianIQR
from psoreg.i18n import _, use_language
from psoreg.i18n.formats import decimal, percent
from psoreg.reports.model import CellRef, Report, ReportTable, Sentence

#: The pair in the journal's order: Abstrak first.
PAIR = (("ms", "Abstrak"), ("en", "Abstract"))


class _Abstract:
    def __init__(self, table: ReportTable, comparisons: list[Any], options: dict) -> None:
        self.table = table
        self.papers = {c.key: c for c in comparisons if getattr(c, "abstract", "")}
        self.sentences: list[Sentence] = []
        self.options = options

    @property
    def week(self) -> str:
        """The primary week, as the tables name it ('week 12', 'minggu ke-12')."""
        if self.options.get("primary_week_by_drug"):
            return _("each drug's assessment week")
        return _("week {week}").format(week=decimal(float(self.options.get("primary_week", 12))))

    def has(self, key: str) -> bool:
        return any(r.key == key for r in self.table.rows)

    def stat(self, key: str, refs: list[CellRef]) -> tuple[Any, str]:
        """The statistic of a summary row and its printed text (masked if suppressed)."""
        refs.append(CellRef("summary", key, "value"))
        cell = self.table.cell(key, "value")
        return (None if cell.suppressed else cell.value), cell.text

    def count(self, key: str, refs: list[CellRef]) -> str:
        """'6 (75%)', as the journal prints a count; the masked text when suppressed."""
        c, text = self.stat(key, refs)
        if not isinstance(c, Count) or not c.n:
            return text
        return f"{c.k} ({percent(c.percent)})"

    def of(self, key: str, refs: list[CellRef]) -> str:
        """'5 of 7 (71.4%)' for a count whose denominator is not the whole series."""
        c, text = self.stat(key, refs)
        if not isinstance(c, Count) or not c.n:
            return text
        return _("{k} of {n} ({percent})").format(k=c.k, n=c.n, percent=percent(c.percent))

    def median(self, key: str, refs: list[CellRef], iqr: bool = False) -> tuple[str, str]:
        """('41', ' (IQR 26.8–48.3; …)'): the median, and in brackets its IQR (quartiles to
        the same decimals, '6.5–23.0', as the paper prints them) and the abstract's differing
        figure, to follow the unit."""
        m, text = self.stat(key, refs)
        if not isinstance(m, MedianIQR) or not m.n:
            return text, ""
        out = decimal(m.median)
        extra = []
        if iqr and m.q1 is not None and m.q3 is not None:
            q1, q3 = decimal(m.q1), decimal(m.q3)
            if "." in q1 + q3:  # one decimal on both, as the paper: 6.5–23.0
                q1, q3 = decimal(m.q1, fixed=True), decimal(m.q3, fixed=True)
            extra.append(f"IQR {q1}–{q3}")
        paper = self.papers.get(key)
        if paper is not None and paper.abstract != out:
            extra.append(_("the paper's abstract: {value}").format(value=paper.abstract))
        return out, (f" ({'; '.join(extra)})" if extra else "")

    def n(self, key: str) -> int:
        value = self.table.cell(key, "value").value
        return int(value.n) if isinstance(value, Count | MedianIQR) else 0

    def add(self, text: str, refs: list[CellRef]) -> None:
        self.sentences.append(Sentence(text, refs))


def abstract_sentences(report: Report, lang: str) -> list[Sentence]:
    """The abstract of ``report`` in ``lang`` (from its summary table)."""
    table = report.table("summary")
    summary = report.summary
    comparisons = list(getattr(summary, "comparisons", []) or [])
    provenance = getattr(summary, "provenance", {}) or {}
    options = {o["option"]: o["value"] for o in provenance.get("options", [])}
    with use_language(lang):
        return _write(_Abstract(table, comparisons, options))


def abstract_pair(report: Report) -> list[tuple[str, str, list[Sentence]]]:
    """[("ms", "Abstrak", …), ("en", "Abstract", …)], the journal's order."""
    return [(lang, heading, abstract_sentences(report, lang)) for lang, heading in PAIR]


def _write(a: _Abstract) -> list[Sentence]:
    patients_value = a.table.cell("patients", "value").text
    courses_value = a.table.cell("courses", "value").text
    per_patient = patients_value == courses_value
    unit = _("patients") if per_patient else _("courses")

    r: list[CellRef] = [CellRef("summary", "patients", "value")]
    a.add(
        _("Of the {n} patients, {male} were male and {naive} were biologic-naive.").format(
            n=patients_value, male=a.count("male", r), naive=a.count("biologic_naive", r)
        ),
        r,
    )
    r = []
    age, age_detail = a.median("age", r, iqr=True)
    duration, duration_detail = a.median("disease_duration", r, iqr=True)
    a.add(
        _(
            "Median age was {age} years{age_detail} and median duration of psoriasis was "
            "{duration} years{duration_detail}."
        ).format(
            age=age, age_detail=age_detail, duration=duration, duration_detail=duration_detail
        ),
        r,
    )
    r = []
    if a.n("weeks_to_pasi75"):
        a.add(
            _("Median time to achieve PASI75 was {weeks} weeks.").format(
                weeks="".join(a.median("weeks_to_pasi75", r))
            ),
            r,
        )
        r = []
    c, text = a.stat("treatment_success", r)
    share = percent(c.percent) if isinstance(c, Count) and c.n else text
    a.add(
        _("PASI75 at {week} (treatment success) was achieved by {percent} of {unit}.").format(
            week=a.week, percent=share, unit=unit
        ),
        r,
    )
    r = []
    if a.n("weeks_on_treatment"):
        a.add(
            _("Median total duration of treatment was {weeks} weeks.").format(
                weeks="".join(a.median("weeks_on_treatment", r))
            ),
            r,
        )
        r = []
    a.add(
        _("Secondary failure occurred in {sf} {unit} and a paradoxical event in {pe}.").format(
            sf=a.count("secondary_failure", r), unit=unit, pe=a.count("paradoxical_event", r)
        ),
        r,
    )
    r = []
    if a.n("weeks_to_relapse"):
        a.add(
            _(
                "Relapse after stopping occurred in {relapse} eligible {unit}, at a median of "
                "{weeks} weeks; {plaque} who stopped relapsed with plaques and {pustular} with "
                "pustules."
            ).format(
                relapse=a.of("relapse", r),
                unit=unit,
                weeks="".join(a.median("weeks_to_relapse", r)),
                plaque=a.of("relapse_plaque", r),
                pustular=a.count("relapse_pustular", r),
            ),
            r,
        )
    elif a.has("relapse"):
        a.add(
            _("No relapse after stopping was recorded ({relapse}).").format(
                relapse=a.of("relapse", r)
            ),
            r,
        )
    return a.sentences

"""The cohort summary table (every figure of :func:`psoreg.analysis.summary.summarize`) and the
correlations of candidate risk factors with time to relapse.

The correlations follow the case series' Results ("Disease duration (r=0.47, p=0.24), PASI at
week 0 … and treatment duration … were not identified as risk factors for relapse"): Spearman
rank correlation with weeks from stopping to relapse, two-sided p (scipy.stats.spearmanr), over
courses with a relapse. The report prints what the data give (shared/data/README.md).
"""

from __future__ import annotations

import re

import pandas as pd

from psoreg.analysis.stats import Correlation, Count, MedianIQR, correlation
from psoreg.analysis.summary import Summary
from psoreg.analysis.survival import MedianCI
from psoreg.cohort import Cohort
from psoreg.i18n import N_, _
from psoreg.reports.cells import (
    DASH,
    ci_cell,
    correlation_cells,
    count_cell,
    km_cell,
    median_cell,
    n_cell,
)
from psoreg.reports.model import Cell, ReportTable, Row

#: Units printed after a median, by summary key.
WEEKS = N_("weeks")
UNITS = {"weeks_to_pasi75": WEEKS, "weeks_on_treatment": WEEKS, "weeks_to_relapse": WEEKS}


def _note_cell(note: str, n: int | None) -> Cell:
    if n is None:
        return Cell(note)
    return Cell(
        note, count=n, masked=lambda k: re.sub(r"\b(n|events|peristiwa)=\d+", rf"\1<{k}", note)
    )


def summary_table(summary: Summary, suppress_details: bool = False) -> ReportTable:
    """One row per summary figure (correlations are in their own table), with the Wilson 95%
    CI of each proportion and an 'Unknown' row under every count that leaves records out.

    ``suppress_details`` drops per-patient details from the notes (the weeks of each secondary
    failure), for reports shared under small-count suppression."""
    rows = []
    for f in summary.figures:
        if isinstance(f.stat, Correlation):
            continue
        ci: Cell = Cell(DASH)
        note_text = f.note
        at_weeks = "; " + _("at week(s) {weeks}").split("{")[0].strip()
        if suppress_details and at_weeks in note_text:
            note_text = note_text.split(at_weeks)[0]
        if isinstance(f.stat, Count):
            value, note, ci = count_cell(f.stat), _note_cell(note_text, None), ci_cell(f.stat)
        elif isinstance(f.stat, MedianIQR):
            value = median_cell(f.stat, UNITS.get(f.key, ""))
            note = _note_cell(note_text, f.stat.n or None)
        elif isinstance(f.stat, MedianCI):
            n = int(note_text.split(",")[0].removeprefix("n=")) if note_text.startswith("n=") else 0
            value, note = km_cell(f.stat, n), _note_cell(note_text, n or None)
        else:
            value, note = n_cell(int(f.stat)), _note_cell(note_text, None)
        rows.append(Row(f.key, {"figure": Cell(f.label), "value": value, "ci": ci, "note": note}))
        if isinstance(f.stat, Count) and f.stat.unknown:
            rows.append(
                Row(
                    f"{f.key}_unknown",
                    {
                        "figure": Cell("    " + _("Unknown")),
                        "value": n_cell(f.stat.unknown),
                        "ci": Cell(DASH),
                        "note": Cell(_("not in the denominator: value not known")),
                    },
                )
            )
    method = summary.provenance.get("quantile_method", "")
    km = summary.provenance.get("km_median", "smallest")
    km_ci = summary.provenance.get("km_ci", "log-log")
    return ReportTable(
        "summary",
        _("Table 3. Summary of the case series"),
        [
            ("figure", _("Figure")),
            ("value", _("Value")),
            ("ci", _("95% CI (%)")),
            ("note", _("Denominator / method")),
        ],  # fmt: skip
        rows,
        [
            _(
                "Counts are k/N (%) with the denominator named; percentages rounded half up; "
                "95% CI of a proportion: Wilson score interval (Wilson 1927). 'Unknown' rows "
                "count the records left out of a denominator because the value is not known."
            ),
            _(
                "Medians with IQR; quartiles by the quantile method '{method}' (named in each row)."
            ).format(method=method),
            _(
                "Kaplan–Meier medians: {convention}; 95% CI where the pointwise {ci} band "
                "crosses 0.5 (R print.survfit rule); NR = not reached, NA = not estimable from "
                "the data. The plain medians (IQR) over the courses with the event are what a "
                "case series prints."
            ).format(
                convention=_("the smallest time with S(t) ≤ 0.5 (tolerance 1.5e-8)")
                if km == "smallest"
                else _("R's convention (midpoint of a flat segment at exactly S = 0.5)"),
                ci=km_ci,
            ),
        ],
    )


#: Candidate risk factors: (key, label, column of the per-course frame built below).
FACTORS = [
    ("age", N_("Age (years)"), "age"),
    ("disease_duration", N_("Disease duration (years)"), "disease_duration"),
    ("baseline_pasi", N_("Baseline PASI"), "baseline_pasi"),
    ("weeks_on_treatment", N_("Weeks on treatment"), "weeks_on_treatment"),
]


def correlations_table(cohort: Cohort, outcomes: pd.DataFrame) -> ReportTable:
    """Spearman correlation of each candidate factor with weeks from stopping to relapse."""
    p = cohort.patients.assign(patient_id=cohort.patients.patient_id.astype(str))
    p = p.set_index("patient_id")
    pid = outcomes.patient_id.astype(str)
    d = outcomes.assign(
        age=pid.map(p.age_years), disease_duration=pid.map(p.disease_duration_years)
    )
    rows = []
    for key, label, col in FACTORS:
        c = correlation(d[col], d.weeks_to_relapse, "spearman")
        rows.append(Row(key, {"factor": Cell(_(label)), **correlation_cells(c)}))
    return ReportTable(
        "correlations",
        _("Table 4. Candidate risk factors and weeks from stopping to relapse"),
        [("factor", _("Factor")), ("r", _("Spearman r")), ("p", "p"), ("n", "n")],
        rows,
        [
            _(
                "Spearman rank correlation (scipy.stats.spearmanr), two-sided p; courses with a "
                "relapse and both values recorded; — = fewer than 3 pairs or no variation."
            )
        ],
    )

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
from psoreg.cohort import Cohort
from psoreg.reports.cells import correlation_cells, count_cell, median_cell, n_cell
from psoreg.reports.model import Cell, ReportTable, Row

#: Units printed after a median, by summary key.
UNITS = {"weeks_to_pasi75": "weeks", "weeks_on_treatment": "weeks", "weeks_to_relapse": "weeks"}


def _note_cell(note: str, n: int | None) -> Cell:
    if n is None:
        return Cell(note)
    return Cell(note, count=n, masked=lambda k: re.sub(r"n=\d+", f"n<{k}", note))


def summary_table(summary: Summary) -> ReportTable:
    """One row per summary figure (correlations are in their own table)."""
    rows = []
    for f in summary.figures:
        if isinstance(f.stat, Correlation):
            continue
        if isinstance(f.stat, Count):
            value, note = count_cell(f.stat), _note_cell(f.note, None)
        elif isinstance(f.stat, MedianIQR):
            value = median_cell(f.stat, UNITS.get(f.key, ""))
            note = _note_cell(f.note, f.stat.n or None)
        else:
            value, note = n_cell(int(f.stat)), _note_cell(f.note, None)
        rows.append(Row(f.key, {"figure": Cell(f.label), "value": value, "note": note}))
    method = summary.provenance.get("quantile_method", "")
    return ReportTable(
        "summary",
        "Table 3. Summary of the case series",
        [("figure", "Figure"), ("value", "Value"), ("note", "Denominator / method")],
        rows,
        [
            "Counts are k/N (%) with the denominator named; percentages rounded half up.",
            f"Medians with IQR; quartiles by the quantile method {method!r} (named in each row).",
        ],
    )


#: Candidate risk factors: (key, label, column of the per-course frame built below).
FACTORS = [
    ("age", "Age (years)", "age"),
    ("disease_duration", "Disease duration (years)", "disease_duration"),
    ("baseline_pasi", "Baseline PASI", "baseline_pasi"),
    ("weeks_on_treatment", "Weeks on treatment", "weeks_on_treatment"),
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
        rows.append(Row(key, {"factor": Cell(label), **correlation_cells(c)}))
    return ReportTable(
        "correlations",
        "Table 4. Candidate risk factors and weeks from stopping to relapse",
        [("factor", "Factor"), ("r", "Spearman r"), ("p", "p"), ("n", "n")],
        rows,
        [
            "Spearman rank correlation (scipy.stats.spearmanr), two-sided p; courses with a "
            "relapse and both values recorded; — = fewer than 3 pairs or no variation."
        ],
    )

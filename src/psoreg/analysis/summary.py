"""The case-series summary: the figures a paper's Results and abstract report.

Patient-level figures (sex, age, disease duration, …) are over patients; course-level figures
(baseline PASI, response, relapse, …) over courses, each with its denominator stated. Medians
and IQRs name their quantile method. Counts of events (secondary failure, paradoxical event,
relapse with pustules) are over all courses, as the case series reports them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from psoreg.analysis.stats import (
    Correlation,
    Count,
    MedianIQR,
    QuantileMethod,
    correlation,
    count,
    fmt,
    median_iqr,
)
from psoreg.cohort import Cohort
from psoreg.outcomes.run import OutcomeResult


@dataclass(frozen=True)
class Figure:
    """One reported figure: a key, a label, its text as printed and its numbers."""

    key: str
    label: str
    text: str
    stat: Count | MedianIQR | Correlation | int
    note: str = ""

    def as_dict(self) -> dict[str, Any]:
        stat = self.stat if isinstance(self.stat, int) else self.stat.as_dict()
        kind = type(self.stat).__name__.lower()
        return {
            "key": self.key,
            "label": self.label,
            "text": self.text,
            "kind": kind,
            "value": stat,
            "note": self.note,
        }


@dataclass
class Summary:
    figures: list[Figure]
    provenance: dict[str, Any]
    warnings: list[str] = field(default_factory=list)

    def __getitem__(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "figures": [f.as_dict() for f in self.figures],
            "warnings": self.warnings,
            "provenance": self.provenance,
        }


def _counted(key: str, label: str, c: Count, note: str = "") -> Figure:
    return Figure(key, label, c.text(), c, note or c.denominator)


def _median(key: str, label: str, m: MedianIQR, unit: str, note: str = "") -> Figure:
    n_note = f"n={m.n}" + (f"; {note}" if note else "")
    return Figure(key, label, f"{m.text()} {unit}".strip(), m, f"{n_note}; {m.method}")


def summarize(cohort: Cohort, result: OutcomeResult, quantile: QuantileMethod = "type6") -> Summary:
    """Every figure of the case-series summary, from a cohort and its per-course outcomes."""
    p, o = cohort.patients, result.table
    n_pat, n_crs = len(p), len(o)
    figs: list[Figure] = [
        Figure("patients", "Patients", str(n_pat), n_pat),
        Figure("courses", "Courses", str(n_crs), n_crs, "one row per biologic course"),
    ]
    known_sex = p.sex[p.sex.isin(["M", "F", "other"])]
    figs.append(_counted("male", "Male", count(known_sex == "M", "patients with known sex")))
    for key, label, col in [
        ("biologic_naive", "Biologic-naive", "biologic_naive"),
        ("psoriatic_arthritis", "Psoriatic arthritis", "psoriatic_arthritis"),
        ("pustular_history", "Pustular psoriasis history", "pustular_history"),
    ]:
        figs.append(_counted(key, label, count(p[col], "patients with the item recorded")))
    figs.append(_median("age", "Age, years, median (IQR)", median_iqr(p.age_years, quantile), ""))
    figs.append(
        _median(
            "disease_duration",
            "Disease duration, years, median (IQR)",
            median_iqr(p.disease_duration_years, quantile),
            "",
        )
    )
    figs.append(
        _median(
            "baseline_pasi",
            "Baseline PASI, median (IQR)",
            median_iqr(o.baseline_pasi, quantile),
            "",
        )
    )
    at = (
        f"week {fmt(o.primary_week.iloc[0])}"
        if n_crs and o.primary_week.nunique() == 1
        else "each drug's assessment week"
    )
    figs.append(
        _counted(
            "treatment_success",
            f"Treatment success (PASI75 at {at})",
            count(o.treatment_success, "courses assessable at the primary week"),
        )
    )
    figs.append(
        _counted(
            "minimal_response",
            f"Minimal response (PASI50 at {at})",
            count(o.minimal_response, "courses assessable at the primary week"),
        )
    )
    figs.append(
        _median(
            "weeks_to_pasi75",
            "Weeks to PASI75, median (IQR)",
            median_iqr(o.week_pasi75, quantile),
            "weeks",
            "courses reaching PASI75",
        )
    )
    figs.append(
        _counted(
            "pasi90_reached",
            "PASI90 reached (any time on therapy)",
            count(o.week_pasi90.notna(), "all courses"),
        )
    )
    stopped = o[o.stopped]
    n_ongoing = int((~o.stopped).sum())
    figs.append(
        _median(
            "weeks_on_treatment",
            "Weeks on treatment, median (IQR)",
            median_iqr(stopped.weeks_on_treatment, quantile),
            "weeks",
            f"courses that stopped; {n_ongoing} ongoing excluded",
        )
    )
    head = result.options.relapse_definition
    figs.append(
        _counted(
            "relapse",
            f"Relapse after stopping ({head})",
            count(o.relapse, "stopped courses responding at the stop, with follow-up"),
        )
    )
    figs.append(
        _median(
            "weeks_to_relapse",
            f"Weeks from stopping to relapse ({head}), median (IQR)",
            median_iqr(o.weeks_to_relapse, quantile),
            "weeks",
            "courses with a relapse",
        )
    )
    figs.append(
        _counted(
            "relapse_pustular", "Relapse with pustules", count(o.relapse_pustular, "all courses")
        )
    )
    sf_weeks = ", ".join(fmt(w) for w in o.week_secondary_failure.dropna())
    figs.append(
        _counted(
            "secondary_failure",
            "Secondary failure",
            count(o.secondary_failure, "all courses"),
            f"all courses; at week(s) {sf_weeks}" if sf_weeks else "all courses",
        )
    )
    figs.append(
        _counted(
            "paradoxical_event", "Paradoxical event", count(o.paradoxical_event, "all courses")
        )
    )
    figs.append(
        _counted(
            "rebound",
            f"Rebound after stopping ({result.options.rebound_definition})",
            count(o.rebound, "stopped courses with follow-up"),
        )
    )
    figs.extend(_relapse_correlations(cohort, o))
    return Summary(
        figs,
        {**result.provenance(), "quantile_method": quantile},
        check_recorded(cohort, o) + list(cohort.warnings),
    )


def _relapse_correlations(cohort: Cohort, o: pd.DataFrame) -> list[Figure]:
    """Spearman correlations of candidate risk factors with weeks to relapse (case series)."""
    p = cohort.patients.set_index("patient_id")
    d = o.assign(
        disease_duration=o.patient_id.map(p.disease_duration_years),
    )
    out = []
    for key, label, col in [
        ("disease_duration", "disease duration", "disease_duration"),
        ("baseline_pasi", "baseline PASI", "baseline_pasi"),
        ("weeks_on_treatment", "weeks on treatment", "weeks_on_treatment"),
    ]:
        c = correlation(d[col], d.weeks_to_relapse, "spearman")
        out.append(
            Figure(
                f"corr_relapse_{key}",
                f"Weeks to relapse vs {label}",
                c.text(),
                c,
                "Spearman rank correlation, two-sided p; courses with a relapse",
            )
        )
    return out


def check_recorded(cohort: Cohort, o: pd.DataFrame) -> list[str]:
    """Where a source's own success judgement disagrees with the derived one, say so."""
    derived = dict(zip(o.course_id, o.treatment_success, strict=True))
    out = []
    for cid, (row, value) in cohort.recorded_success.items():
        d = derived.get(cid)
        if d is not None and not pd.isna(d) and bool(d) != value:
            out.append(
                f"row {row} (course {cid}): the file records treatment success = "
                f"{'yes' if value else 'no'}, the definition gives {'yes' if d else 'no'}"
            )
    return out

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
from psoreg.analysis.survival import (
    CIMethod,
    MedianCI,
    MedianConvention,
    endpoint_data,
    kaplan_meier,
)
from psoreg.cohort import Cohort
from psoreg.outcomes.run import OutcomeResult

#: Week by which "PASI90 by week W" is counted: the end of induction (European consensus,
#: Mrowietz 2011: induction to week 16), and the week the case series' "6 (75%) attained
#: PASI 90 by then" refers to (its median time to PASI75, 16 weeks).
PASI90_BY_WEEK = 16.0


@dataclass(frozen=True)
class Figure:
    """One reported figure: a key, a label, its text as printed and its numbers."""

    key: str
    label: str
    text: str
    stat: Count | MedianIQR | Correlation | MedianCI | int
    note: str = ""
    #: a short phrase naming the population of a count ("who stopped"), for prose
    population: str = ""

    def words(self) -> str:
        """The figure in prose: '5 of the 7 who stopped (71.4%)' or its table text."""
        c = self.stat
        if isinstance(c, Count) and self.population and c.n:
            return f"{c.k} of the {c.n} {self.population} ({fmt(c.percent)}%)"
        return self.text

    def as_dict(self) -> dict[str, Any]:
        if isinstance(self.stat, int):
            stat: Any = self.stat
        elif isinstance(self.stat, MedianCI):
            stat = {
                "median": self.stat.median,
                "lower": self.stat.lower,
                "upper": self.stat.upper,
                "convention": self.stat.convention,
                "ci_method": self.stat.ci_method,
            }
        else:
            stat = self.stat.as_dict()
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
    #: comparisons with a publication's own figures (:mod:`psoreg.analysis.published`)
    comparisons: list[Any] = field(default_factory=list)

    def __getitem__(self, key: str) -> Figure:
        for f in self.figures:
            if f.key == key:
                return f
        raise KeyError(key)

    def as_dict(self) -> dict[str, Any]:
        return {
            "figures": [f.as_dict() for f in self.figures],
            "warnings": self.warnings,
            "comparisons": [c.as_dict() for c in self.comparisons],
            "provenance": self.provenance,
        }


def _counted(key: str, label: str, c: Count, note: str = "", population: str = "") -> Figure:
    return Figure(key, label, c.text(), c, note or c.denominator, population)


def _km(
    key: str,
    label: str,
    outcomes: pd.DataFrame,
    endpoint: str,
    median: MedianConvention,
    ci: CIMethod,
    population: str,
) -> Figure:
    """A Kaplan–Meier median with its 95% CI, the conventions named in the note."""
    d = endpoint_data(outcomes, endpoint)
    km = kaplan_meier(d.duration, d.event, ci)
    m = km.median(median)
    note = (
        f"n={km.n}, events={km.events}; {population}; Kaplan–Meier, median = "
        f"{'smallest t with S(t) ≤ 0.5' if median == 'smallest' else 'R midpoint convention'}, "
        f"95% CI from the {ci} band"
    )
    return Figure(key, label, f"{m.text()} weeks", m, note)


def _median(key: str, label: str, m: MedianIQR, unit: str, note: str = "") -> Figure:
    n_note = f"n={m.n}" + (f"; {note}" if note else "")
    return Figure(key, label, f"{m.text()} {unit}".strip(), m, f"{n_note}; {m.method}")


def summarize(
    cohort: Cohort,
    result: OutcomeResult,
    quantile: QuantileMethod = "type6",
    km_median: MedianConvention = "smallest",
    km_ci: CIMethod = "log-log",
) -> Summary:
    """Every figure of the case-series summary, from a cohort and its per-course outcomes.

    Times to an event are given twice: the Kaplan–Meier median with its 95% CI over every
    course at risk (``km_median``/``km_ci`` name the conventions), and the plain median (IQR)
    over the courses with the event, which is what a case series such as UKMMC prints.
    """
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
    mr = result.options.minimal_response_definition
    figs.append(
        _counted(
            "minimal_response",
            f"Minimal response ({'PASI50' if mr == 'pasi50' else 'PASI50 and DLQI fall ≥ 4'} "
            f"at {at})",
            count(o.minimal_response, "courses with minimal response known at the primary week"),
        )
    )
    figs.append(
        _km(
            "km_pasi75",
            "Weeks to PASI75, Kaplan–Meier median (95% CI)",
            o,
            "pasi75",
            km_median,
            km_ci,
            "not reaching PASI75 = censored at the last week on treatment",
        )
    )
    figs.append(
        _median(
            "weeks_to_pasi75",
            "Weeks to PASI75 among courses reaching it, median (IQR)",
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
    by = PASI90_BY_WEEK
    reached_by = o.week_pasi90.le(by + 1e-9).where(
        o.week_pasi90.le(by + 1e-9) | o.weeks_on_treatment.ge(by - 1e-9)
    )
    figs.append(
        _counted(
            "pasi90_by_week16",
            f"PASI90 by week {fmt(by)}",
            count(
                reached_by,
                f"courses followed to week {fmt(by)} on treatment or reaching PASI90 before it",
            ),
        )
    )
    stopped = o[o.stopped]
    n_ongoing = int((~o.stopped).sum())
    figs.append(
        _km(
            "km_drug_survival",
            "Drug survival, Kaplan–Meier median (95% CI)",
            o,
            "drug_survival",
            km_median,
            km_ci,
            f"ongoing courses censored at last follow-up ({n_ongoing})",
        )
    )
    figs.append(
        _median(
            "weeks_on_treatment",
            "Weeks on treatment among courses that stopped, median (IQR)",
            median_iqr(stopped.weeks_on_treatment, quantile),
            "weeks",
            f"courses that stopped; {n_ongoing} ongoing excluded",
        )
    )
    head = result.options.relapse_definition
    other = "half_of_best" if head == "loss_of_pasi50" else "loss_of_pasi50"
    figs.append(
        _counted(
            "relapse",
            f"Relapse after stopping ({head})",
            count(o.relapse, "stopped courses responding at the stop, with follow-up"),
        )
    )
    figs.append(
        _km(
            "km_relapse_free",
            f"Weeks from stopping to relapse ({head}), Kaplan–Meier median (95% CI)",
            o,
            "relapse_free",
            km_median,
            km_ci,
            "eligible stopped courses; no relapse = censored at last follow-up",
        )
    )
    figs.append(
        _median(
            "weeks_to_relapse",
            f"Weeks from stopping to relapse ({head}) among courses relapsing, median (IQR)",
            median_iqr(o.weeks_to_relapse, quantile),
            "weeks",
            "courses with a relapse",
        )
    )
    figs.append(
        _counted(
            "relapse_sensitivity",
            f"Relapse after stopping ({other}; sensitivity analysis)",
            count(o[f"relapse_{other}"], "stopped courses responding at the stop, with follow-up"),
        )
    )
    plaque = o.relapse_morphology.map(
        lambda m: isinstance(m, str) and "plaque" in [x.strip() for x in m.split(";")]
    )
    figs.append(
        _counted(
            "relapse_plaque",
            "Relapse with plaques",
            count(plaque[o.stopped.fillna(False).astype(bool)], "courses that stopped"),
            population="who stopped",
        )
    )
    n_stopped = int(o.stopped.fillna(False).astype(bool).sum())
    relapsed = o.relapse.map(lambda v: not pd.isna(v) and bool(v))
    n_relapsed = int((relapsed | o.weeks_to_recorded_relapse.notna()).sum())
    pus = count(o.relapse_pustular, "all courses")
    figs.append(
        _counted(
            "relapse_pustular",
            "Relapse with pustules",
            pus,
            f"all courses (as the case series); {pus.k} of the {n_stopped} that stopped, "
            f"{pus.k} of the {n_relapsed} with a recorded relapse",
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
        {
            **result.provenance(),
            "quantile_method": quantile,
            "km_median": km_median,
            "km_ci": km_ci,
        },
        check_recorded(cohort, o) + _after_stop_events(o) + list(cohort.warnings),
    )


def _after_stop_events(o: pd.DataFrame) -> list[str]:
    """Paradoxical events dated after the stop: flagged, never counted silently."""
    if "n_paradoxical_after_stop" not in o.columns:
        return []
    out = []
    for cid, n in zip(o.course_id, o.n_paradoxical_after_stop.fillna(0), strict=True):
        if n:
            out.append(
                f"course {cid}: {int(n)} paradoxical event(s) dated after the stop; a paradoxical "
                "event occurs on therapy, so it is not counted (paradoxical_after_stop=flag) – "
                "check the date, or record it as a relapse"
            )
    return out


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

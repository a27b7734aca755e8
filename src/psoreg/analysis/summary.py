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
from psoreg.i18n import _
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
            return _("{k} of the {n} {population} ({percent}%)").format(
                k=c.k, n=c.n, population=self.population, percent=fmt(c.percent)
            )
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
    note = _(
        "n={n}, events={events}; {population}; Kaplan–Meier, median = {convention}, 95% CI "
        "from the {ci} band"
    ).format(
        n=km.n,
        events=km.events,
        population=population,
        convention=_("smallest t with S(t) ≤ 0.5")
        if median == "smallest"
        else _("R midpoint convention"),
        ci=ci,
    )
    return Figure(key, label, m.text() + " " + _("weeks"), m, note)


def _median(key: str, label: str, m: MedianIQR, unit: str, note: str = "") -> Figure:
    n_note = f"n={m.n}" + (f"; {note}" if note else "")
    return Figure(
        key, label, f"{m.text()} {_(unit) if unit else ''}".strip(), m, f"{n_note}; {m.method}"
    )


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
        Figure("patients", _("Patients"), str(n_pat), n_pat),
        Figure("courses", _("Courses"), str(n_crs), n_crs, _("one row per biologic course")),
    ]
    known_sex = p.sex[p.sex.isin(["M", "F", "other"])]
    figs.append(_counted("male", _("Male"), count(known_sex == "M", _("patients with known sex"))))
    recorded = _("patients with the item recorded")
    for key, label, col in [
        ("biologic_naive", _("Biologic-naive"), "biologic_naive"),
        ("psoriatic_arthritis", _("Psoriatic arthritis"), "psoriatic_arthritis"),
        ("pustular_history", _("Pustular psoriasis history"), "pustular_history"),
    ]:
        figs.append(_counted(key, label, count(p[col], recorded)))
    figs.append(
        _median("age", _("Age, years, median (IQR)"), median_iqr(p.age_years, quantile), "")
    )
    figs.append(
        _median(
            "disease_duration",
            _("Disease duration, years, median (IQR)"),
            median_iqr(p.disease_duration_years, quantile),
            "",
        )
    )
    figs.append(
        _median(
            "baseline_pasi",
            _("Baseline PASI, median (IQR)"),
            median_iqr(o.baseline_pasi, quantile),
            "",
        )
    )
    at = (
        _("week {week}").format(week=fmt(o.primary_week.iloc[0]))
        if n_crs and o.primary_week.nunique() == 1
        else _("each drug's assessment week")
    )
    figs.append(
        _counted(
            "treatment_success",
            _("Treatment success (PASI75 at {week})").format(week=at),
            count(o.treatment_success, _("courses assessable at the primary week")),
        )
    )
    mr = result.options.minimal_response_definition
    figs.append(
        _counted(
            "minimal_response",
            _("Minimal response ({definition} at {week})").format(
                definition="PASI50" if mr == "pasi50" else _("PASI50 and DLQI fall ≥ 4"), week=at
            ),
            count(o.minimal_response, _("courses with minimal response known at the primary week")),
        )
    )
    figs.append(
        _km(
            "km_pasi75",
            _("Weeks to PASI75, Kaplan–Meier median (95% CI)"),
            o,
            "pasi75",
            km_median,
            km_ci,
            _("not reaching PASI75 = censored at the last week on treatment"),
        )
    )
    figs.append(
        _median(
            "weeks_to_pasi75",
            _("Weeks to PASI75 among courses reaching it, median (IQR)"),
            median_iqr(o.week_pasi75, quantile),
            "weeks",
            _("courses reaching PASI75"),
        )
    )
    figs.append(
        _counted(
            "pasi90_reached",
            _("PASI90 reached (any time on therapy)"),
            count(o.week_pasi90.notna(), _("all courses")),
        )
    )
    by = PASI90_BY_WEEK
    reached_by = o.week_pasi90.le(by + 1e-9).where(
        o.week_pasi90.le(by + 1e-9) | o.weeks_on_treatment.ge(by - 1e-9)
    )
    figs.append(
        _counted(
            "pasi90_by_week16",
            _("PASI90 by week {week}").format(week=fmt(by)),
            count(
                reached_by,
                _(
                    "courses followed to week {week} on treatment or reaching PASI90 before it"
                ).format(week=fmt(by)),
            ),
        )
    )
    stopped = o[o.stopped]
    n_ongoing = int((~o.stopped).sum())
    figs.append(
        _km(
            "km_drug_survival",
            _("Drug survival, Kaplan–Meier median (95% CI)"),
            o,
            "drug_survival",
            km_median,
            km_ci,
            _("ongoing courses censored at last follow-up ({n})").format(n=n_ongoing),
        )
    )
    figs.append(
        _median(
            "weeks_on_treatment",
            _("Weeks on treatment among courses that stopped, median (IQR)"),
            median_iqr(stopped.weeks_on_treatment, quantile),
            "weeks",
            _("courses that stopped; {n} ongoing excluded").format(n=n_ongoing),
        )
    )
    head = result.options.relapse_definition
    other = "half_of_best" if head == "loss_of_pasi50" else "loss_of_pasi50"
    figs.append(
        _counted(
            "relapse",
            _("Relapse after stopping ({definition})").format(definition=head),
            count(o.relapse, _("stopped courses responding at the stop, with follow-up")),
        )
    )
    figs.append(
        _km(
            "km_relapse_free",
            _("Weeks from stopping to relapse ({definition}), Kaplan–Meier median (95% CI)").format(
                definition=head
            ),
            o,
            "relapse_free",
            km_median,
            km_ci,
            _("eligible stopped courses; no relapse = censored at last follow-up"),
        )
    )
    figs.append(
        _median(
            "weeks_to_relapse",
            _(
                "Weeks from stopping to relapse ({definition}) among courses relapsing, median "
                "(IQR)"
            ).format(definition=head),
            median_iqr(o.weeks_to_relapse, quantile),
            "weeks",
            _("courses with a relapse"),
        )
    )
    figs.append(
        _counted(
            "relapse_sensitivity",
            _("Relapse after stopping ({definition}; sensitivity analysis)").format(
                definition=other
            ),
            count(
                o[f"relapse_{other}"], _("stopped courses responding at the stop, with follow-up")
            ),
        )
    )
    plaque = o.relapse_morphology.map(
        lambda m: isinstance(m, str) and "plaque" in [x.strip() for x in m.split(";")]
    )
    figs.append(
        _counted(
            "relapse_plaque",
            _("Relapse with plaques"),
            count(plaque[o.stopped.fillna(False).astype(bool)], _("courses that stopped")),
            population=_("who stopped"),
        )
    )
    n_stopped = int(o.stopped.fillna(False).astype(bool).sum())
    relapsed = o.relapse.map(lambda v: not pd.isna(v) and bool(v))
    n_relapsed = int((relapsed | o.weeks_to_recorded_relapse.notna()).sum())
    pus = count(o.relapse_pustular, _("all courses"))
    figs.append(
        _counted(
            "relapse_pustular",
            _("Relapse with pustules"),
            pus,
            _(
                "all courses (as the case series); {k} of the {stopped} that stopped, {k} of "
                "the {relapsed} with a recorded relapse"
            ).format(k=pus.k, stopped=n_stopped, relapsed=n_relapsed),
        )
    )
    sf_weeks = ", ".join(fmt(w) for w in o.week_secondary_failure.dropna())
    figs.append(
        _counted(
            "secondary_failure",
            _("Secondary failure"),
            count(o.secondary_failure, _("all courses")),
            _("all courses") + "; " + _("at week(s) {weeks}").format(weeks=sf_weeks)
            if sf_weeks
            else _("all courses"),
        )
    )
    figs.append(
        _counted(
            "paradoxical_event",
            _("Paradoxical event"),
            count(o.paradoxical_event, _("all courses")),
        )
    )
    figs.append(
        _counted(
            "rebound",
            _("Rebound after stopping ({definition})").format(
                definition=result.options.rebound_definition
            ),
            count(o.rebound, _("stopped courses with follow-up")),
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
                _(
                    "course {course}: {n} paradoxical event(s) dated after the stop; a "
                    "paradoxical event occurs on therapy, so it is not counted "
                    "(paradoxical_after_stop=flag) – check the date, or record it as a relapse"
                ).format(course=cid, n=int(n))
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
        ("disease_duration", _("disease duration"), "disease_duration"),
        ("baseline_pasi", _("baseline PASI"), "baseline_pasi"),
        ("weeks_on_treatment", _("weeks on treatment"), "weeks_on_treatment"),
    ]:
        c = correlation(d[col], d.weeks_to_relapse, "spearman")
        out.append(
            Figure(
                f"corr_relapse_{key}",
                _("Weeks to relapse vs {factor}").format(factor=label),
                c.text(),
                c,
                _("Spearman rank correlation, two-sided p; courses with a relapse"),
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
                _(
                    "row {row} (course {course}): the file records treatment success = "
                    "{recorded}, the definition gives {derived}"
                ).format(
                    row=row,
                    course=cid,
                    recorded=_("yes") if value else _("no"),
                    derived=_("yes") if d else _("no"),
                )
            )
    return out

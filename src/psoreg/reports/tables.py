"""Table 1 and Table 2 of the case series, per patient/course, and Table 1 summarised.

Layout after the UKMMC ustekinumab case series (shared/seeds/ustekinumab-case-series-ukmmc.txt):
Table 1 "Demographic and clinical characteristics of the patients" (ID, age, sex, ethnicity,
type of psoriasis, PsA, disease duration, co-morbidities, biologic naive, previous phototherapy
and systemic treatment); Table 2 "Therapeutic regimes, response, relapse and treatment following
discontinuation" (baseline PASI, regimen, treatment success at week 12, weeks to PASI75 and
PASI90, weeks on treatment, time to relapse, type of relapse, treatment after). Columns the paper
folds into free text (secondary failure, paradoxical flare, stop reason) are columns here.
"""

from __future__ import annotations

from collections import Counter

import pandas as pd

from psoreg.analysis.stats import count, fmt
from psoreg.analysis.summary import Summary
from psoreg.cohort import Cohort
from psoreg.i18n import N_, _
from psoreg.model.vocab import label as vocab_label
from psoreg.outcomes import OutcomeOptions
from psoreg.reports.cells import (
    DASH,
    count_cell,
    median_cell,
    missing,
    n_cell,
    number,
    text,
    yes_no,
)
from psoreg.reports.identifiers import Labels
from psoreg.reports.model import Cell, ReportTable, Row

TABLE1_COLUMNS = [
    ("id", N_("ID")),
    ("age", N_("Age (years)")),
    ("sex", N_("Sex")),
    ("ethnicity", N_("Ethnicity")),
    ("phenotype", N_("Type of psoriasis")),
    ("psa", N_("PsA")),
    ("duration", N_("Disease duration (years)")),
    ("comorbidities", N_("Co-morbidities")),
    ("biologic_naive", N_("Biologic-naive")),
    ("phototherapy", N_("Prior phototherapy")),
    ("systemics", N_("Prior systemic treatment")),
]


#: How Table 1 prints the recorded sex codes.
SEX = {"M": N_("M"), "F": N_("F"), "other": N_("other"), "unknown": N_("unknown")}


def table1(cohort: Cohort, labels: Labels) -> ReportTable:
    """Table 1, one row per patient."""
    rows = []
    for _i, p in cohort.patients.iterrows():
        pid = labels.patient_of(p.patient_id)
        rows.append(
            Row(
                pid,
                {
                    "id": Cell(pid),
                    "age": number(p.age_years),
                    "sex": Cell(_(SEX.get(str(p.sex), str(p.sex))) if not missing(p.sex) else DASH),
                    "ethnicity": text(p.ethnicity),
                    "phenotype": text(p.phenotype_history),
                    "psa": yes_no(p.psoriatic_arthritis),
                    "duration": number(p.disease_duration_years),
                    "comorbidities": text(p.comorbidities),
                    "biologic_naive": yes_no(p.biologic_naive),
                    "phototherapy": yes_no(p.prior_phototherapy),
                    "systemics": text(p.prior_systemics),
                },
            )
        )
    return ReportTable(
        "table1",
        _("Table 1. Demographic and clinical characteristics of the patients"),
        [(k, _(h)) for k, h in TABLE1_COLUMNS],
        rows,
        [_("PsA = psoriatic arthritis; — = not recorded.")],
    )


def _categories(values: pd.Series) -> list[tuple[str, int, int]]:
    """(category, k, n) for each category of a ';'-list column, most frequent first."""
    known = [str(v) for v in values if not missing(v)]
    c: Counter[str] = Counter()
    for v in known:
        c.update({s.strip() for s in v.split(";") if s.strip()})
    return [(k, v, len(known)) for k, v in sorted(c.items(), key=lambda kv: (-kv[1], kv[0]))]


def _slug(s: str) -> str:
    return "".join(ch if ch.isalnum() else "_" for ch in s.lower()).strip("_")


def table1_summary(cohort: Cohort, summary: Summary) -> ReportTable:
    """Table 1 summarised over patients: counts with denominators, medians (IQR)."""
    p = cohort.patients
    rows: list[Row] = []

    def add(key: str, label: str, cell: Cell) -> None:
        rows.append(Row(key, {"characteristic": Cell(label), "value": cell}))

    add("patients", _("Patients, n"), n_cell(int(summary["patients"].stat)))  # type: ignore[arg-type]
    add("age", _("Age (years), median (IQR)"), median_cell(summary["age"].stat))  # type: ignore[arg-type]
    add("male", _("Male sex, n/N (%)"), count_cell(summary["male"].stat))  # type: ignore[arg-type]
    for cat, k, n in _categories(p.ethnicity):
        add(
            f"ethnicity_{_slug(cat)}",
            _("Ethnicity: {category}").format(category=cat),
            count_cell(_count(k, n)),
        )
    for cat, k, n in _categories(p.phenotype_history.map(lambda v: v if missing(v) else str(v))):
        add(
            f"phenotype_{_slug(cat)}",
            _("Type of psoriasis: {category}").format(category=cat),
            count_cell(_count(k, n)),
        )
    add(
        "psoriatic_arthritis",
        _("Psoriatic arthritis"),
        count_cell(summary["psoriatic_arthritis"].stat),
    )  # type: ignore[arg-type]
    add(
        "disease_duration",
        _("Disease duration (years), median (IQR)"),
        median_cell(summary["disease_duration"].stat),  # type: ignore[arg-type]
    )
    for cat, k, n in _categories(p.comorbidities):
        add(
            f"comorbidity_{_slug(cat)}",
            _("Co-morbidity: {category}").format(category=cat),
            count_cell(_count(k, n)),
        )
    add("biologic_naive", _("Biologic-naive"), count_cell(summary["biologic_naive"].stat))  # type: ignore[arg-type]
    add(
        "prior_phototherapy",
        _("Prior phototherapy"),
        count_cell(count(p.prior_phototherapy, "patients with the item recorded")),
    )
    for cat, k, n in _categories(p.prior_systemics):
        add(
            f"systemic_{_slug(cat)}",
            _("Prior systemic: {category}").format(category=cat),
            count_cell(_count(k, n)),
        )
    return ReportTable(
        "table1_summary",
        _("Table 4. Characteristics of the patients, summarised"),
        [("characteristic", _("Characteristic")), ("value", _("Value"))],
        rows,
        [
            _(
                "n/N (%): N counts patients with the item recorded. Medians with IQR by {method}."
            ).format(method=summary["age"].stat.method),  # type: ignore[union-attr]
            _("Type of psoriasis is the recorded history (e.g. 'pustular then plaque')."),
        ],
    )


def _count(k: int, n: int):  # noqa: ANN202 - a stats.Count
    from psoreg.analysis.stats import Count

    return Count(k, n, "patients with the item recorded")


def _weeks(v: object) -> str:
    return DASH if missing(v) else fmt(float(v))  # type: ignore[arg-type]


def table2(outcomes: pd.DataFrame, labels: Labels, options: OutcomeOptions) -> ReportTable:
    """Table 2, one row per course."""
    wk = (
        _("primary week")
        if options.primary_week_by_drug
        else _("week {week}").format(week=fmt(options.primary_week))
    )
    columns = [
        ("id", _("ID")),
        ("drug", _("Drug")),
        ("baseline_pasi", _("Baseline PASI")),
        ("regimen", _("Regimen")),
        ("success", _("Treatment success ({week})").format(week=wk)),
        ("pasi75", _("PASI75 (week)")),
        ("pasi90", _("PASI90 (week)")),
        ("weeks_on_treatment", _("Weeks on treatment")),
        ("stop_reason", _("Stop reason")),
        ("weeks_to_relapse", _("Weeks from stop to relapse")),
        ("relapse_morphology", _("Type of relapse")),
        ("next_treatment", _("Treatment after")),
        ("secondary_failure", _("Secondary failure (week)")),
        ("paradoxical", _("Paradoxical event (week)")),
    ]
    rows = []
    for _i, o in outcomes.iterrows():
        cid = labels.course_of(o.course_id)
        on_tx = _weeks(o.weeks_on_treatment)
        if not missing(o.stopped) and not bool(o.stopped) and on_tx != DASH:
            on_tx = _("{weeks} (ongoing)").format(weeks=on_tx)
        if missing(o.relapse):
            relapse = DASH
        elif bool(o.relapse):
            relapse = _weeks(o.weeks_to_relapse)
        else:
            relapse = _("none (followed {weeks})").format(weeks=_weeks(o.relapse_followup_weeks))
        sf = (
            _("Week {week}").format(week=_weeks(o.week_secondary_failure))
            if _true(o.secondary_failure)
            else _("No")
        )
        if _true(o.paradoxical_event):
            morph = (
                "" if missing(o.paradoxical_morphology) else f": {text(o.paradoxical_morphology)}"
            )
            para = _("Week {week}").format(week=_weeks(o.week_paradoxical_event)) + morph
        else:
            para = _("No")
        stopped = not missing(o.stopped) and bool(o.stopped)
        reason = vocab_label(text(o.stop_reason).text) if stopped else _("ongoing")
        if stopped and reason == DASH:
            reason = _("not recorded")
        rows.append(
            Row(
                cid,
                {
                    "id": Cell(cid),
                    "drug": text(o.drug),
                    "baseline_pasi": number(o.baseline_pasi),
                    "regimen": text(o.regimen),
                    "success": yes_no(o.treatment_success),
                    "pasi75": Cell(_weeks(o.week_pasi75)),
                    "pasi90": Cell(_weeks(o.week_pasi90)),
                    "weeks_on_treatment": Cell(on_tx),
                    "stop_reason": Cell(reason),
                    "weeks_to_relapse": Cell(relapse),
                    "relapse_morphology": text(o.relapse_morphology),
                    "next_treatment": text(o.next_treatment),
                    "secondary_failure": Cell(sf),
                    "paradoxical": Cell(para),
                },
            )
        )
    return ReportTable(
        "table2",
        _("Table 2. Regimen, response, relapse and treatment after each course"),
        columns,
        rows,
        [
            _(
                "Weeks are from the first dose of the course; weeks to relapse from the stop. "
                "— = not reached, not recorded or not applicable (e.g. ongoing, or not "
                "responding at the stop). Ongoing courses show weeks to last follow-up."
            ),
            _(
                "Treatment success = PASI75 at {week} (± visit window); relapse = "
                "{relapse_definition}; secondary failure = PASI50 reached, then lost on therapy."
            ).format(week=wk, relapse_definition=options.relapse_definition),
        ],
    )


def _true(v: object) -> bool:
    return not missing(v) and bool(v)

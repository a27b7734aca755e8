"""The tables the outcome engine reads, and how validated records become them.

A :class:`Cohort` holds one pandas DataFrame per table, with fixed columns (``SCHEMAS``):

* ``patients``    – one row per patient (demographics; used by cohort statistics).
* ``courses``     – one row per biologic course; ``stop_week`` empty = ongoing.
* ``assessments`` – one row per visit (visit-level data): ``week`` from the first dose, ``pasi``,
  ``bsa``, ``dlqi``, ``pga``.
* ``doses``       – dose administrations (``week``, ``dose_mg``), checked against the label.
* ``milestones``  – recorded milestones of abstracted (chart-review) data: ``milestone`` names a
  milestone (``MILESTONES``) reached at ``week`` from the first dose.
* ``events``      – adverse and paradoxical events.
* ``relapses``    – relapse episodes after stopping, as recorded, with their morphology.

Visit-level and abstracted data fill the same tables, so both feed one engine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

import pandas as pd

from psoreg.model import Course, Event, Patient, RelapseEpisode
from psoreg.model.vocab import PUSTULAR_MORPHOLOGIES, REBOUND_MORPHOLOGIES, Morphology

#: Milestones a record may carry. Weeks are from the first dose of the course.
MILESTONES = (
    "pasi50",
    "pasi75",
    "pasi90",
    "pasi100",
    "pasi_le2",
    "pasi_le3",
    "secondary_failure",
    "relapse_loss_of_pasi50",
    "relapse_half_of_best",
)

SCHEMAS: dict[str, dict[str, str]] = {
    "patients": {
        "patient_id": "string",
        "site": "string",
        "sex": "string",
        "age_years": "float64",
        "ethnicity": "string",
        "weight_kg": "float64",
        "phenotype_history": "string",
        "psoriatic_arthritis": "boolean",
        "disease_duration_years": "float64",
        "comorbidities": "string",
        "biologic_naive": "boolean",
        "prior_phototherapy": "boolean",
        "prior_systemics": "string",
        "pustular_history": "boolean",
    },
    "courses": {
        "course_id": "string",
        "patient_id": "string",
        "drug": "string",
        "regimen": "string",
        "start_date": "datetime64[ns]",
        "stop_week": "float64",
        "stop_reason": "string",
        "followup_week": "float64",
        "baseline_pasi": "float64",
        "baseline_dlqi": "float64",
        "next_treatment": "string",
    },
    "assessments": {
        "course_id": "string",
        "week": "float64",
        "pasi": "float64",
        "bsa": "float64",
        "dlqi": "float64",
        "pga": "float64",
    },
    "doses": {"course_id": "string", "week": "float64", "dose_mg": "float64"},
    "milestones": {"course_id": "string", "milestone": "string", "week": "float64"},
    "events": {
        "course_id": "string",
        "kind": "string",
        "week": "float64",
        "morphology": "string",
        "rebound_morphology": "boolean",
        "pustular": "boolean",
        "description": "string",
        "sites": "string",
        "bsa": "float64",
        "management": "string",
        "drug_continued": "boolean",
    },
    "relapses": {
        "course_id": "string",
        "weeks_after_stop": "float64",
        "morphology": "string",
        "pustular": "boolean",
        "rebound_morphology": "boolean",
    },
}


def empty(table: str) -> pd.DataFrame:
    cols = SCHEMAS[table]
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in cols.items()})


def conform(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return ``df`` with exactly the table's columns and dtypes (missing columns empty)."""
    cols = SCHEMAS[table]
    if list(df.columns) == list(cols) and [str(t) for t in df.dtypes] == list(cols.values()):
        # already the table's (the readers conform what they build, and the Cohort again):
        # the same copy with a fresh index, without casting every column a second time
        return df.reset_index(drop=True)
    out: dict[str, pd.Series] = {}
    for c, t in cols.items():
        if c not in df.columns:
            out[c] = pd.Series([None] * len(df), index=df.index, dtype=t)
        elif t == "float64":
            out[c] = pd.to_numeric(df[c]).astype(t)
        elif t.startswith("datetime64"):
            out[c] = pd.to_datetime(df[c]).astype(t)
        else:
            out[c] = df[c].astype(t)
    # one construction, not one insert per column (3x faster on a clinic's files)
    return pd.DataFrame(out, index=df.index).reset_index(drop=True)


def morphology_text(morphs: Iterable[Morphology]) -> str | None:
    """Canonical ';'-joined text of morphologies, in vocabulary order (stable across runs)."""
    order = list(Morphology)
    ms = sorted(set(morphs), key=order.index)
    return ";".join(m.value for m in ms) or None


@dataclass
class Cohort:
    patients: pd.DataFrame = field(default_factory=lambda: empty("patients"))
    courses: pd.DataFrame = field(default_factory=lambda: empty("courses"))
    assessments: pd.DataFrame = field(default_factory=lambda: empty("assessments"))
    doses: pd.DataFrame = field(default_factory=lambda: empty("doses"))
    milestones: pd.DataFrame = field(default_factory=lambda: empty("milestones"))
    events: pd.DataFrame = field(default_factory=lambda: empty("events"))
    relapses: pd.DataFrame = field(default_factory=lambda: empty("relapses"))
    #: "visits", "abstracted" or "mixed": what kind of data this is (for the summary's wording).
    kind: str = "visits"
    #: Import-time notes for the user (e.g. a recorded judgement the definitions disagree with).
    warnings: list[str] = field(default_factory=list)
    #: A source's own treatment-success judgement per course: course_id -> (file row, value).
    recorded_success: dict[str, tuple[int, bool]] = field(default_factory=dict)
    #: How the files were read: encodings detected, options given (``--decimal-comma``), ...
    source_notes: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        for name in SCHEMAS:
            setattr(self, name, conform(name, getattr(self, name)))


def patient_row(p: Patient) -> dict[str, object]:
    systemics = [t.agent for t in p.prior_systemics]
    return {
        "patient_id": p.patient_id,
        "site": p.site,
        "sex": p.sex.value,
        "age_years": p.age_years,
        "ethnicity": p.ethnicity,
        "weight_kg": p.weight_kg,
        "phenotype_history": p.phenotype_history,
        "psoriatic_arthritis": p.psoriatic_arthritis,
        "disease_duration_years": p.disease_duration_years,
        "comorbidities": ";".join(p.comorbidities) or None,
        "biologic_naive": p.biologic_naive,
        "prior_phototherapy": (
            p.had_prior_phototherapy
            if p.had_prior_phototherapy is not None
            else (bool(p.prior_phototherapy) or None)
        ),
        "prior_systemics": ";".join(systemics) or None,
        "pustular_history": (
            "pustular" in p.phenotype_history.lower()
            if p.phenotype_history
            else any(m in PUSTULAR_MORPHOLOGIES for m in p.phenotypes) or None
        ),
    }


def course_row(c: Course) -> dict[str, object]:
    return {
        "course_id": c.course_id,
        "patient_id": c.patient_id,
        "drug": c.drug,
        "regimen": c.regimen,
        "start_date": c.start_date,
        "stop_week": c.stop_week,
        "stop_reason": c.stop_reason.value if c.stop_reason else None,
        "followup_week": c.followup_week,
        "baseline_pasi": c.baseline_pasi,
        "baseline_dlqi": c.baseline_dlqi,
        "next_treatment": c.next_treatment,
    }


def event_row(e: Event, week: float) -> dict[str, object]:
    return {
        "course_id": e.course_id,
        "kind": e.kind.value,
        "week": week,
        "morphology": morphology_text(e.morphology),
        "rebound_morphology": any(m in REBOUND_MORPHOLOGIES for m in e.morphology),
        "pustular": any(m in PUSTULAR_MORPHOLOGIES for m in e.morphology),
        "description": e.description,
        "sites": e.sites,
        "bsa": e.bsa,
        "management": e.management,
        "drug_continued": e.drug_continued,
    }


def relapse_row(r: RelapseEpisode, weeks_after_stop: float) -> dict[str, object]:
    return {
        "course_id": r.course_id,
        "weeks_after_stop": weeks_after_stop,
        "morphology": morphology_text(r.morphology),
        "pustular": any(m in PUSTULAR_MORPHOLOGIES for m in r.morphology),
        "rebound_morphology": any(m in REBOUND_MORPHOLOGIES for m in r.morphology),
    }


def split_by_site(cohort: Cohort) -> dict[str, Cohort]:
    """The cohort of each site (``patients.site``; patients without one under ``(no site)``),
    for ``--by site`` reports."""
    site = cohort.patients["site"].astype("object").where(cohort.patients["site"].notna())
    site = site.fillna("(no site)")
    out = {}
    for code in sorted(site.unique()):
        pids = set(cohort.patients.loc[site == code, "patient_id"])
        cids = set(cohort.courses.loc[cohort.courses["patient_id"].isin(pids), "course_id"])

        def keep(df: pd.DataFrame, key: str = "course_id", ids: set = cids) -> pd.DataFrame:
            return df[df[key].isin(ids)]

        out[str(code)] = Cohort(
            patients=keep(cohort.patients, "patient_id", pids),
            courses=keep(cohort.courses),
            assessments=keep(cohort.assessments),
            doses=keep(cohort.doses),
            milestones=keep(cohort.milestones),
            events=keep(cohort.events),
            relapses=keep(cohort.relapses),
            kind=cohort.kind,
            warnings=list(cohort.warnings),
            recorded_success={k: v for k, v in cohort.recorded_success.items() if k in cids},
            source_notes=list(cohort.source_notes),
        )
    return out

"""What a user is shown of a patient: identified for clinicians, de-identified for analysts.

Analysts get the pseudonym instead of the registry id, no name or hospital number, every date
shifted by the patient's offset (:mod:`psoreg.store.deid`), only the shifted birth year, and
free text scrubbed (:func:`psoreg.store.deid.scrub`: dates in it shifted, numbers, phones,
e-mail addresses and the patient's own name masked).
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass
from typing import Any

import pandas as pd

from psoreg.catalogue import dose_deviations, expected_doses
from psoreg.errors import InvalidValue
from psoreg.i18n import N_
from psoreg.store import deid
from psoreg.store.models import CourseRow, PatientRow
from psoreg.store.service import Actor
from psoreg.store.validate import weeks_between

#: (flag, label); labels are translated where shown ({{ _(label) }})
OUTCOME_FLAGS = (
    ("treatment_success", N_("PASI75 at primary visit")),
    ("secondary_failure", N_("Secondary failure")),
    ("primary_failure", N_("Primary failure")),
    ("relapse", N_("Relapse after stopping")),
    ("rebound", N_("Rebound")),
    ("paradoxical_event", N_("Paradoxical event")),
)


@dataclass(frozen=True)
class Lens:
    """How one user sees one patient."""

    actor: Actor
    secret: str
    patient_id: str
    #: the patient's name and hospital number, masked in free text for analysts
    private: tuple[str, ...] = ()

    @classmethod
    def of(cls, actor: Actor, secret: str, patient: PatientRow) -> Lens:
        private = tuple(x for x in (patient.name, patient.hospital_number) if x)
        return cls(actor, secret, patient.patient_id, private)

    @property
    def identified(self) -> bool:
        return self.actor.identified

    def text(self, value: str | None) -> str | None:
        """Free text as this user may see it."""
        if self.identified or not value:
            return value
        return deid.scrub(self.secret, self.patient_id, value, self.private)

    def date(self, d: dt.date | None) -> dt.date | None:
        if self.identified or d is None:
            return d
        return deid.shift(self.secret, self.patient_id, d)

    def pid(self) -> str:
        return self.patient_id if self.identified else deid.pseudonym(self.secret, self.patient_id)

    def course_id(self, course: CourseRow, index: int) -> str:
        return course.course_id if self.identified else f"{self.pid()}-C{index + 1}"


def clean(value: Any) -> Any:
    """A pandas cell as a plain value (NA -> None, numpy types -> Python)."""
    if value is None or value is pd.NA or value is pd.NaT:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    if hasattr(value, "item"):
        return value.item()
    return value


def patient_summary(p: PatientRow, lens: Lens) -> dict[str, Any]:
    birth = lens.date(p.birth_date)
    return {
        "pk": p.id,
        "label": lens.pid(),
        "name": p.name if lens.identified else None,
        "hospital_number": p.hospital_number if lens.identified else None,
        "birth": (birth.isoformat() if lens.identified else str(birth.year)) if birth else None,
        "birth_year": p.birth_year if lens.identified else (birth.year if birth else None),
        "sex": p.sex,
        "ethnicity": lens.text(p.ethnicity),
        "weight_kg": p.weight_kg,
        "phenotypes": p.phenotypes or lens.text(p.phenotype_history),
        "version": p.version,
        "raw": p,
    }


def _schedule(c: CourseRow, weight: float | None) -> dict[str, Any]:
    end = c.stop_date or c.followup_date or max([d.date for d in c.doses], default=c.start_date)
    until = max(0.0, weeks_between(c.start_date, min(end, dt.date.today())))
    try:
        expected = expected_doses(c.drug, until, weight)
        given = [(weeks_between(c.start_date, d.date), d.dose_mg) for d in c.doses]
        stop = weeks_between(c.start_date, c.stop_date) if c.stop_date else None
        devs = dose_deviations(c.drug, given, until_week=until, weight_kg=weight, stop_week=stop)
    except InvalidValue as exc:
        return {"expected": [], "deviations": [], "error": str(exc)}
    return {"expected": expected, "deviations": devs, "error": None}


def course_view(c: CourseRow, index: int, lens: Lens, outcome: dict[str, Any]) -> dict[str, Any]:
    def wk(d: dt.date) -> float:
        return round(weeks_between(c.start_date, d), 1)

    return {
        "pk": c.id,
        "label": lens.course_id(c, index),
        "drug": c.drug,
        "regimen": lens.text(c.regimen),
        "start_date": lens.date(c.start_date),
        "stop_date": lens.date(c.stop_date),
        "stop_reason": c.stop_reason,
        "followup_date": lens.date(c.followup_date),
        "ongoing": c.stop_date is None,
        "version": c.version,
        "visits": [
            {
                "pk": v.id,
                "date": lens.date(v.date),
                "week": wk(v.date),
                "pasi": v.pasi,
                "dlqi": v.dlqi,
                "bsa": v.bsa,
                "pga": v.pga,
                "version": v.version,
                "grid": bool(v.pasi_components),
            }
            for v in c.visits
        ],
        "doses": [
            {"pk": d.id, "date": lens.date(d.date), "week": wk(d.date), "dose_mg": d.dose_mg}
            for d in c.doses
        ],
        "events": [
            {
                "pk": e.id,
                "date": lens.date(e.date),
                "week": wk(e.date),
                "kind": e.kind,
                "morphology": e.morphology,
                "description": lens.text(e.description),
            }
            for e in c.events
        ],
        "relapses": [
            {
                "pk": r.id,
                "date": lens.date(r.date),
                "weeks_after_stop": round(weeks_between(c.stop_date, r.date), 1)
                if c.stop_date
                else None,
                "morphology": r.morphology,
                "treatment": lens.text(r.treatment),
            }
            for r in c.relapses
        ],
        "outcome": outcome,
        "schedule": _schedule(c, c.patient.weight_kg),
    }


def outcome_rows(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Outcomes keyed by course id, as plain values."""
    return {
        str(r["course_id"]): {k: clean(v) for k, v in r.items()} for r in table.to_dict("records")
    }

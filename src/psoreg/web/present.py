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

from psoreg.i18n import N_, _
from psoreg.model.vocab import label as vocab_label
from psoreg.store import deid
from psoreg.store.inclusion import reason_excluded
from psoreg.store.models import CourseRow, PatientRow
from psoreg.store.schedule import course_schedule
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


class Shown(dict):
    """A dict whose keys the templates read as attributes (``{{ c.label }}``). Jinja looks an
    attribute up first and the key only when that fails; on a plain dict every ``c.label``
    first raised and caught an AttributeError (about a tenth of the patient page's time in
    the template). Keys that are also dict methods (``items``) mean the method, as before."""

    __slots__ = ()

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


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
    return Shown(
        {
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
            "site": p.site,
            "consent": Shown(
                {
                    "date": lens.date(p.consent_date),
                    "version": p.consent_version,
                    "scope": p.consent_scope,
                    "withdrawn": lens.date(p.consent_withdrawn_date),
                }
            ),
            "excluded": reason_excluded(p),
            "raw": p,
        }
    )


def _schedule(c: CourseRow, lens: Lens) -> dict[str, Any]:
    """Next dose and visit expected, and missed doses grouped (only when doses are recorded)."""
    sch = course_schedule(c)
    return Shown(
        {
            "records_doses": sch.records_doses,
            "next_dose": lens.date(sch.next_dose),
            "next_dose_week": sch.next_dose_week,
            "next_dose_mg": sch.next_dose_mg,
            "dose_status": sch.dose_status,
            "next_visit": lens.date(sch.next_visit),
            "next_visit_week": sch.next_visit_week,
            "visit_status": sch.visit_status,
            "missed": sch.missed_text,
            "deviations": list(sch.other_deviations),
            "error": sch.error,
        }
    )


def record_summary(table: str, row: Any) -> str:
    """One line naming a record (for the delete and restore pages)."""
    if table == "patients":
        return _("patient {id}").format(id=row.patient_id)
    if table == "courses":
        return _("course {id} ({drug}, from {date})").format(
            id=row.course_id, drug=row.drug, date=row.start_date
        )
    what = {"doses": N_("dose"), "visits": N_("visit"), "events": N_("event"),
            "relapses": N_("relapse")}[table]  # fmt: skip
    detail = {
        "doses": lambda r: f"{r.dose_mg:g} mg",
        "visits": lambda r: f"PASI {r.pasi:g}" if r.pasi is not None else "",
        "events": lambda r: vocab_label(r.kind),
        "relapses": lambda r: r.morphology or "",
    }[table](row)
    return _("{what} of {date}").format(what=_(what), date=row.date) + (
        f": {detail}" if detail else ""
    )


def course_view(c: CourseRow, index: int, lens: Lens, outcome: dict[str, Any]) -> dict[str, Any]:
    def wk(d: dt.date) -> float:
        return round(weeks_between(c.start_date, d), 1)

    return Shown(
        {
            "pk": c.id,
            "label": lens.course_id(c, index),
            "drug": c.drug,
            "regimen": lens.text(c.regimen),
            "start_date": lens.date(c.start_date),
            "stop_date": lens.date(c.stop_date),
            "stop_reason": c.stop_reason,
            "next_treatment": lens.text(c.next_treatment),
            "followup_date": lens.date(c.followup_date),
            "ongoing": c.stop_date is None,
            "version": c.version,
            "visits": [  # written by record_rows.visit_rows, which reads keys
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
                Shown(pk=d.id, date=lens.date(d.date), week=wk(d.date), dose_mg=d.dose_mg)
                for d in c.doses
            ],
            "events": [
                Shown(
                    {
                        "pk": e.id,
                        "date": lens.date(e.date),
                        "week": wk(e.date),
                        "kind": e.kind,
                        "morphology": e.morphology,
                        "description": lens.text(e.description),
                    }
                )
                for e in c.events
            ],
            "relapses": [
                Shown(
                    {
                        "pk": r.id,
                        "date": lens.date(r.date),
                        "weeks_after_stop": round(weeks_between(c.stop_date, r.date), 1)
                        if c.stop_date
                        else None,
                        "morphology": r.morphology,
                        "treatment": lens.text(r.treatment),
                    }
                )
                for r in c.relapses
            ],
            "outcome": Shown(outcome),
            "schedule": _schedule(c, lens),
        }
    )


def outcome_rows(table: pd.DataFrame) -> dict[str, dict[str, Any]]:
    """Outcomes keyed by course id, as plain values."""
    return {
        str(r["course_id"]): {k: clean(v) for k, v in r.items()} for r in table.to_dict("records")
    }

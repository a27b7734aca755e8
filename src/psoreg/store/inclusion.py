"""Who is analysed: consent decides, and every output says how many were left out and why.

A patient is in the registry's analyses - the outcome engine's cohort, the stored outcomes, the
dashboard, every export, the REDCap and FHIR exports - unless

* they **withdrew consent** (a withdrawal date is recorded), or
* their consent **covers the registry only** (scope ``registry``: no research use).

Patients with no consent recorded are analysed (registries that began before consent was
recorded here) and counted as such on the dashboard. Deleted records (soft delete,
:mod:`psoreg.store.softdelete`) are never analysed either. :func:`exclusions` counts both, for
the notes every output carries ("2 patients not included: consent withdrawn").

Clinical care goes on: a withdrawn patient's own page, their schedule and the worklist still
show them to the clinicians of their site.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from psoreg.i18n import N_, _, ngettext
from psoreg.store.models import CLINICAL_TABLES, CourseRow, PatientRow

#: why a patient is left out (English codes in data and headers; translated where shown)
WITHDRAWN = N_("consent withdrawn")
REGISTRY_ONLY = N_("consent covers the registry only, no research use")
NOT_RECORDED = N_("no consent recorded")
DELETED = N_("deleted")


def analysed() -> ColumnElement[bool]:
    """The patients analyses and exports include (a WHERE clause on ``patients``)."""
    return and_(
        PatientRow.consent_withdrawn_date.is_(None),
        or_(PatientRow.consent_scope.is_(None), PatientRow.consent_scope != "registry"),
    )


def reason_excluded(p: PatientRow) -> str | None:
    """Why ``p`` is left out of analyses and exports (None: included)."""
    if p.deleted_at is not None:
        return DELETED
    if p.consent_withdrawn_date is not None:
        return WITHDRAWN
    if p.consent_scope == "registry":
        return REGISTRY_ONLY
    return None


def in_sites(column: ColumnElement, sites: Iterable[str] | None) -> ColumnElement[bool] | None:
    return None if sites is None else column.in_(list(sites))


@dataclass
class Exclusions:
    """Patients and records left out of an output, by reason."""

    withdrawn: int = 0
    registry_only: int = 0
    deleted_patients: int = 0
    #: records deleted on their own (not with their patient), by table
    deleted_records: dict[str, int] = field(default_factory=dict)
    #: analysed patients with no consent recorded (included; stated)
    not_recorded: int = 0

    @property
    def patients(self) -> int:
        return self.withdrawn + self.registry_only + self.deleted_patients

    def lines(self) -> list[str]:
        """One line per reason, e.g. ``"2 patients: consent withdrawn"`` (nothing: empty), in
        the current language."""

        def n(k: int) -> str:
            return ngettext("{n} patient", "{n} patients", k).format(n=k)

        out = []
        if self.withdrawn:
            out.append(f"{n(self.withdrawn)}: {_(WITHDRAWN)}")
        if self.registry_only:
            out.append(f"{n(self.registry_only)}: {_(REGISTRY_ONLY)}")
        if self.deleted_patients:
            out.append(f"{n(self.deleted_patients)}: {_(DELETED)}")
        records = {t: k for t, k in self.deleted_records.items() if k and t != "patients"}
        if records:
            detail = ", ".join(f"{k} {_record_word(t, k)}" for t, k in records.items())
            total = sum(records.values())
            out.append(
                ngettext("{n} record deleted ({detail})", "{n} records deleted ({detail})", total)
                .format(n=total, detail=detail)
            )  # fmt: skip
        return out

    def text(self) -> str:
        lines = self.lines()
        return "; ".join(lines) if lines else _("none")

    def header(self) -> str:
        """For an HTTP header or a CSV comment: ``consent withdrawn=2; deleted patients=1``."""
        parts = {
            "consent withdrawn": self.withdrawn,
            "registry-only consent": self.registry_only,
            "deleted patients": self.deleted_patients,
            **{f"deleted {t}": k for t, k in self.deleted_records.items() if t != "patients"},
        }
        return "; ".join(f"{k}={v}" for k, v in parts.items() if v) or "none"


#: "1 visit", "2 visits" (the record words of :meth:`Exclusions.lines`)
_RECORD_WORDS = {
    "courses": (N_("course"), N_("courses")),
    "doses": (N_("dose"), N_("doses")),
    "visits": (N_("visit"), N_("visits")),
    "events": (N_("event"), N_("events")),
    "relapses": (N_("relapse"), N_("relapses")),
}


def _record_word(table: str, k: int) -> str:
    one, many = _RECORD_WORDS.get(table, (table.rstrip("s"), table))
    return _(one if k == 1 else many)


def exclusions(session: Session, sites: Iterable[str] | None = None) -> Exclusions:
    """What analyses and exports of ``sites`` (None: all) leave out."""
    codes = None if sites is None else list(sites)
    out = Exclusions()
    alive = PatientRow.deleted_at.is_(None)
    q = select(
        func.count().filter(alive & PatientRow.consent_withdrawn_date.is_not(None)),
        func.count().filter(
            alive
            & PatientRow.consent_withdrawn_date.is_(None)
            & (PatientRow.consent_scope == "registry")
        ),
        func.count().filter(PatientRow.deleted_at.is_not(None)),
        func.count().filter(alive & analysed() & PatientRow.consent_date.is_(None)),
    ).select_from(PatientRow)
    if codes is not None:
        q = q.where(PatientRow.site.in_(codes))
    row = session.execute(q.execution_options(include_deleted=True)).one()
    out.withdrawn, out.registry_only, out.deleted_patients, out.not_recorded = map(int, row)
    for table, model in CLINICAL_TABLES.items():
        if table == "patients":
            continue
        # nothing of this table deleted (its partial index of deleted rows says so at once)
        some = select(model.id).where(model.deleted_at.is_not(None)).limit(1)  # type: ignore[attr-defined]
        if session.scalar(some.execution_options(include_deleted=True)) is None:
            continue
        rq = select(func.count()).select_from(model).where(model.deleted_at.is_not(None))  # type: ignore[attr-defined]
        if table == "courses":
            rq = rq.join(PatientRow, PatientRow.id == CourseRow.patient_pk)
        else:
            rq = rq.join(CourseRow, CourseRow.id == model.course_pk).join(  # type: ignore[attr-defined]
                PatientRow, PatientRow.id == CourseRow.patient_pk
            )
        rq = rq.where(PatientRow.deleted_at.is_(None))
        if codes is not None:
            rq = rq.where(PatientRow.site.in_(codes))
        k = session.scalar(rq.execution_options(include_deleted=True)) or 0
        if k:
            out.deleted_records[table] = int(k)
    return out

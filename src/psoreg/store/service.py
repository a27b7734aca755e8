"""Create, change and delete registry records: validated, audited, optimistically locked.

Every function takes the acting :class:`Actor`; analysts may not write (:class:`Forbidden`).
Input is a mapping of field → value (form strings or JSON values); every problem is reported at
once as a :class:`FieldError` naming the fields, and nothing is saved. An update carries the
``version`` the user read: if the record has changed since, :class:`Conflict` is raised with the
record as now saved, so the caller can show both and nothing is lost.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from psoreg.store import audit
from psoreg.store import parse as p
from psoreg.store import validate as v
from psoreg.store.errors import Conflict, FieldError, Forbidden, NotFound
from psoreg.store.models import (
    CLINICAL_TABLES,
    Base,
    CourseRow,
    DoseRow,
    EventRow,
    PatientRow,
    RelapseRow,
    VisitRow,
)

ROLES = ("admin", "clinician", "analyst")
WRITE_ROLES = frozenset({"admin", "clinician"})


@dataclass(frozen=True)
class Actor:
    """Who is acting: the audit trail's "who", and what the role allows."""

    username: str
    role: str

    @property
    def can_write(self) -> bool:
        return self.role in WRITE_ROLES

    @property
    def identified(self) -> bool:
        """May see names, exact dates and registry ids (not analysts)."""
        return self.role in WRITE_ROLES


def require_write(actor: Actor) -> None:
    if not actor.can_write:
        raise Forbidden(f"role {actor.role!r} may not change records")


PATIENT_FIELDS: dict[str, p.Parser] = {
    "patient_id": p.text,
    "name": p.text,
    "hospital_number": p.text,
    "birth_date": p.date,
    "sex": p.text,
    "ethnicity": p.text,
    "weight_kg": p.number,
    "phenotypes": p.text,
    "phenotype_history": p.text,
    "onset_year": p.integer,
    "psoriatic_arthritis": p.boolean,
    "comorbidities": p.text,
    "biologic_naive": p.boolean,
    "prior_phototherapy": p.boolean,
    "prior_systemics": p.text,
}
COURSE_FIELDS: dict[str, p.Parser] = {
    "course_id": p.text,
    "drug": p.text,
    "regimen": p.text,
    "start_date": p.date,
    "stop_date": p.date,
    "stop_reason": p.text,
    "followup_date": p.date,
    "baseline_pasi": p.number,
    "baseline_dlqi": p.integer,
    "next_treatment": p.text,
}
DOSE_FIELDS: dict[str, p.Parser] = {"date": p.date, "dose_mg": p.number}
VISIT_FIELDS: dict[str, p.Parser] = {
    "date": p.date,
    "pasi": p.number,
    "bsa": p.number,
    "dlqi": p.integer,
    "pga": p.integer,
    **{f: p.number for f in v.PASI_FIELDS},
    **{f: p.text for f in v.DLQI_FIELDS},
}
EVENT_FIELDS: dict[str, p.Parser] = {
    "kind": p.text,
    "date": p.date,
    "morphology": p.text,
    "sites": p.text,
    "bsa": p.number,
    "management": p.text,
    "drug_continued": p.boolean,
    "description": p.text,
    **{f: p.text for f in v.NARANJO_FIELDS},
    **{f: p.text for f in v.WHO_UMC_FIELDS},
}
RELAPSE_FIELDS: dict[str, p.Parser] = {"date": p.date, "morphology": p.text, "treatment": p.text}

FIELDS: dict[str, dict[str, p.Parser]] = {
    "patients": PATIENT_FIELDS,
    "courses": COURSE_FIELDS,
    "doses": DOSE_FIELDS,
    "visits": VISIT_FIELDS,
    "events": EVENT_FIELDS,
    "relapses": RELAPSE_FIELDS,
}
#: the stored columns of each table (what the audit trail compares)
COLUMNS: dict[str, tuple[str, ...]] = {
    "patients": (*PATIENT_FIELDS, "birth_year"),
    "courses": tuple(COURSE_FIELDS),
    "doses": tuple(DOSE_FIELDS),
    "visits": ("date", "pasi", "pasi_components", "bsa", "dlqi", "dlqi_answers", "pga"),
    "events": (*v.EVENT_COLUMNS, "naranjo", "who_umc"),
    "relapses": tuple(RELAPSE_FIELDS),
}


def row_values(table: str, row: Base) -> dict[str, Any]:
    return {c: getattr(row, c) for c in COLUMNS[table]}


def _visit_input(values: dict[str, Any]) -> dict[str, Any]:
    """Fold the grid's and questionnaire's fields into ``pasi_components``/``dlqi_answers``."""
    out = {k: values[k] for k in ("date", "pasi", "bsa", "dlqi", "pga") if k in values}
    comps = {k: values.get(k) for k in v.PASI_FIELDS}
    if any(x is not None for x in comps.values()):
        out["pasi_components"] = comps
    elif any(k in values for k in v.PASI_FIELDS):
        out["pasi_components"] = None
    answers = [values.get(k) for k in v.DLQI_FIELDS]
    if any(a is not None for a in answers):
        out["dlqi_answers"] = answers
    elif any(k in values for k in v.DLQI_FIELDS):
        out["dlqi_answers"] = None
    return out


def _event_input(values: dict[str, Any]) -> dict[str, Any]:
    """Fold the causality fields into ``naranjo`` / ``who_umc`` (answers by item key)."""
    out = {k: val for k, val in values.items() if k in v.EVENT_COLUMNS}
    for column, fields in (("naranjo", v.NARANJO_FIELDS), ("who_umc", v.WHO_UMC_FIELDS)):
        given = {f.removeprefix(f"{column}_"): values.get(f) for f in fields}
        if any(x is not None for x in given.values()):
            out[column] = {k: x for k, x in given.items() if x is not None}
        elif any(f in values for f in fields):
            out[column] = None
    return out


def _fold(table: str, values: dict[str, Any]) -> dict[str, Any]:
    if table == "visits":
        return _visit_input(values)
    if table == "events":
        return _event_input(values)
    return values


def _checker(table: str, parent: Any) -> Callable[[dict[str, Any]], dict[str, Any]]:
    return {
        "patients": lambda vals: v.check_patient(vals),
        "courses": lambda vals: v.check_course(vals, parent),
        "doses": lambda vals: v.check_dose(vals, parent),
        "visits": lambda vals: v.check_visit(vals, parent),
        "events": lambda vals: v.check_event(vals, parent),
        "relapses": lambda vals: v.check_relapse(vals, parent),
    }[table]


def _parent(table: str, row: Any) -> Any:
    if table == "patients":
        return None
    if table == "courses":
        return row.patient
    return row.course


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (old.get(k), val) for k, val in new.items() if old.get(k) != val}


def get(session: Session, table: str, pk: int) -> Any:
    """The record ``pk`` of ``table`` or :class:`NotFound`."""
    row = session.get(CLINICAL_TABLES[table], pk)
    if row is None:
        raise NotFound(f"no {table} record {pk}")
    return row


def _next_course_id(session: Session, patient: PatientRow) -> str:
    n = session.scalar(select(func.count()).select_from(CourseRow)) or 0
    while True:
        n += 1
        cid = f"{patient.patient_id}-C{n}"
        if session.scalar(select(CourseRow.id).where(CourseRow.course_id == cid)) is None:
            return cid


def create(
    session: Session,
    actor: Actor,
    table: str,
    data: dict[str, Any],
    parent_pk: int | None = None,
    reason: str | None = None,
) -> Any:
    """Create a record of ``table`` (under ``parent_pk``: patient for courses, else course)."""
    require_write(actor)
    values = _fold(table, p.parse_fields(FIELDS[table], data, partial=False))
    parent = None
    if table == "courses":
        parent = get(session, "patients", parent_pk)  # type: ignore[arg-type]
        values["course_id"] = values.get("course_id") or _next_course_id(session, parent)
    elif table != "patients":
        parent = get(session, "courses", parent_pk)  # type: ignore[arg-type]
    values = _checker(table, parent)(values)
    _unique(session, table, values, None)
    model = CLINICAL_TABLES[table]
    row = model(**{k: values.get(k) for k in COLUMNS[table] if k in values})
    if table == "courses":
        row.patient = parent
    elif table != "patients":
        row.course = parent
    session.add(row)
    session.flush()
    audit.record(
        session,
        username=actor.username,
        action="create",
        table=table,
        record_id=str(row.id),
        changes={k: (None, val) for k, val in row_values(table, row).items() if val is not None},
        reason=reason,
    )
    return row


def _unique(session: Session, table: str, values: dict[str, Any], pk: int | None) -> None:
    key = {"patients": "patient_id", "courses": "course_id"}.get(table)
    if key is None or values.get(key) is None:
        return
    model = CLINICAL_TABLES[table]
    found = session.scalar(select(model.id).where(getattr(model, key) == values[key]))
    if found is not None and found != pk:
        raise FieldError({key: f"{values[key]} is already used by another record"})


def update(
    session: Session,
    actor: Actor,
    table: str,
    pk: int,
    data: dict[str, Any],
    version: int | None,
    reason: str | None = None,
) -> Any:
    """Change the fields given in ``data``; ``version`` is the version the user read."""
    require_write(actor)
    row = get(session, table, pk)
    check_version(table, row, version)
    parsed = _fold(table, p.parse_fields(FIELDS[table], data, partial=True))
    old = row_values(table, row)
    merged = _checker(table, _parent(table, row))({**old, **parsed})
    _unique(session, table, merged, row.id)
    changes = _changes(old, {k: merged[k] for k in COLUMNS[table] if k in merged})
    if not changes:
        return row
    for k, (_, new) in changes.items():
        setattr(row, k, new)
    session.flush()
    audit.record(
        session,
        username=actor.username,
        action="update",
        table=table,
        record_id=str(row.id),
        changes=changes,
        reason=reason,
    )
    return row


def check_version(table: str, row: Any, version: int | None) -> None:
    """Raise :class:`Conflict` when ``version`` is not the record's current version."""
    if version is None:
        raise FieldError({"version": "required: the version of the record you edited"})
    if int(version) != row.version:
        raise Conflict(table, row.id, row_values(table, row), row.version)


def delete(
    session: Session,
    actor: Actor,
    table: str,
    pk: int,
    version: int | None,
    reason: str | None = None,
) -> None:
    """Delete a record (and, for patients and courses, what hangs under them), audited."""
    require_write(actor)
    row = get(session, table, pk)
    check_version(table, row, version)
    audit.record(
        session,
        username=actor.username,
        action="delete",
        table=table,
        record_id=str(row.id),
        changes={k: (val, None) for k, val in row_values(table, row).items() if val is not None},
        reason=reason,
    )
    session.delete(row)
    session.flush()


def stop_course(
    session: Session,
    actor: Actor,
    pk: int,
    stop_date: Any,
    stop_reason: Any,
    version: int | None,
    reason: str | None = None,
) -> CourseRow:
    """Stop a course on ``stop_date`` for ``stop_reason`` (a :class:`StopReason` value)."""
    errors = {}
    if p.date("stop_date", stop_date) is None:
        errors["stop_date"] = "required"
    if not p.text("stop_reason", stop_reason):
        errors["stop_reason"] = "required"
    if errors:
        raise FieldError(errors)
    data = {"stop_date": stop_date, "stop_reason": stop_reason}
    return update(session, actor, "courses", pk, data, version, reason)


__all__ = [
    "Actor",
    "CourseRow",
    "DoseRow",
    "EventRow",
    "PatientRow",
    "RelapseRow",
    "VisitRow",
    "check_version",
    "create",
    "delete",
    "get",
    "stop_course",
    "update",
]

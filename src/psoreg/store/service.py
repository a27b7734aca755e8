"""Create, change and delete registry records: validated, audited, optimistically locked.

Every function takes the acting :class:`Actor`; analysts may not write (:class:`Forbidden`).
Input is a mapping of field → value (form strings or JSON values); every problem is reported at
once as a :class:`FieldError` naming the fields, and nothing is saved. An update carries the
``version`` the user read: if the record has changed since, :class:`Conflict` is raised with the
record as now saved and who changed which field since, so the caller can show both and nothing
is lost.

**One validation path.** A create and an update both go through :func:`_validate`: the record's
own checks (:mod:`psoreg.store.validate`) against its parent, and then every record under it
checked again against the record's new values - so a course start moved after its first dose,
a birth date moved after a visit, or a stop removed from a course with a relapse is refused
exactly as creating the dose, visit or relapse in that state would be.

Ids (``patient_id``, ``course_id``) are normalised to upper case and unique whatever the case;
every text field has a length limit (the column's) and refuses control characters.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import String, Text, func, select
from sqlalchemy.exc import IntegrityError
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
#: what each role may do; a new role or permission is one line here (roles are checked
#: through :meth:`Actor.can`, never by comparing role names elsewhere)
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset({"records.write", "records.identified", "users.manage", "audit.read"}),
    "clinician": frozenset({"records.write", "records.identified"}),
    "analyst": frozenset(),
}
WRITE_ROLES = frozenset(r for r, perms in PERMISSIONS.items() if "records.write" in perms)


@dataclass(frozen=True)
class Actor:
    """Who is acting: the audit trail's "who" (and from where), and what the role allows."""

    username: str
    role: str
    address: str | None = None

    def can(self, permission: str) -> bool:
        return permission in PERMISSIONS.get(self.role, frozenset())

    @property
    def can_write(self) -> bool:
        return self.can("records.write")

    @property
    def identified(self) -> bool:
        """May see names, exact dates and registry ids (not analysts)."""
        return self.can("records.identified")

    @property
    def is_admin(self) -> bool:
        return self.can("users.manage")


def require_write(actor: Actor) -> None:
    if not actor.can_write:
        raise Forbidden(f"role {actor.role!r} may not change records")


#: the longest patient id (a course id adds "-C" and a number to it)
PATIENT_ID_LENGTH = 32
COURSE_ID_LENGTH = 48
#: the longest free text of a ``Text`` column (event descriptions) and of a reason
LONG_TEXT = 4000
REASON_LENGTH = 500


def _text(table: str, column: str) -> p.Parser:
    """The text parser of a column: its length limit, line breaks only in long text."""
    col_type = CLINICAL_TABLES[table].__table__.c[column].type
    if isinstance(col_type, Text):
        return p.limited_text(LONG_TEXT, multiline=True)
    assert isinstance(col_type, String) and col_type.length
    return p.limited_text(col_type.length)


PATIENT_FIELDS: dict[str, p.Parser] = {
    "patient_id": p.identifier(PATIENT_ID_LENGTH),
    "name": _text("patients", "name"),
    "hospital_number": _text("patients", "hospital_number"),
    "birth_date": p.date,
    "sex": _text("patients", "sex"),
    "ethnicity": _text("patients", "ethnicity"),
    "weight_kg": p.number,
    "phenotypes": _text("patients", "phenotypes"),
    "phenotype_history": _text("patients", "phenotype_history"),
    "onset_year": p.integer,
    "psoriatic_arthritis": p.boolean,
    "comorbidities": _text("patients", "comorbidities"),
    "biologic_naive": p.boolean,
    "prior_phototherapy": p.boolean,
    "prior_systemics": _text("patients", "prior_systemics"),
}
COURSE_FIELDS: dict[str, p.Parser] = {
    "course_id": p.identifier(COURSE_ID_LENGTH),
    "drug": _text("courses", "drug"),
    "regimen": _text("courses", "regimen"),
    "start_date": p.date,
    "stop_date": p.date,
    "stop_reason": _text("courses", "stop_reason"),
    "followup_date": p.date,
    "baseline_pasi": p.number,
    "baseline_dlqi": p.integer,
    "next_treatment": _text("courses", "next_treatment"),
}
DOSE_FIELDS: dict[str, p.Parser] = {"date": p.date, "dose_mg": p.number}
VISIT_FIELDS: dict[str, p.Parser] = {
    "date": p.date,
    "pasi": p.number,
    "bsa": p.number,
    "dlqi": p.integer,
    "pga": p.integer,
    **{f: p.number for f in v.PASI_FIELDS},
    **{f: p.limited_text(20) for f in v.DLQI_FIELDS},
}
EVENT_FIELDS: dict[str, p.Parser] = {
    "kind": _text("events", "kind"),
    "date": p.date,
    "morphology": _text("events", "morphology"),
    "sites": _text("events", "sites"),
    "bsa": p.number,
    "management": _text("events", "management"),
    "drug_continued": p.boolean,
    "description": _text("events", "description"),
    **{f: p.limited_text(20) for f in v.NARANJO_FIELDS},
    **{f: p.limited_text(20) for f in v.WHO_UMC_FIELDS},
}
RELAPSE_FIELDS: dict[str, p.Parser] = {
    "date": p.date,
    "morphology": _text("relapses", "morphology"),
    "treatment": _text("relapses", "treatment"),
}
_reason = p.limited_text(REASON_LENGTH, multiline=True)


def clean_reason(reason: Any) -> str | None:
    """The reason given for a change (audit trail): trimmed, at most 500 characters."""
    return _reason("reason", reason)


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


CHILD_TABLES = ("doses", "visits", "events", "relapses")
_NAMES = {
    "courses": "course",
    "doses": "dose",
    "visits": "visit",
    "events": "event",
    "relapses": "relapse",
}


def _children(table: str, row: Any) -> Iterator[tuple[str, Any]]:
    """The records directly under ``row`` (courses of a patient; doses ... of a course)."""
    if row is None:
        return
    if table == "patients":
        for c in row.courses:
            yield "courses", c
    elif table == "courses":
        for t in CHILD_TABLES:
            for child in getattr(row, t):
                yield t, child


def _as_parent(table: str, values: dict[str, Any], row: Any, parent: Any) -> Any:
    """The record with its new ``values``, as its children's checks see their parent."""
    if table == "patients":
        return SimpleNamespace(**values)
    return SimpleNamespace(**values, patient=parent, id=getattr(row, "id", None))


def _validate(
    table: str, values: dict[str, Any], parent: Any, row: Any = None, given: Any = ()
) -> dict[str, Any]:
    """The one validation path of creates and updates: the record's checks against its parent,
    then (for an existing record) every record under it against the record's new values.
    A problem below is reported on the field the user changed (``given``), if just one."""
    values = _checker(table, parent)(values)
    problems = list(_descendant_problems(table, values, row, parent))
    if problems:
        changed = [k for k in given if row is not None and getattr(row, k, None) != values.get(k)]
        key = changed[0] if len(changed) == 1 else "record"
        shown = "; ".join(problems[:3]) + (
            f" (and {len(problems) - 3} more)" if len(problems) > 3 else ""
        )
        raise FieldError({key: f"would make recorded data invalid: {shown}"})
    return values


def _descendant_problems(
    table: str, values: dict[str, Any], row: Any, parent: Any
) -> Iterator[str]:
    as_parent = _as_parent(table, values, row, parent)
    for child_table, child in _children(table, row):
        child_values = row_values(child_table, child)
        try:
            checked = _checker(child_table, as_parent)(dict(child_values))
        except FieldError as exc:
            when = child_values.get("date") or child_values.get("course_id")
            msg = "; ".join(exc.errors.values())
            yield f"{_NAMES[child_table]} {when}: {msg}"
            continue
        yield from _descendant_problems(child_table, checked, child, as_parent)


def _changes(old: dict[str, Any], new: dict[str, Any]) -> dict[str, tuple[Any, Any]]:
    return {k: (old.get(k), val) for k, val in new.items() if old.get(k) != val}


def get(session: Session, table: str, pk: int) -> Any:
    """The record ``pk`` of ``table`` or :class:`NotFound`."""
    if table not in CLINICAL_TABLES:
        raise NotFound(f"no such record type {table}")
    row = session.get(CLINICAL_TABLES[table], pk)
    if row is None:
        raise NotFound(f"no {table} record {pk}")
    return row


def _next_course_id(session: Session, patient: PatientRow) -> str:
    """``<patient id>-C<n>``, n one more than the patient's courses (skipping ids in use).

    The caller holds the patient's row lock (:func:`_lock_patient`), so two concurrent
    creations for one patient cannot pick the same n.
    """
    n = (
        session.scalar(
            select(func.count()).select_from(CourseRow).where(CourseRow.patient_pk == patient.id)
        )
        or 0
    )
    while True:
        n += 1
        cid = f"{patient.patient_id}-C{n}"
        if session.scalar(select(CourseRow.id).where(CourseRow.course_id == cid)) is None:
            return cid


def _lock_patient(session: Session, pk: int) -> None:
    """Serialise writes that derive values from a patient's other records (PostgreSQL's
    ``FOR UPDATE``; a SQLite writer already holds the database's write lock)."""
    if session.get_bind().dialect.name == "postgresql":
        session.execute(select(PatientRow.id).where(PatientRow.id == pk).with_for_update())


def _insert(session: Session, table: str, row: Any, values: dict[str, Any], parent: Any) -> None:
    """Add ``row`` under ``parent``; a unique key taken meanwhile by a concurrent writer is a
    FieldError (the insert runs in a savepoint, so the session stays usable)."""
    session.flush()
    try:
        with session.begin_nested():
            session.add(row)
            if table == "courses":
                row.patient = parent
            elif table != "patients":
                row.course = parent
            session.flush()
    except IntegrityError:
        key = {"patients": "patient_id", "courses": "course_id"}.get(table)
        if key is None:
            raise
        raise FieldError({key: f"{values.get(key)} is already used by another record"}) from None


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
        _lock_patient(session, parent.id)
        values["course_id"] = values.get("course_id") or _next_course_id(session, parent)
    elif table != "patients":
        parent = get(session, "courses", parent_pk)  # type: ignore[arg-type]
    values = _validate(table, values, parent)
    _unique(session, table, values, None)
    model = CLINICAL_TABLES[table]
    row = model(**{k: values.get(k) for k in COLUMNS[table] if k in values})
    _insert(session, table, row, values, parent)
    audit.record(
        session,
        username=actor.username,
        action="create",
        table=table,
        record_id=str(row.id),
        changes={k: (None, val) for k, val in row_values(table, row).items() if val is not None},
        reason=clean_reason(reason),
        record_version=row.version,
        address=actor.address,
    )
    return row


def _unique(session: Session, table: str, values: dict[str, Any], pk: int | None) -> None:
    key = {"patients": "patient_id", "courses": "course_id"}.get(table)
    if key is None or values.get(key) is None:
        return
    model = CLINICAL_TABLES[table]
    column = getattr(model, key)
    found = session.scalar(select(model.id).where(func.upper(column) == values[key].upper()))
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
    check_version(table, row, version, session)
    parsed = _fold(table, p.parse_fields(FIELDS[table], data, partial=True))
    old = row_values(table, row)
    merged = _validate(table, {**old, **parsed}, _parent(table, row), row, given=list(parsed))
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
        reason=clean_reason(reason),
        record_version=row.version,
        address=actor.address,
    )
    return row


def check_version(table: str, row: Any, version: Any, session: Session | None = None) -> None:
    """Raise :class:`Conflict` when ``version`` is not the record's current version (with who
    changed which field since, from the audit trail, when ``session`` is given)."""
    if version is None or str(version).strip() == "":
        raise FieldError({"version": "required: the version of the record you edited"})
    try:
        read = int(version)
    except (TypeError, ValueError):
        raise FieldError({"version": f"expected a whole number, got {version!r}"}) from None
    if read != row.version:
        changes = audit.history(session, table, row.id, read) if session is not None else []
        raise Conflict(table, row.id, row_values(table, row), row.version, read, changes)


def delete(
    session: Session,
    actor: Actor,
    table: str,
    pk: int,
    version: int | None,
    reason: str | None = None,
) -> None:
    """Delete a record (and, for patients and courses, what hangs under them), audited.

    The audit entries are gathered first, then the rows are deleted, then the entries are
    written: the audit chain's lock is the last one a transaction takes (no deadlock with a
    concurrent edit of a record under the one deleted)."""
    require_write(actor)
    row = get(session, table, pk)
    check_version(table, row, version, session)
    entries = list(_deletions(table, row, clean_reason(reason)))
    session.delete(row)
    session.flush()
    for e in entries:
        audit.record(session, username=actor.username, address=actor.address, **e)


def _deletions(
    table: str, row: Any, reason: str | None, under: str = ""
) -> Iterator[dict[str, Any]]:
    """The audit entries of deleting ``row`` and every record under it (the cascade): each
    record removed gets its own, its reason naming the record whose deletion removed it."""
    why = f"deleted with {under}" + (f": {reason}" if reason else "") if under else reason
    yield {
        "action": "delete",
        "table": table,
        "record_id": str(row.id),
        "changes": {k: (v, None) for k, v in row_values(table, row).items() if v is not None},
        "reason": why,
        "record_version": row.version,
    }
    top = under or f"{_NAMES.get(table, 'patient')} {row.id}"
    for child_table, child in _children(table, row):
        yield from _deletions(child_table, child, reason, top)


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

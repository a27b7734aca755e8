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

from psoreg.i18n import N_, _
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
#: the roles a user may have at one site (administrators act at every site)
SITE_ROLES = ("clinician", "analyst")
#: what each role may do; a new role or permission is one line here (roles are checked
#: through :meth:`Actor.can` and :meth:`Actor.can_at`, never by comparing role names elsewhere)
PERMISSIONS: dict[str, frozenset[str]] = {
    "admin": frozenset(
        {
            "records.write",
            "records.identified",
            "records.restore",
            "users.manage",
            "audit.read",
            "queries.raise",
        }
    ),
    "clinician": frozenset({"records.write", "records.identified", "queries.raise"}),
    "analyst": frozenset({"queries.raise"}),
}
WRITE_ROLES = frozenset(r for r, perms in PERMISSIONS.items() if "records.write" in perms)


@dataclass(frozen=True)
class Actor:
    """Who is acting: the audit trail's "who" (and from where), and what the role allows.

    ``sites`` are the user's ``(site, role)`` memberships: the role at each site decides what
    the user sees and does with that site's patients. ``None`` means every site with ``role``
    (administrators, accounts granted all sites, the command line, the demo seed).
    """

    username: str
    role: str
    address: str | None = None
    sites: tuple[tuple[str, str], ...] | None = None

    def can(self, permission: str) -> bool:
        """The account's own role allows ``permission`` (administration, the audit log)."""
        return permission in PERMISSIONS.get(self.role, frozenset())

    def role_at(self, site: str | None) -> str | None:
        """The user's role at ``site`` (None: the user may not see the site)."""
        if self.sites is None or self.role == "admin":
            return self.role
        return dict(self.sites).get(site or "")

    def can_at(self, site: str | None, permission: str) -> bool:
        role = self.role_at(site)
        return role is not None and permission in PERMISSIONS.get(role, frozenset())

    def sees(self, site: str | None) -> bool:
        return self.role_at(site) is not None

    @property
    def site_codes(self) -> frozenset[str] | None:
        """The sites the user sees (None: every site)."""
        if self.sites is None or self.role == "admin":
            return None
        return frozenset(s for s, _ in self.sites)

    def sites_with(self, permission: str) -> frozenset[str] | None:
        """The sites where the user has ``permission`` (None: every site, if the role has it)."""
        if self.sites is None or self.role == "admin":
            return None if self.can(permission) else frozenset()
        return frozenset(s for s, r in self.sites if permission in PERMISSIONS.get(r, ()))

    @property
    def can_write(self) -> bool:
        """May change records at some site."""
        found = self.sites_with("records.write")
        return found is None or bool(found)

    @property
    def identified(self) -> bool:
        """Sees names, exact dates and registry ids at every site it sees (not analysts)."""
        if self.sites is None or self.role == "admin":
            return self.can("records.identified")
        return bool(self.sites) and all(
            "records.identified" in PERMISSIONS.get(r, ()) for _, r in self.sites
        )

    @property
    def is_admin(self) -> bool:
        return self.can("users.manage")


def require_write(actor: Actor, site: str | None = None) -> None:
    """Refuse unless the actor may change records (at ``site``, when given)."""
    allowed = actor.can_write if site is None else actor.can_at(site, "records.write")
    if not allowed:
        if site is not None and actor.sees(site):
            raise Forbidden(
                _("{user} ({role}) may not change records at site {site}").format(
                    user=actor.username, role=_(actor.role), site=site
                )
            )
        raise Forbidden(
            _("{user} ({role}) may not change records").format(
                user=actor.username, role=_(actor.role)
            )
        )


#: the longest patient id (a course id adds "-C" and a number to it)
PATIENT_ID_LENGTH = 32
SITE_CODE_LENGTH = 16
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
    "site": p.identifier(SITE_CODE_LENGTH),
    "name": _text("patients", "name"),
    "hospital_number": _text("patients", "hospital_number"),
    "birth_date": p.date,
    "birth_year": p.integer,
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
    "consent_date": p.date,
    "consent_version": _text("patients", "consent_version"),
    "consent_scope": _text("patients", "consent_scope"),
    "consent_withdrawn_date": p.date,
}
#: the consent fields of a patient (recorded on their own form, audited as "consent")
CONSENT_FIELDS = ("consent_date", "consent_version", "consent_scope", "consent_withdrawn_date")
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
    "patients": tuple(PATIENT_FIELDS),
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


def site_of(table: str, row: Any) -> str | None:
    """The site of the patient a record belongs to."""
    if table == "patients":
        return row.site
    if table == "courses":
        return row.patient.site
    return row.course.patient.site


def patient_pk_of(table: str, row: Any) -> int:
    if table == "patients":
        return row.id
    if table == "courses":
        return row.patient_pk
    return row.course.patient_pk


def _ancestors_deleted(session: Session, table: str, row: Any) -> str | None:
    """What hides a record whose parent (course, patient) was deleted, if any (one query)."""
    if table == "patients":
        return None
    include = {"include_deleted": True}
    with session.no_autoflush:
        if table == "courses":
            gone = session.scalar(
                select(PatientRow.deleted_at)
                .where(PatientRow.id == row.patient_pk)
                .execution_options(**include)
            )
            return "patient" if gone is not None else None
        found = session.execute(
            select(CourseRow.deleted_at, PatientRow.deleted_at)
            .join(PatientRow, PatientRow.id == CourseRow.patient_pk)
            .where(CourseRow.id == row.course_pk)
            .execution_options(**include)
        ).first()
    if found is None:
        return None
    return "course" if found[0] is not None else "patient" if found[1] is not None else None


def get(
    session: Session,
    table: str,
    pk: int,
    actor: Actor | None = None,
    *,
    include_deleted: bool = False,
) -> Any:
    """The record ``pk`` of ``table`` or :class:`NotFound` (also when it, or the course or
    patient it belongs to, is deleted, or the actor may not see its site)."""
    if table not in CLINICAL_TABLES:
        raise NotFound(f"no such record type {table}")
    model = CLINICAL_TABLES[table]
    with session.no_autoflush:
        row = session.get(
            model, pk, execution_options={"include_deleted": True} if include_deleted else {}
        )
    if row is None or (not include_deleted and row.deleted_at is not None):
        raise NotFound(f"no {table} record {pk}")
    if not include_deleted and _ancestors_deleted(session, table, row):
        raise NotFound(f"no {table} record {pk}")
    if actor is not None and not actor.sees(site_of(table, row)):
        raise NotFound(f"no {table} record {pk}")
    return row


def _next_course_id(session: Session, patient: PatientRow) -> str:
    """``<patient id>-C<n>``, n one more than the patient's courses (skipping ids in use,
    deleted courses' included).

    The caller holds the patient's row lock (:func:`_lock_patient`), so two concurrent
    creations for one patient cannot pick the same n.
    """
    n = (
        session.scalar(
            select(func.count())
            .select_from(CourseRow)
            .where(CourseRow.patient_pk == patient.id)
            .execution_options(include_deleted=True)
        )
        or 0
    )
    while True:
        n += 1
        cid = f"{patient.patient_id}-C{n}"
        taken = session.scalar(
            select(CourseRow.id)
            .where(func.upper(CourseRow.course_id) == cid.upper())
            .execution_options(include_deleted=True)
        )
        if taken is None:
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


def _site(session: Session, actor: Actor, values: dict[str, Any], old: str | None = None) -> None:
    """The patient's site: given, or the one site where the actor may write; it must exist,
    be active (for a new patient or a move) and be one where the actor may write."""
    from psoreg.store.models import Site

    code = values.get("site")
    with session.no_autoflush:
        if not code:
            writable = actor.sites_with("records.write")
            if writable is None:
                active = session.scalars(select(Site.code).where(Site.active)).all()
                writable = frozenset(active)
            if len(writable) == 1:
                values["site"] = code = next(iter(writable))
            else:
                raise FieldError({"site": _("required: choose the patient's site")})
        site = session.get(Site, code)
    if site is None or not actor.sees(code):
        raise FieldError({"site": _("{code} is not a site of this registry").format(code=code)})
    if code != old and not site.active:
        raise FieldError({"site": _("{code} is closed to new patients").format(code=code)})
    require_write(actor, code)


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
    if table == "patients":
        _site(session, actor, values)
    elif table == "courses":
        parent = get(session, "patients", parent_pk, actor)  # type: ignore[arg-type]
        require_write(actor, parent.site)
        _lock_patient(session, parent.id)
        values["course_id"] = values.get("course_id") or _next_course_id(session, parent)
    else:
        parent = get(session, "courses", parent_pk, actor)  # type: ignore[arg-type]
        require_write(actor, parent.patient.site)
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
    found = session.execute(
        select(model.id, model.deleted_at)
        .where(func.upper(column) == values[key].upper())
        .execution_options(include_deleted=True)
    ).first()
    if found is not None and found[0] != pk:
        used = _("{value} is already used by another record").format(value=values[key])
        if found[1]:
            used += " (" + _("a deleted record: an administrator can restore it") + ")"
        raise FieldError({key: used})


def update(
    session: Session,
    actor: Actor,
    table: str,
    pk: int,
    data: dict[str, Any],
    version: int | None,
    reason: str | None = None,
    *,
    action: str = "update",
) -> Any:
    """Change the fields given in ``data``; ``version`` is the version the user read."""
    require_write(actor)
    row = get(session, table, pk, actor)
    require_write(actor, site_of(table, row))
    check_version(table, row, version, session)
    parsed = _fold(table, p.parse_fields(FIELDS[table], data, partial=True))
    old = row_values(table, row)
    merged = {**old, **parsed}
    if table == "patients":
        if "birth_date" in parsed and "birth_year" not in parsed:
            merged["birth_year"] = None  # derived again from the new birth date
        if merged.get("site") != old.get("site"):
            _site(session, actor, merged, old.get("site"))
    merged = _validate(table, merged, _parent(table, row), row, given=list(parsed))
    _unique(session, table, merged, row.id)
    changes = _changes(old, {k: merged[k] for k in COLUMNS[table] if k in merged})
    if not changes:
        return row
    for k, (_old, new) in changes.items():
        setattr(row, k, new)
    session.flush()
    audit.record(
        session,
        username=actor.username,
        action=action,
        table=table,
        record_id=str(row.id),
        changes=changes,
        reason=clean_reason(reason),
        record_version=row.version,
        address=actor.address,
    )
    return row


def record_consent(
    session: Session,
    actor: Actor,
    pk: int,
    data: dict[str, Any],
    version: int | None,
    reason: str | None = None,
) -> PatientRow:
    """Record, renew or withdraw a patient's consent (audited as ``consent``)."""
    unknown = sorted(set(data) - set(CONSENT_FIELDS))
    if unknown:
        raise FieldError({k: _("not a consent field") for k in unknown})
    return update(session, actor, "patients", pk, data, version, reason, action="consent")


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


def _required_reason(reason: Any, message: str) -> str:
    """The reason given, else a FieldError saying ``message`` (an ``N_()`` text)."""
    why = clean_reason(reason)
    if not why:
        raise FieldError({"reason": _(message)})
    return why


def delete(
    session: Session,
    actor: Actor,
    table: str,
    pk: int,
    version: int | None,
    reason: str | None = None,
) -> Any:
    """Delete a record, softly: it is kept with who deleted it, when and why, hidden from every
    page, analysis and export (and so is everything under it), and an administrator can
    restore it. A reason is required; the deletion is audited and the open data queries on the
    record (and on the records under it) are closed."""
    require_write(actor)
    row = get(session, table, pk, actor)
    require_write(actor, site_of(table, row))
    check_version(table, row, version, session)
    why = _required_reason(reason, N_("required: say why this record is deleted"))
    from psoreg.store.models import utcnow

    row.deleted_at = utcnow()
    row.deleted_by = actor.username[:64]
    row.deleted_reason = why
    session.flush()
    audit.record(
        session,
        username=actor.username,
        action="delete",
        table=table,
        record_id=str(row.id),
        changes={"deleted": (None, f"{row.deleted_at:%Y-%m-%d %H:%M} UTC")},
        reason=why,
        record_version=row.version,
        address=actor.address,
    )
    from psoreg.store import queries

    queries.close_for_deleted(session, actor, table, row, why)
    return row


def restore(session: Session, actor: Actor, table: str, pk: int, reason: str | None = None) -> Any:
    """Restore a deleted record (administrators): it must still be valid under its parent,
    which must not be deleted itself (restore the patient or course first)."""
    if not actor.can("records.restore"):
        raise Forbidden(_("only administrators may restore deleted records"))
    row = get(session, table, pk, include_deleted=True)
    if row.deleted_at is None:
        raise FieldError(
            {
                "record": _("{what} {pk} is not deleted").format(
                    what=_(_NAMES.get(table, "patient")), pk=pk
                )
            }
        )
    hidden_by = _ancestors_deleted(session, table, row)
    if hidden_by:
        raise FieldError(
            {
                "record": _("its {what} is deleted: restore the {what} first").format(
                    what=_(hidden_by)
                )
            }
        )
    why = _required_reason(reason, N_("required: say why this record is restored"))
    values = row_values(table, row)
    parent = _parent(table, row)
    _validate(table, dict(values), parent)
    row.deleted_at = row.deleted_by = row.deleted_reason = None
    session.flush()
    audit.record(
        session,
        username=actor.username,
        action="restore",
        table=table,
        record_id=str(row.id),
        changes={"deleted": ("yes", None)},
        reason=why,
        record_version=row.version,
        address=actor.address,
    )
    return row


def purge(
    session: Session,
    actor: Actor,
    table: str,
    pk: int,
    reason: str | None = None,
) -> None:
    """Remove a deleted record for good (administrators; e.g. a patient's erasure request),
    and everything under it - each record removed audited, its reason naming the record whose
    removal took it. The audit entries are gathered first, then the rows are deleted, then the
    entries are written: the audit chain's lock is the last one a transaction takes."""
    if not actor.can("records.restore"):
        raise Forbidden(_("only administrators may remove records for good"))
    row = get(session, table, pk, include_deleted=True)
    if row.deleted_at is None:
        raise FieldError({"record": _("delete the record first (a reason is kept), then purge it")})
    why = _required_reason(reason, N_("required: say why this record is removed for good"))
    entries = list(_deletions(session, table, row, why))
    session.delete(row)
    session.flush()
    for e in entries:
        audit.record(session, username=actor.username, address=actor.address, **e)


def _all_children(session: Session, table: str, row: Any) -> Iterator[tuple[str, Any]]:
    """The records directly under ``row``, deleted ones included."""
    if table == "patients":
        q = select(CourseRow).where(CourseRow.patient_pk == row.id)
        for c in session.scalars(q.execution_options(include_deleted=True)):
            yield "courses", c
    elif table == "courses":
        for t in CHILD_TABLES:
            model = CLINICAL_TABLES[t]
            q = select(model).where(model.course_pk == row.id)  # type: ignore[attr-defined]
            for child in session.scalars(q.execution_options(include_deleted=True)):
                yield t, child


def count_under(session: Session, table: str, row: Any) -> dict[str, int]:
    """How many records (not deleted) are under ``row``: what deleting it hides with it."""
    out: dict[str, int] = {}
    if table == "patients":
        courses = list(row.courses)
        out["courses"] = len(courses)
    elif table == "courses":
        courses = [row]
    else:
        return out
    for t in CHILD_TABLES:
        n = sum(len(getattr(c, t)) for c in courses)
        if n:
            out[t] = n
    return {k: v for k, v in out.items() if v}


def deleted_records(session: Session, actor: Actor, limit: int = 500) -> list[dict[str, Any]]:
    """Deleted records of the actor's sites, newest first: what an administrator may restore."""
    out = []
    for table, model in CLINICAL_TABLES.items():
        q = (
            select(model)
            .where(model.deleted_at.is_not(None))  # type: ignore[attr-defined]
            .execution_options(include_deleted=True)
            .limit(limit)
        )
        for row in session.scalars(q):
            site = session.scalar(
                select(PatientRow.site)
                .where(PatientRow.id == _patient_pk_raw(session, table, row))
                .execution_options(include_deleted=True)
            )
            if not actor.sees(site):
                continue
            out.append(
                {
                    "table": table,
                    "pk": row.id,
                    "site": site,
                    "deleted_at": row.deleted_at,
                    "deleted_by": row.deleted_by,
                    "reason": row.deleted_reason,
                    "values": row_values(table, row),
                    "hidden_by": _ancestors_deleted(session, table, row),
                }
            )
    out.sort(key=lambda r: r["deleted_at"], reverse=True)
    return out[:limit]


def _patient_pk_raw(session: Session, table: str, row: Any) -> int | None:
    if table == "patients":
        return row.id
    if table == "courses":
        return row.patient_pk
    return session.scalar(
        select(CourseRow.patient_pk)
        .where(CourseRow.id == row.course_pk)
        .execution_options(include_deleted=True)
    )


def _deletions(
    session: Session, table: str, row: Any, reason: str | None, under: str = ""
) -> Iterator[dict[str, Any]]:
    """The audit entries of removing ``row`` and every record under it (the cascade): each
    record removed gets its own, its reason naming the record whose removal removed it."""
    why = f"removed with {under}" + (f": {reason}" if reason else "") if under else reason
    yield {
        "action": "purge",
        "table": table,
        "record_id": str(row.id),
        "changes": {k: (v, None) for k, v in row_values(table, row).items() if v is not None},
        "reason": why,
        "record_version": row.version,
    }
    top = under or f"{_NAMES.get(table, 'patient')} {row.id}"
    for child_table, child in list(_all_children(session, table, row)):
        yield from _deletions(session, child_table, child, reason, top)


def stop_course(
    session: Session,
    actor: Actor,
    pk: int,
    stop_date: Any,
    stop_reason: Any,
    version: int | None,
    reason: str | None = None,
    next_treatment: Any = None,
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
    if p.text("next_treatment", next_treatment):
        data["next_treatment"] = next_treatment
    return update(session, actor, "courses", pk, data, version, reason)


def restart_course(
    session: Session, actor: Actor, pk: int, version: int | None, reason: str | None = None
) -> CourseRow:
    """Undo a course's stop (entered by mistake, or treatment resumed): the stop date and
    reason are cleared; refused while a relapse is recorded after the stop."""
    return update(
        session, actor, "courses", pk, {"stop_date": None, "stop_reason": None}, version, reason
    )


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
    "count_under",
    "delete",
    "deleted_records",
    "get",
    "purge",
    "record_consent",
    "restart_course",
    "restore",
    "stop_course",
    "update",
]

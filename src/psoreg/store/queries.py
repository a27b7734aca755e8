"""Data queries: REDCap's data resolution workflow for the registry.

A monitor (anyone who may see the record: a clinician, an administrator, an analyst checking
the data) raises a query on one field of one record with a question; it may be assigned to a
user who may change records at the patient's site; that user (or any such user) answers; the
user who raised it, or an administrator, closes it - or reopens it when the answer does not
settle it. Every step is a message of the query's thread and an audit entry (action
``query``). Deleting a record closes its open queries (and those of the records under it).

States: ``open`` → ``answered`` → ``closed``; ``answered`` or ``closed`` → ``open`` (reopened).
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from typing import Any

from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import Session

from psoreg.i18n import N_, _
from psoreg.store import audit
from psoreg.store import parse as p
from psoreg.store.errors import FieldError, Forbidden, NotFound
from psoreg.store.models import (
    CourseRow,
    DataQuery,
    DataQueryMessage,
    PatientRow,
    User,
    UserSite,
    utcnow,
)

STATUSES = ("open", "answered", "closed")
#: How statuses and the thread's actions read (the stored value stays the code).
LABELS = (
    N_("open"), N_("answered"), N_("closed"), N_("unresolved"),
    N_("raised"), N_("assigned"), N_("reopened"),
)  # fmt: skip
#: still waiting for someone (the dashboard's "open queries")
UNRESOLVED = ("open", "answered")
TEXT_LENGTH = 2000
_text = p.limited_text(TEXT_LENGTH, multiline=True)


def _service() -> Any:
    from psoreg.store import service

    return service


def _required_text(value: Any, what: str) -> str:
    out = _text("text", value)
    if not out:
        raise FieldError({"text": _("required: {what}").format(what=_(what))})
    return out


def _audit(session: Session, actor: Any, q: DataQuery, what: str, text: str | None) -> None:
    audit.record(
        session,
        username=actor.username,
        action="query",
        table="data_queries",
        record_id=str(q.id),
        changes={what: (None, text or q.status)},
        reason=f"{q.table_name} {q.record_pk} field {q.field}",
        address=actor.address,
    )


def _say(session: Session, actor: Any, q: DataQuery, action: str, text: str | None) -> None:
    q.updated_at = utcnow()
    session.add(DataQueryMessage(query_id=q.id, username=actor.username, action=action, text=text))
    session.flush()
    _audit(session, actor, q, action, text)


def assignable(session: Session, site: str) -> list[str]:
    """Active users who may answer a query at ``site`` (clinicians there, administrators,
    clinicians granted every site)."""
    q = (
        select(User.username)
        .outerjoin(UserSite, (UserSite.user_id == User.id) & (UserSite.site == site))
        .where(
            User.active,
            (User.role == "admin")
            | ((User.all_sites) & (User.role == "clinician"))
            | (UserSite.role == "clinician"),
        )
        .order_by(User.username)
    )
    return list(dict.fromkeys(session.scalars(q)))


def _check_assignee(session: Session, site: str, username: str | None) -> str | None:
    name = (username or "").strip().lower() or None
    if name is not None and name not in assignable(session, site):
        raise FieldError(
            {
                "assigned_to": _(
                    "{user} may not answer queries at site {site} (or is not a user)"
                ).format(user=name, site=site)
            }
        )
    return name


def raise_query(
    session: Session,
    actor: Any,
    table: str,
    record_pk: int,
    field: str,
    text: Any,
    assigned_to: str | None = None,
) -> DataQuery:
    """Open a query on ``field`` of record ``record_pk`` of ``table``."""
    service = _service()
    row = service.get(session, table, record_pk, actor)
    site = service.site_of(table, row)
    if not actor.can_at(site, "queries.raise"):
        raise Forbidden(_("{user} may not raise data queries").format(user=actor.username))
    fields = set(service.FIELDS[table]) | {"record"}
    errors = {}
    if field not in fields:
        errors["field"] = _("{field} is not a field of {table}").format(
            field=repr(field), table=table
        )
    try:
        body = _required_text(text, N_("the question to be answered"))
    except FieldError as exc:
        errors.update(exc.errors)
    try:
        assignee = _check_assignee(session, site, assigned_to)
    except FieldError as exc:
        errors.update(exc.errors)
    if errors:
        raise FieldError(errors)
    q = DataQuery(
        site=site,
        patient_pk=service.patient_pk_of(table, row),
        table_name=table,
        record_pk=record_pk,
        field=field,
        status="open",
        raised_by=actor.username,
        assigned_to=assignee,
    )
    session.add(q)
    session.flush()
    _say(session, actor, q, "raised", body)
    if assignee:
        _say(session, actor, q, "assigned", assignee)
    return q


def get(session: Session, actor: Any, query_id: int) -> DataQuery:
    q = session.get(DataQuery, query_id)
    if q is None or not actor.sees(q.site) or _patient_deleted(session, q.patient_pk):
        raise NotFound(_("no data query {id}").format(id=query_id))
    return q


def _patient_deleted(session: Session, patient_pk: int) -> bool:
    return session.scalar(select(PatientRow.id).where(PatientRow.id == patient_pk)) is None


def answer(session: Session, actor: Any, query_id: int, text: Any) -> DataQuery:
    """Answer an open query (users who may change records at its site)."""
    q = get(session, actor, query_id)
    if not actor.can_at(q.site, "records.write"):
        raise Forbidden(_("only users who may change this site's records answer its queries"))
    if q.status != "open":
        raise FieldError(
            {
                "status": _("the query is {status}: only an open query is answered").format(
                    status=_(q.status)
                )
            }
        )
    body = _required_text(text, N_("the answer (what was checked, what was corrected)"))
    q.status = "answered"
    _say(session, actor, q, "answered", body)
    return q


def _may_close(actor: Any, q: DataQuery) -> bool:
    return actor.username == q.raised_by or actor.is_admin


def close(session: Session, actor: Any, query_id: int, text: Any = None) -> DataQuery:
    """Close a query (the user who raised it, or an administrator)."""
    q = get(session, actor, query_id)
    if not _may_close(actor, q):
        raise Forbidden(
            _("only {user}, who raised it, or an administrator closes it").format(user=q.raised_by)
        )
    if q.status == "closed":
        raise FieldError({"status": _("the query is already closed")})
    q.status = "closed"
    _say(session, actor, q, "closed", _text("text", text))
    return q


def reopen(session: Session, actor: Any, query_id: int, text: Any) -> DataQuery:
    """Reopen an answered or closed query, saying what is still unresolved."""
    q = get(session, actor, query_id)
    if not _may_close(actor, q):
        raise Forbidden(
            _("only {user}, who raised it, or an administrator reopens it").format(user=q.raised_by)
        )
    if q.status == "open":
        raise FieldError({"status": _("the query is already open")})
    body = _required_text(text, N_("what is still unresolved"))
    q.status = "open"
    _say(session, actor, q, "reopened", body)
    return q


def assign(session: Session, actor: Any, query_id: int, username: str | None) -> DataQuery:
    """Assign a query to a user who may answer it (or to nobody)."""
    q = get(session, actor, query_id)
    if not (actor.can_at(q.site, "records.write") or _may_close(actor, q)):
        raise Forbidden(_("only users who may change this site's records assign its queries"))
    q.assigned_to = _check_assignee(session, q.site, username)
    _say(session, actor, q, "assigned", q.assigned_to or "(nobody)")
    return q


def close_for_deleted(session: Session, actor: Any, table: str, row: Any, reason: str) -> int:
    """Close the unresolved queries of a record just deleted, and of the records under it."""
    targets: list[tuple[str, list[int]]] = [(table, [row.id])]
    if table == "patients":
        found = session.scalars(
            select(DataQuery).where(
                DataQuery.patient_pk == row.id, DataQuery.status.in_(UNRESOLVED)
            )
        ).all()
    else:
        if table == "courses":
            for child in ("doses", "visits", "events", "relapses"):
                targets.append((child, [c.id for c in getattr(row, child)]))
        found = []
        for t, pks in targets:
            if pks:
                found += session.scalars(
                    select(DataQuery).where(
                        DataQuery.table_name == t,
                        DataQuery.record_pk.in_(pks),
                        DataQuery.status.in_(UNRESOLVED),
                    )
                ).all()
    for q in found:
        q.status = "closed"
        _say(session, actor, q, "closed", f"record deleted: {reason}")
    return len(found)


@dataclass(frozen=True)
class QueryView:
    """A query as lists and pages show it."""

    id: int
    site: str
    patient_pk: int
    table: str
    record_pk: int
    field: str
    status: str
    raised_by: str
    raised_at: Any
    assigned_to: str | None
    updated_at: Any
    question: str | None


def has_unresolved(conn: Any, patient_pk: int) -> bool:
    """Whether patient ``patient_pk`` has an unresolved query (one cheap Core query, so that a
    page calls :func:`listing` only when there is something to list)."""
    return conn.execute(_UNRESOLVED_OF_PATIENT, {"pk": patient_pk}).first() is not None


_UNRESOLVED_OF_PATIENT = (
    select(DataQuery.id)
    .where(DataQuery.patient_pk == bindparam("pk"), DataQuery.status.in_(UNRESOLVED))
    .limit(1)
)


def listing(
    session: Session,
    actor: Any,
    *,
    status: str | None = None,
    site: str | None = None,
    patient_pk: int | None = None,
    table: str | None = None,
    record_pk: int | None = None,
    assigned_to: str | None = None,
    limit: int = 500,
) -> list[QueryView]:
    """Queries the actor may see, newest first (of patients not deleted)."""
    q = select(DataQuery).join(PatientRow, PatientRow.id == DataQuery.patient_pk)
    codes = actor.site_codes
    if codes is not None:
        q = q.where(DataQuery.site.in_(codes))
    if status == "unresolved":
        q = q.where(DataQuery.status.in_(UNRESOLVED))
    elif status:
        q = q.where(DataQuery.status == status)
    for column, value in (
        (DataQuery.site, site),
        (DataQuery.patient_pk, patient_pk),
        (DataQuery.table_name, table),
        (DataQuery.record_pk, record_pk),
        (DataQuery.assigned_to, assigned_to),
    ):
        if value is not None and value != "":
            q = q.where(column == value)
    rows = session.scalars(q.order_by(DataQuery.id.desc()).limit(limit)).all()
    first = _questions(session, [r.id for r in rows])
    return [
        QueryView(
            r.id,
            r.site,
            r.patient_pk,
            r.table_name,
            r.record_pk,
            r.field,
            r.status,
            r.raised_by,
            r.raised_at,
            r.assigned_to,
            r.updated_at,
            first.get(r.id),
        )
        for r in rows
    ]


def _questions(session: Session, ids: list[int]) -> dict[int, str | None]:
    if not ids:
        return {}
    q = (
        select(DataQueryMessage.query_id, DataQueryMessage.text)
        .where(DataQueryMessage.query_id.in_(ids), DataQueryMessage.action == "raised")
        .order_by(DataQueryMessage.id)
    )
    out: dict[int, str | None] = {}
    for qid, text in session.execute(q):
        out.setdefault(qid, text)
    return out


def unresolved_by_site(session: Session, actor: Any) -> Counter[str]:
    """Open or answered (not yet closed) queries per site, of patients not deleted."""
    q = (
        select(DataQuery.site, func.count())
        .join(PatientRow, PatientRow.id == DataQuery.patient_pk)
        .where(DataQuery.status.in_(UNRESOLVED))
        .group_by(DataQuery.site)
    )
    codes = actor.site_codes
    if codes is not None:
        q = q.where(DataQuery.site.in_(codes))
    return Counter({site: n for site, n in session.execute(q)})


def course_patient(session: Session, course_pk: int) -> int | None:
    return session.scalar(select(CourseRow.patient_pk).where(CourseRow.id == course_pk))

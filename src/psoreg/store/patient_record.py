"""One patient's record for display, read with a few Core queries (no ORM object graph).

The patient page only shows the record: it needs no identity map, no change tracking and no
relationship loaders, which cost more than the queries themselves (about 15 ms of CPU for a
patient with two courses and thirty visits, against about 1 ms here). The result has the
attribute names of the ORM rows (``p.courses[0].visits[0].pasi``), so the page's presenters
(:mod:`psoreg.web.present`) and the schedule (:mod:`psoreg.store.schedule`) take either.

Core queries skip the session's soft-delete filter (:mod:`psoreg.store.softdelete`), so every
query here says ``deleted_at IS NULL`` itself. They run as :class:`~psoreg.store.prepared.Prepared`
statements (compiled once, on the DBAPI cursor): SQLAlchemy's per-statement work cost more than
the queries.
"""

from __future__ import annotations

from collections.abc import Iterable
from types import SimpleNamespace
from typing import Any

from sqlalchemy import bindparam, exists, select

from psoreg.store.models import (
    CourseRow,
    DataQuery,
    DoseRow,
    EventRow,
    PatientRow,
    RelapseRow,
    Site,
    VisitRow,
)
from psoreg.store.prepared import Prepared, Reader
from psoreg.store.queries import UNRESOLVED

#: the patient, the name of its site and whether it has an unresolved data query: what the
#: page also asked in two more statements
_PATIENT = Prepared(
    select(
        PatientRow.__table__,
        select(Site.name).where(Site.code == PatientRow.site).scalar_subquery().label("site_name"),
        exists()
        .where(DataQuery.patient_pk == PatientRow.id, DataQuery.status.in_(UNRESOLVED))
        .label("has_unresolved_queries"),
    ).where(PatientRow.id == bindparam("pk"), PatientRow.deleted_at.is_(None))
)
#: (attribute, table) of each course's records, in the order the ORM relationships sort them
CHILDREN = (
    ("doses", DoseRow),
    ("visits", VisitRow),
    ("events", EventRow),
    ("relapses", RelapseRow),
)
#: the courses, each with whether it has records of each of :data:`CHILDREN` (``has_doses``
#: ...): a table none of the patient's courses has a record in is not queried (most patients
#: have no event or relapse, and some clinics record no doses)
_COURSES = Prepared(
    select(
        CourseRow.__table__,
        *(
            exists()
            .where(model.course_pk == CourseRow.id, model.deleted_at.is_(None))
            .label(f"has_{name}")
            for name, model in CHILDREN
        ),
    )
    .where(CourseRow.patient_pk == bindparam("pk"), CourseRow.deleted_at.is_(None))
    .order_by(CourseRow.start_date, CourseRow.id)
)
_HAS = tuple(f"has_{name}" for name, _model in CHILDREN)


def _children(model: Any) -> Any:
    t = model.__table__
    return (
        select(t)
        .join(CourseRow.__table__, CourseRow.id == t.c.course_pk)
        .where(
            CourseRow.patient_pk == bindparam("pk"),
            CourseRow.deleted_at.is_(None),
            t.c.deleted_at.is_(None),
        )
        .order_by(t.c.date, t.c.id)
    )


_CHILD_QUERIES = tuple((name, Prepared(_children(model))) for name, model in CHILDREN)


def load_record(
    reader: Reader, pk: int, sites: Iterable[str] | None = None
) -> SimpleNamespace | None:
    """Patient ``pk`` with its courses (``start_date`` order) and each course's doses, visits,
    events and relapses (date order), none deleted; None when there is no such patient, it is
    deleted, or it is not of ``sites`` (None: any site). Patients left out of analyses (consent)
    are returned: this is their own record.

    Besides the columns of ``patients``, the record has ``site_name`` (the name of its site,
    else the site's code, as :func:`psoreg.store.sites.site_name`) and
    ``has_unresolved_queries`` (as :func:`psoreg.store.queries.has_unresolved`)."""
    found = _PATIENT.dicts(reader, pk=pk)
    if not found or (sites is not None and found[0]["site"] not in set(sites)):
        return None
    patient = SimpleNamespace(**found[0])
    patient.site_name = patient.site_name or patient.site
    patient.has_unresolved_queries = bool(patient.has_unresolved_queries)
    courses, present = [], set()
    for columns in _COURSES.dicts(reader, pk=pk):
        present.update(name for name in _HAS if columns.pop(name))
        courses.append(
            SimpleNamespace(**columns, patient=patient, doses=[], visits=[], events=[], relapses=[])
        )
    patient.courses = courses
    by_pk = {c.id: c for c in courses}
    for name, query in _CHILD_QUERIES:
        if f"has_{name}" in present:
            for r in query.records(reader, pk=pk):
                getattr(by_pk[r.course_pk], name).append(r)
    return patient

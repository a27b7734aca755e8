"""The request path's fixed selects run on the DBAPI cursor (:mod:`psoreg.store.prepared`) and
must give what SQLAlchemy's ``execute`` gives, value for value and type for type, on SQLite
(dates, times, JSON and booleans stored as text and integers) and PostgreSQL; the patient
page's reads on SQLite see one snapshot.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import bindparam, literal_column, select, table
from sqlalchemy.exc import DBAPIError

from psoreg.accounts import sessions
from psoreg.store import patient_record, queries, service
from psoreg.store.models import CourseRow, PatientRow, User
from psoreg.store.outcome_table import _STORED_OF_PATIENT
from psoreg.store.prepared import Prepared

CLIN = service.Actor("clinician", "clinician")


def _typed(rows: Any) -> list[tuple[tuple[type, Any], ...]]:
    return [tuple((type(v), v) for v in r) for r in rows]


def _full_record(store) -> tuple[int, str]:
    """A patient with a record of every kind, JSON columns filled, a deleted visit and an open
    data query; and a browser session's id."""
    with store.session() as s:
        patient = s.scalar(select(PatientRow).order_by(PatientRow.id))
        course = s.scalar(
            select(CourseRow).where(CourseRow.patient_pk == patient.id).order_by(CourseRow.id)
        )
        grid = {f: 1 for f in service.v.PASI_FIELDS}
        answers = {f: "a_little" for f in service.v.DLQI_FIELDS}
        visit = service.create(
            s, CLIN, "visits", {"date": course.start_date, **grid, **answers}, parent_pk=course.id
        )
        gone = service.create(s, CLIN, "visits", {"date": course.start_date, "pasi": 3}, course.id)
        service.create(
            s,
            CLIN,
            "events",
            {
                "kind": "paradoxical",
                "date": course.start_date,
                "drug_continued": "yes",
                "naranjo_after_drug": "yes",
                "who_umc_information": "sufficient",
            },
            parent_pk=course.id,
        )
        after = (course.stop_date or course.start_date) + dt.timedelta(days=30)
        service.create(s, CLIN, "relapses", {"date": after}, parent_pk=course.id)
        s.flush()
        service.delete(s, CLIN, "visits", gone.id, gone.version, reason="entered twice")
        actor = service.Actor("clinician", "clinician", sites=((patient.site, "clinician"),))
        queries.raise_query(s, actor, "visits", visit.id, "pasi", "Is this PASI right?")
        user = s.scalar(select(User).where(User.username == "clinician"))
        token = sessions.start(s, user, address="127.0.0.1", user_agent="test")
        return patient.id, token


def test_prepared_rows_equal_sqlalchemys(seeded_store) -> None:
    pk, token = _full_record(seeded_store)
    statements = [
        (patient_record._PATIENT, {"pk": pk}),
        (patient_record._COURSES, {"pk": pk}),
        *((q, {"pk": pk}) for _name, q in patient_record._CHILD_QUERIES),
        (_STORED_OF_PATIENT, {"pk": pk}),
        (sessions._PEEK, {"token_hash": sessions.digest(token)}),
    ]
    with seeded_store.read_connection() as conn, seeded_store.prepared_reader() as reader:
        for prepared, params in statements:
            expected = conn.execute(prepared.statement, params).all()
            assert expected, prepared.statement  # every statement has rows to compare
            assert _typed(prepared.rows(reader, **params)) == _typed(expected)
            assert _typed(prepared.rows(reader, **params)) == _typed(expected)  # compiled, again
            records = prepared.records(reader, **params)
            assert [r._asdict() for r in records] == [r._asdict() for r in expected]
        record = patient_record.load_record(reader, pk)
    visits = record.courses[0].visits
    assert any(v.pasi_components and v.dlqi_answers for v in visits)
    assert all(v.deleted_at is None for v in visits)  # the deleted visit stays hidden
    assert record.courses[0].events[0].naranjo and record.courses[0].events[0].drug_continued
    assert record.has_unresolved_queries is True


def test_the_patient_reads_see_one_snapshot_on_sqlite(seeded_store, backend) -> None:
    if backend != "sqlite":
        pytest.skip("PostgreSQL reads at READ COMMITTED, as SQLAlchemy's connections do")
    pk, _token = _full_record(seeded_store)
    visits = dict(patient_record._CHILD_QUERIES)["visits"]
    with seeded_store.prepared_reader() as reader:
        before = visits.rows(reader, pk=pk)
        with seeded_store.session() as s:  # a writer commits meanwhile (WAL: not blocked)
            course = s.scalar(select(CourseRow.id).where(CourseRow.patient_pk == pk))
            service.create(s, CLIN, "visits", {"date": "2024-06-03", "pasi": 1}, course)
        assert visits.rows(reader, pk=pk) == before
    with seeded_store.prepared_reader() as reader:
        assert len(visits.rows(reader, pk=pk)) == len(before) + 1


def test_a_parameter_that_changes_the_sql_is_refused(seeded_store) -> None:
    ids = Prepared(select(PatientRow.id).where(PatientRow.id.in_(bindparam("ids", expanding=True))))
    with seeded_store.prepared_reader() as reader, pytest.raises(ValueError, match="ids"):
        ids.rows(reader, ids=[1, 2])


def test_a_database_error_is_sqlalchemys(seeded_store) -> None:
    """The web answers SQLAlchemy's errors (a locked database: 503), whoever ran the statement."""
    missing = Prepared(select(literal_column("x")).select_from(table("no_such_table")))
    with seeded_store.prepared_reader() as reader, pytest.raises(DBAPIError, match="no_such"):
        missing.rows(reader)

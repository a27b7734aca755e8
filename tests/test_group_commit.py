"""The group commit (:mod:`psoreg.store.group_commit`) on SQLite and on a real PostgreSQL server:
concurrent :meth:`Store.write` calls of one process are committed in one transaction, a unit
that fails rolls back alone (its caller gets its own exception, its audit entries vanish with
it), every acknowledged write has its stored outcomes, and the audit chain verifies.

On PostgreSQL the audit chain's lock (``audit_head``) is taken only at the commit, after the
outcome refresh, so concurrent writers are not serialised through the engine run.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.exc import OperationalError

from psoreg.store import audit, service
from psoreg.store import outcome_table as ot
from psoreg.store.errors import Conflict, FieldError
from psoreg.store.models import AuditRow, CourseOutcomeRow, CourseRow, VisitRow
from tests.test_outcome_table import assert_current
from tests.web_conftest import TEST_SECRET

CLIN = service.Actor("dr.a", "clinician")
START = dt.date(2024, 1, 8)


def _courses(store, n: int) -> list[int]:
    """``n`` patients with one course each; the course pks."""

    def add(s) -> list[int]:
        out = []
        for i in range(n):
            p = service.create(s, CLIN, "patients", {"patient_id": f"G{i}"})
            data = {"drug": "ustekinumab", "start_date": START, "baseline_pasi": 20}
            out.append(service.create(s, CLIN, "courses", data, p.id).id)
        return out

    return store.write(add)


def _chain_ok(store) -> list[int]:
    with store.engine.connect() as c:
        v = audit.verify(c, TEST_SECRET)
        assert v.ok, v.problems
        ids = list(c.scalars(select(AuditRow.id).order_by(AuditRow.id)))
    assert ids == list(range(1, len(ids) + 1))
    return ids


def _in_one_batch(store, units: list[Any]) -> list[tuple[str, Any]]:
    """Run ``units`` through ``store.write`` from threads, all queued while the writer thread is
    held by a blocking unit, so that they are committed together; each caller's outcome."""
    started, release = threading.Event(), threading.Event()

    def blocker(_s) -> None:
        started.set()
        assert release.wait(30)

    def call(unit) -> tuple[str, Any]:
        try:
            return "ok", store.write(unit)
        except Exception as exc:  # noqa: BLE001 - returned to the test
            return "error", exc

    writer = store._group_writer()
    with ThreadPoolExecutor(len(units) + 1) as pool:
        first = pool.submit(store.write, blocker)
        assert started.wait(30)
        futures = [pool.submit(call, u) for u in units]
        deadline = time.monotonic() + 30
        while writer._queue.qsize() < len(units):
            assert time.monotonic() < deadline, "the units never queued"
            time.sleep(0.005)
        release.set()
        first.result()
        return [f.result() for f in futures]


def _txid(s) -> int | None:
    if s.get_bind().dialect.name != "postgresql":
        return None
    return s.scalar(text("SELECT txid_current()"))


def test_concurrent_writes_commit_together_and_a_failing_unit_rolls_back_alone(store) -> None:
    courses = _courses(store, 6)
    with store.session() as s:
        v = service.create(s, CLIN, "visits", {"date": START, "pasi": 20}, courses[0])

    def visit(course_pk: int, week: int, pasi: float):
        def unit(s):
            when = START + dt.timedelta(weeks=week)
            row = service.create(s, CLIN, "visits", {"date": when, "pasi": pasi}, course_pk)
            return row.id, _txid(s)

        return unit

    def fails_after_writing(s):  # written and audited, then the unit fails
        service.create(s, CLIN, "visits", {"date": START, "pasi": 7}, courses[5])
        s.flush()
        raise RuntimeError("this unit fails after its write")

    def refused(s):  # a 422: out of range
        service.create(s, CLIN, "visits", {"date": START, "pasi": 99}, courses[5])

    def stale(s):  # a 409: the version read is not the current one
        service.update(s, CLIN, "visits", v.id, {"pasi": 3}, v.version + 5)

    units = [visit(c, 12, 4) for c in courses[:5]]
    got = _in_one_batch(store, [*units[:2], fails_after_writing, refused, stale, *units[2:]])
    ok = [r for kind, r in got if kind == "ok"]
    assert len(ok) == 5
    assert isinstance(got[2][1], RuntimeError)
    assert isinstance(got[3][1], FieldError) and "pasi" in got[3][1].errors
    assert isinstance(got[4][1], Conflict)
    if store.dialect == "postgresql":  # one transaction for the lot
        assert len({txid for _, txid in ok}) == 1

    with store.reader() as s:
        visits = set(s.scalars(select(VisitRow.id)))
        assert {pk for pk, _ in ok} <= visits
        assert not s.scalars(select(VisitRow).where(VisitRow.course_pk == courses[5])).all()
        audited = set(
            s.scalars(
                select(AuditRow.record_id).where(
                    AuditRow.table_name == "visits", AuditRow.action == "create"
                )
            )
        )
        assert audited == {str(pk) for pk in visits}  # none of the failed unit's entries
        rows = s.execute(select(CourseOutcomeRow.course_pk, CourseOutcomeRow.treatment_success))
        stored = dict(rows.all())
    for c in courses[:5]:  # 20 -> 4 at week 12, stored at the commit
        assert stored[c] is True
    assert_current(store)
    _chain_ok(store)


def test_many_concurrent_writers_lose_nothing_and_keep_one_chain(store) -> None:
    courses = _courses(store, 10)

    def write(i: int) -> int:
        when = START + dt.timedelta(days=1 + i % 300)
        data = {"date": when, "pasi": float(i % 30)}
        return store.write(lambda s: service.create(s, CLIN, "visits", data, courses[i % 10]).id)

    with ThreadPoolExecutor(16) as pool:
        acked = list(pool.map(write, range(120)))
    with store.reader() as s:
        assert set(s.scalars(select(VisitRow.id))) == set(acked)
        assert s.scalar(select(func.count()).select_from(CourseOutcomeRow)) == 10
    assert_current(store)
    _chain_ok(store)


def _head_locked_elsewhere(store) -> bool:
    """Whether another connection finds the audit chain's head locked (PostgreSQL)."""
    engine = create_engine(store.engine.url)
    try:
        with engine.connect() as c:
            try:
                c.execute(text("SELECT last_id FROM audit_head WHERE id = 1 FOR UPDATE NOWAIT"))
            except OperationalError as exc:
                assert getattr(exc.orig, "sqlstate", None) == "55P03", exc
                return True
            c.rollback()
            return False
    finally:
        engine.dispose()


@pytest.mark.parametrize("backend", ["postgresql"])
def test_the_chain_lock_is_not_held_through_the_work_and_the_outcome_refresh(
    store, monkeypatch
) -> None:
    [course] = _courses(store, 1)
    seen: dict[str, bool] = {}
    refresh = ot.refresh_patients

    def watched(session, pks):
        seen["refresh"] = _head_locked_elsewhere(store)
        return refresh(session, pks)

    monkeypatch.setattr(ot, "refresh_patients", watched)

    def unit(s):
        service.create(s, CLIN, "visits", {"date": START, "pasi": 20}, course)
        s.flush()  # the visit and its audit entries written (the entries held back)
        seen["work"] = _head_locked_elsewhere(store)

    store.write(unit)
    assert seen == {"work": False, "refresh": False}
    with store.reader() as s:
        assert s.get(CourseOutcomeRow, course) is not None
    _chain_ok(store)


def test_a_conflict_names_a_change_made_earlier_in_the_same_transaction(store) -> None:
    """The entries held back until the commit (PostgreSQL) are part of a record's history."""
    [course] = _courses(store, 1)
    with store.session() as s:
        v = service.create(s, CLIN, "visits", {"date": START, "pasi": 20}, course)
    read = v.version
    with store.session() as s:
        service.update(s, CLIN, "visits", v.id, {"pasi": 5}, read)
        with pytest.raises(Conflict) as e:
            service.update(s, CLIN, "visits", v.id, {"pasi": 6}, read)
    assert [(c.field, c.new_value) for c in e.value.changes] == [("pasi", "5.0")]
    with store.reader() as s:
        assert s.get(VisitRow, v.id).pasi == 5
        assert s.scalar(select(func.count()).select_from(CourseRow)) == 1
    _chain_ok(store)

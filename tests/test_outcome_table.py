"""Stored outcomes never go stale: every write path refreshes them in its own transaction, a
rolled-back write leaves them as they were, and a changed definition or option version is never
shown. Concurrent writers (threads and processes) get no error and lose nothing.

Every test runs on SQLite and on a real PostgreSQL server (``tests/web_conftest.py``).
"""

from __future__ import annotations

import datetime as dt
import multiprocessing
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
from sqlalchemy import func, select, update

from psoreg.outcomes.compiled import compiled, outcomes_version, to_pandas
from psoreg.store import FieldError, audit, open_store, seed, service
from psoreg.store import outcome_table as ot
from psoreg.store.models import CourseOutcomeRow, CourseRow, PatientRow, VisitRow

CLIN = service.Actor("dr.a", "clinician")


def stored(session) -> pd.DataFrame:
    """The rows as stored (no repair), checked to be complete and current."""
    version = outcomes_version()
    rows = session.execute(
        select(
            CourseOutcomeRow.course_pk, CourseOutcomeRow.outcomes_version, CourseOutcomeRow.outcome
        )
    ).all()
    # courses of patients not deleted (a deleted patient's courses are hidden with it)
    courses = set(session.scalars(select(CourseRow.id).join(PatientRow)))
    assert {r[0] for r in rows} == courses, "a course without stored outcomes, or an orphan row"
    assert all(r[1] == version for r in rows), "a stored row of another version"
    records = sorted((r[2] for r in rows), key=lambda r: r["course_id"])
    cols = compiled().columns
    return to_pandas(ot._arrow(records, cols), cols)


def assert_current(store) -> pd.DataFrame:
    """Stored outcomes equal what the engine computes from the database now."""
    with store.reader() as s:
        got = stored(s)
        want = ot.compute(s)
    if want.empty:
        assert got.empty
    else:
        pd.testing.assert_frame_equal(got, want.reset_index(drop=True))
    return got.set_index("course_id") if not got.empty else got


def _one(table: pd.DataFrame, col: str, cid: str = "P1-C1"):
    return table.loc[cid, col]


def test_every_write_path_refreshes_the_stored_outcomes(store) -> None:
    w = store.write
    p = w(lambda s: service.create(s, CLIN, "patients", {"patient_id": "P1", "sex": "F"}))
    assert assert_current(store).empty
    c = w(
        lambda s: service.create(
            s, CLIN, "courses", {"drug": "ustekinumab", "start_date": "2024-01-01"}, p.id
        )
    )
    t = assert_current(store)
    assert _one(t, "source") == "none"
    v0 = w(lambda s: service.create(s, CLIN, "visits", {"date": "2024-01-01", "pasi": 20}, c.id))
    v12 = w(lambda s: service.create(s, CLIN, "visits", {"date": "2024-03-25", "pasi": 4}, c.id))
    t = assert_current(store)
    assert _one(t, "week_pasi75") == 12 and bool(_one(t, "treatment_success"))

    # a changed visit flips the outcome
    w(lambda s: service.update(s, CLIN, "visits", v12.id, {"pasi": 12}, v12.version))
    t = assert_current(store)
    assert not bool(_one(t, "treatment_success")) and pd.isna(_one(t, "week_pasi75"))

    ev = w(
        lambda s: service.create(
            s, CLIN, "events", {"kind": "paradoxical", "date": "2024-02-01"}, c.id
        )
    )
    assert bool(_one(assert_current(store), "paradoxical_event"))
    w(lambda s: service.update(s, CLIN, "events", ev.id, {"kind": "adverse"}, ev.version))
    t = assert_current(store)
    assert not bool(_one(t, "paradoxical_event")) and _one(t, "n_adverse_events") == 1
    w(lambda s: service.delete(s, CLIN, "events", ev.id, ev.version + 1, "test"))
    assert _one(assert_current(store), "n_adverse_events") == 0

    # the course: a stated baseline, then stopped, then a relapse episode and a visit after
    course = w(lambda s: service.get(s, "courses", c.id))
    w(lambda s: service.update(s, CLIN, "courses", c.id, {"baseline_pasi": 48}, course.version))
    assert _one(assert_current(store), "baseline_pasi") == 48
    course = w(lambda s: service.get(s, "courses", c.id))
    w(lambda s: service.stop_course(s, CLIN, c.id, "2024-06-03", "inefficacy", course.version))
    t = assert_current(store)
    assert bool(_one(t, "stopped")) and _one(t, "stop_reason") == "inefficacy"
    rel = w(
        lambda s: service.create(
            s, CLIN, "relapses", {"date": "2024-08-01", "morphology": "pustular"}, c.id
        )
    )
    assert bool(_one(assert_current(store), "relapse_pustular"))
    w(lambda s: service.update(s, CLIN, "relapses", rel.id, {"morphology": "plaque"}, 1))
    assert not bool(_one(assert_current(store), "relapse_pustular"))
    w(lambda s: service.delete(s, CLIN, "relapses", rel.id, 2, "test"))
    assert pd.isna(_one(assert_current(store), "weeks_to_recorded_relapse"))

    # doses do not change an outcome today, but their writes keep the table current too
    d = w(lambda s: service.create(s, CLIN, "doses", {"date": "2024-01-01", "dose_mg": 45}, c.id))
    assert_current(store)
    w(lambda s: service.update(s, CLIN, "doses", d.id, {"dose_mg": 90}, d.version))
    w(lambda s: service.delete(s, CLIN, "doses", d.id, d.version + 1, "test"))
    assert_current(store)

    # the patient's id is in every outcome row
    w(lambda s: service.update(s, CLIN, "patients", p.id, {"patient_id": "P1B"}, p.version))
    assert _one(assert_current(store), "patient_id") == "P1B"

    w(lambda s: service.delete(s, CLIN, "visits", v0.id, v0.version, "test"))
    assert pd.isna(_one(assert_current(store), "baseline_pasi", "P1-C1")) is False  # stated 48
    c2 = w(
        lambda s: service.create(
            s, CLIN, "courses", {"drug": "secukinumab", "start_date": "2024-07-01"}, p.id
        )
    )
    assert set(assert_current(store).index) == {"P1-C1", "P1B-C2"}
    w(lambda s: service.delete(s, CLIN, "courses", c2.id, c2.version, "test"))
    assert set(assert_current(store).index) == {"P1-C1"}
    patient = w(lambda s: service.get(s, "patients", p.id))
    w(lambda s: service.delete(s, CLIN, "patients", p.id, patient.version, "test"))
    assert assert_current(store).empty


def test_seed_and_plain_orm_writes_refresh_too(store) -> None:
    with store.session() as s:
        seed.seed_visit_cohort(s)
    t = assert_current(store)
    assert set(t.index) == {"C01", "C02", "C03", "C04", "C05", "C06"}
    # a write that does not go through the service layer (plain ORM plus its own audit entry,
    # which the audit trail requires) is still seen by the refresh
    with store.session() as s:
        course = s.scalar(select(CourseRow).where(CourseRow.course_id == "C03"))
        visit = VisitRow(course=course, date=course.start_date + dt.timedelta(days=400), pasi=70.0)
        s.add(visit)
        s.flush()
        audit.record(s, username="script", action="create", table="visits", record_id=visit.id)
    assert bool(assert_current(store).loc["C03", "secondary_failure"])


def test_a_rolled_back_write_leaves_the_stored_outcomes_as_they_were(store) -> None:
    with store.session() as s:
        seed.seed_visit_cohort(s)
    before = assert_current(store)
    with pytest.raises(FieldError), store.session() as s:
        c = s.scalar(select(CourseRow).where(CourseRow.course_id == "C01"))
        service.create(s, CLIN, "visits", {"date": "2024-03-01", "pasi": 0}, c.id)
        s.flush()
        raise FieldError({"x": "refused after the flush"})
    pd.testing.assert_frame_equal(assert_current(store), before)


def test_a_stale_version_is_never_shown_and_is_rewritten(store) -> None:
    from psoreg.store.export import outcomes

    with store.session() as s:
        seed.seed_visit_cohort(s)
    good = assert_current(store)
    with store.session() as s:  # rows written by another definitions version, with other values
        s.execute(
            update(CourseOutcomeRow).values(
                outcomes_version="an older version", treatment_success=True
            )
        )
        for row in s.scalars(select(CourseOutcomeRow)):
            row.outcome = {**row.outcome, "treatment_success": True, "week_pasi75": 1.0}
        assert sorted(ot.stale_patients(s)) == sorted(s.scalars(select(PatientRow.id)))
    with store.reader() as s:
        shown = outcomes(s).set_index("course_id")
    pd.testing.assert_frame_equal(shown, good)
    assert ot.refresh_stale(store) == 5
    pd.testing.assert_frame_equal(assert_current(store), good)


def test_twenty_concurrent_course_creations_for_one_patient(store) -> None:
    p = store.write(lambda s: service.create(s, CLIN, "patients", {"patient_id": "P1"}))

    def create(i: int) -> str:
        data = {"drug": "ustekinumab", "start_date": f"2024-01-{i + 1:02d}"}
        return store.write(lambda s: service.create(s, CLIN, "courses", data, p.id).course_id)

    with ThreadPoolExecutor(20) as pool:
        ids = list(pool.map(create, range(20)))
    assert sorted(ids) == sorted(f"P1-C{i}" for i in range(1, 21))
    assert len(assert_current(store)) == 20


def _writer(url: str, course_pk: int, n: int) -> int:
    store = open_store(url, upgrade=False)
    try:
        for i in range(n):
            store.write(
                lambda s, i=i: service.create(
                    s, CLIN, "visits", {"date": f"2024-02-{i + 1:02d}", "pasi": i}, course_pk
                )
            )
    finally:
        store.close()
    return n


def test_concurrent_writer_processes_never_see_a_locked_database(store_url) -> None:
    """Four processes writing at once (SQLite: one file, WAL): every write succeeds."""
    store = open_store(store_url)
    try:
        p = store.write(lambda s: service.create(s, CLIN, "patients", {"patient_id": "P1"}))
        c = store.write(
            lambda s: service.create(
                s, CLIN, "courses", {"drug": "ustekinumab", "start_date": "2024-01-01"}, p.id
            )
        )
        ctx = multiprocessing.get_context("spawn")
        with ctx.Pool(4) as pool:
            done = pool.starmap(_writer, [(store_url, c.id, 10)] * 4)
        assert sum(done) == 40
        with store.reader() as s:
            assert s.scalar(select(func.count()).select_from(VisitRow)) == 40
        assert_current(store)
    finally:
        store.close()

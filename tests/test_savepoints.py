"""A rolled-back SAVEPOINT never loses the enclosing transaction's bookkeeping (audit trail,
stored outcomes).

SQLAlchemy fires ``after_rollback`` and ``before_commit`` for savepoints too. The group commit
(each write in its own savepoint) and the service's id checks (a savepoint around an insert)
must neither lose what the enclosing transaction wrote before the savepoint nor check the audit
trail at a savepoint's release. On SQLite and PostgreSQL.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import func, select

from psoreg.store import service
from psoreg.store.audit import UnauditedWrite
from psoreg.store.errors import FieldError
from psoreg.store.models import CourseOutcomeRow, CourseRow, PatientRow
from psoreg.store.outcome_table import outcome_records

ACTOR = service.Actor("clinician", "clinician")
START = dt.date(2024, 1, 8)


def _patient_with_course(s, pid: str) -> tuple[int, int]:
    p = service.create(s, ACTOR, "patients", {"patient_id": pid, "sex": "F"}, reason="test")
    c = service.create(
        s,
        ACTOR,
        "courses",
        {"drug": "ustekinumab", "start_date": START, "baseline_pasi": 20},
        parent_pk=p.id,
        reason="test",
    )
    service.create(
        s, ACTOR, "visits", {"date": START + dt.timedelta(weeks=12), "pasi": 4}, parent_pk=c.id
    )
    return p.id, c.id


def test_a_failed_savepoint_keeps_the_earlier_writes_audited_and_their_outcomes(store):
    with store.session() as s:
        ppk, cpk = _patient_with_course(s, "SP01")
        with pytest.raises(FieldError):  # a duplicate id, refused
            service.create(s, ACTOR, "patients", {"patient_id": "sp01"}, reason="test")
        try:  # a later unit of work fails after writing (as in a group commit)
            with s.begin_nested():
                service.create(s, ACTOR, "patients", {"patient_id": "SP09"}, reason="test")
                raise RuntimeError("this unit fails")
        except RuntimeError:
            pass
    with store.reader() as s:
        assert s.scalars(select(PatientRow.patient_id)).all() == ["SP01"]
        stored = s.get(CourseOutcomeRow, cpk)  # written at the commit, not computed on reading
        assert stored is not None and stored.treatment_success is True  # 20 -> 4 at week 12
        [row] = outcome_records(s, [ppk])
        assert row["treatment_success"] is True


def test_an_unaudited_write_in_a_rolled_back_savepoint_still_fails_loudly(store):
    """The bookkeeping over-approximates (psoreg.store.savepoints): a rolled-back raw write
    fails the commit rather than letting anything through; nothing is saved."""
    with pytest.raises(UnauditedWrite), store.session() as s:
        _patient_with_course(s, "SP02")
        try:
            with s.begin_nested():
                s.add(PatientRow(patient_id="SP03", site="MAIN"))  # no audit entry
                s.flush()
                raise RuntimeError("undo this savepoint")
        except RuntimeError:
            pass
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(PatientRow)) == 0


def test_an_unaudited_write_in_the_transaction_is_still_refused(store):
    with pytest.raises(UnauditedWrite), store.session() as s:
        _patient_with_course(s, "SP04")
        s.add(PatientRow(patient_id="SP05", site="MAIN"))
    with store.reader() as s:
        assert s.scalar(select(func.count()).select_from(CourseRow)) == 0

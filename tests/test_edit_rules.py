"""Edits are validated by exactly the rules of creation (issue 10), on SQLite and PostgreSQL.

Each rule is tried both ways: creating a record that breaks it, and editing records (the
record itself, or the one above it) into the same state. Both are refused naming a field, and
nothing changes. Also: ids normalised and unique whatever the case, with an allowed character
set, and a length limit on every text field.
"""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from psoreg.store import FieldError, service
from psoreg.store.models import AuditRow, CourseRow, PatientRow
from psoreg.web import create_app
from tests.web_conftest import TEST_SECRET, login

CLIN = service.Actor("dr.a", "clinician")


def _setup(store, stopped: bool = True) -> dict[str, Any]:
    """A patient born 1980, a course from 2024-01-08 (stopped 2024-06-03), doses on its first
    day and in week 4, a baseline visit, an event and (if stopped) a relapse."""
    with store.session() as s:
        p = service.create(s, CLIN, "patients", {"patient_id": "P1", "birth_date": "1980-05-01"})
        data = {"drug": "ustekinumab", "start_date": "2024-01-08"}
        if stopped:
            data.update(stop_date="2024-06-03", stop_reason="inefficacy")
        c = service.create(s, CLIN, "courses", data, p.id)
        d = service.create(s, CLIN, "doses", {"date": "2024-01-08", "dose_mg": 45}, c.id)
        service.create(s, CLIN, "doses", {"date": "2024-02-05", "dose_mg": 45}, c.id)
        v = service.create(s, CLIN, "visits", {"date": "2023-12-20", "pasi": 18}, c.id)
        e = service.create(s, CLIN, "events", {"kind": "adverse", "date": "2024-02-01"}, c.id)
        ids = {"patients": p.id, "courses": c.id, "doses": d.id, "visits": v.id, "events": e.id}
        if stopped:
            r = service.create(s, CLIN, "relapses", {"date": "2024-09-02"}, c.id)
            ids["relapses"] = r.id
    return ids


def _version(store, table: str, pk: int) -> int:
    with store.session() as s:
        return service.get(s, table, pk).version


def _refused(store, fn) -> dict[str, str]:
    with store.session() as s:
        before = s.scalar(select(func.count()).select_from(AuditRow))
    with pytest.raises(FieldError) as exc, store.session() as s:
        fn(s)
    with store.session() as s:
        assert s.scalar(select(func.count()).select_from(AuditRow)) == before
    return exc.value.errors


# (rule, the create that breaks it, the edits that break it: (table, data, field))
RULES = [
    (
        "a dose before the course start",
        ("doses", {"date": "2024-01-01", "dose_mg": 45}, "date"),
        [
            ("doses", {"date": "2024-01-01"}, "date"),
            ("courses", {"start_date": "2024-01-15"}, "start_date"),
        ],
    ),
    (
        "a dose after the course stopped",
        ("doses", {"date": "2024-07-01", "dose_mg": 45}, "date"),
        [
            ("doses", {"date": "2024-07-01"}, "date"),
            ("courses", {"stop_date": "2024-01-20"}, "stop_date"),
        ],
    ),
    (
        "a visit before the patient's birth",
        ("visits", {"date": "1979-01-01", "pasi": 3}, "date"),
        [
            ("visits", {"date": "1979-01-01"}, "date"),
            ("patients", {"birth_date": "2024-01-01"}, "birth_date"),
        ],
    ),
    (
        "an event before the course start",
        ("events", {"kind": "adverse", "date": "2024-01-01"}, "date"),
        [
            ("events", {"date": "2024-01-01"}, "date"),
            ("courses", {"start_date": "2024-03-01"}, "start_date"),
        ],
    ),
    (
        "a relapse before the course stopped",
        ("relapses", {"date": "2024-05-01"}, "date"),
        [
            ("relapses", {"date": "2024-05-01"}, "date"),
            ("courses", {"stop_date": "2024-10-01"}, "stop_date"),
        ],
    ),
    (
        "a relapse on a course that has not stopped",
        None,
        [("courses", {"stop_date": "", "stop_reason": ""}, "record")],
    ),
]


@pytest.mark.parametrize(("rule", "create", "edits"), RULES, ids=[r[0] for r in RULES])
def test_creating_and_editing_into_the_same_state_are_both_refused(
    store, rule, create, edits
) -> None:
    ids = _setup(store)
    if create:
        table, data, field = create
        errors = _refused(store, lambda s: service.create(s, CLIN, table, data, ids["courses"]))
        assert field in errors, (rule, errors)
    for table, data, field in edits:
        version = _version(store, table, ids[table])
        errors = _refused(
            store, lambda s, t=table, d=data, v=version: service.update(s, CLIN, t, ids[t], d, v)
        )
        assert field in errors, (rule, table, errors)
        if table != rule.split()[1].rstrip("s") + "s":
            assert "would make recorded data invalid" in errors[field]


def test_the_start_moved_after_the_first_dose_through_the_page(store) -> None:
    """The issue's case: moving a course start after its first doses was accepted and the page
    showed week 5.428571428571429. Now the edit is refused naming the start date."""
    from psoreg.accounts.users import add_user
    from tests.web_conftest import PASSWORDS

    ids = _setup(store, stopped=False)
    with store.session() as s:
        add_user(s, "clinician", PASSWORDS["clinician"], "clinician", by="setup")
    with TestClient(create_app(store, TEST_SECRET)) as c:
        token = login(c, "clinician")
        version = _version(store, "courses", ids["courses"])
        r = c.post(
            f"/edit/courses/{ids['courses']}",
            data={"start_date": "2024-02-15", "version": version, "csrf_token": token},
        )
        assert r.status_code == 422 and 'data-error-for="start_date"' in r.text
        assert "dose 2024-01-08" in r.text and "before the course start 2024-02-15" in r.text
        # week figures are shown with one decimal at most
        with store.session() as s:
            service.create(s, CLIN, "visits", {"date": "2024-02-14", "pasi": 4}, ids["courses"])
        page = c.get(f"/patients/{ids['patients']}").text
        week = page.split(f'id="week-pasi75-{ids["courses"]}">')[1].split("<")[0]
        assert week == "5.3"
    with store.session() as s:
        assert str(s.get(CourseRow, ids["courses"]).start_date) == "2024-01-08"


def test_ids_are_normalised_unique_whatever_the_case_and_checked(store) -> None:
    with store.session() as s:
        p = service.create(s, CLIN, "patients", {"patient_id": " eval01 "})
        assert p.patient_id == "EVAL01"
        c = service.create(
            s, CLIN, "courses", {"drug": "secukinumab", "start_date": "2024-01-01"}, p.id
        )
        assert c.course_id == "EVAL01-C1"
    errors = _refused(
        store, lambda s: service.create(s, CLIN, "patients", {"patient_id": "EVAL01"})
    )
    assert "already used" in errors["patient_id"]
    errors = _refused(
        store, lambda s: service.create(s, CLIN, "patients", {"patient_id": "Eval01"})
    )
    assert "already used" in errors["patient_id"]
    for bad in ("P 1", "P/1", "<b>", "P1;", "-P1", "Pé1", "x" * 33):
        errors = _refused(
            store, lambda s, b=bad: service.create(s, CLIN, "patients", {"patient_id": b})
        )
        assert "patient_id" in errors, bad
    errors = _refused(
        store,
        lambda s: service.create(
            s,
            CLIN,
            "courses",
            {"course_id": "eval01-c1", "drug": "secukinumab", "start_date": "2024-01-01"},
            p.id,
        ),
    )
    assert "already used" in errors["course_id"]


@pytest.mark.parametrize(
    ("table", "field", "limit"),
    [
        ("patients", "name", 200),
        ("patients", "comorbidities", 1000),
        ("courses", "regimen", 300),
        ("events", "description", 4000),
        ("relapses", "treatment", 200),
    ],
)
def test_every_text_field_has_a_length_limit(store, table, field, limit) -> None:
    """A 20,000-character name (or any over-long text) is refused naming the field and the
    limit - on PostgreSQL too, where the column would otherwise fail with a server error."""
    ids = _setup(store)
    pk = ids[table]
    version = _version(store, table, pk)
    errors = _refused(
        store, lambda s: service.update(s, CLIN, table, pk, {field: "x" * 20_000}, version)
    )
    assert errors[field] == f"20000 characters; at most {limit} allowed"
    with store.session() as s:
        service.update(s, CLIN, table, pk, {field: "y" * limit}, version)
    errors = _refused(
        store,
        lambda s: service.update(s, CLIN, table, pk, {field: "a\x00b"}, version + 1),
    )
    assert "control characters" in errors[field]


def test_reasons_are_limited(store) -> None:
    ids = _setup(store)
    version = _version(store, "patients", ids["patients"])
    errors = _refused(
        store,
        lambda s: service.update(
            s, CLIN, "patients", ids["patients"], {"weight_kg": 70}, version, reason="r" * 501
        ),
    )
    assert "at most 500" in errors["reason"]
    with store.session() as s:
        assert s.get(PatientRow, ids["patients"]).weight_kg is None

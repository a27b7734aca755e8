"""Forms the first web suite did not cover: the DLQI questionnaire (Cardiff rules, worked by
hand), adverse/paradoxical events and doses, on SQLite and PostgreSQL, through HTTP."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from psoreg.store.models import AuditRow, CourseRow, DoseRow, PatientRow, VisitRow
from tests.web_conftest import login


@pytest.fixture
def client(web_app):
    with TestClient(web_app) as c:
        yield c


def _pk(store, model, **where):
    with store.session() as s:
        q = select(model.id)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.scalar(q)


def _count(store, model) -> int:
    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


# items 1-10: 3 + 2 + 1 + 0 + 0 + 2 + 3 (item 7 "yes") + 1 + 0 + 3 = 15 (Finlay & Khan; Cardiff)
ANSWERS = [
    "very_much",
    "a_lot",
    "a_little",
    "not_at_all",
    "not_relevant",
    "a_lot",
    "yes",
    "a_little",
    "not_at_all",
    "very_much",
]


def _visit(client, course: int, token: str, **fields):
    data = {"date": "2023-04-03", "pasi": "4", "csrf_token": token, **fields}
    return client.post(f"/new/visits/{course}", data=data, follow_redirects=False)


def test_dlqi_questionnaire_is_scored_by_the_cardiff_rules(client, seeded_store) -> None:
    token = login(client, "clinician")
    course = _pk(seeded_store, CourseRow, course_id="C03")
    answers = {f"dlqi_{i}": a for i, a in enumerate(ANSWERS, start=1)}
    assert _visit(client, course, token, **answers).status_code == 303
    with seeded_store.session() as s:
        row = s.scalars(
            select(VisitRow).where(VisitRow.date.isnot(None)).order_by(VisitRow.id.desc())
        ).first()
        assert row.dlqi == 15
    # one unanswered item scores 0: 15 - 3 (item 10) = 12
    one_missing = {**answers, "dlqi_10": "", "date": "2023-04-10"}
    assert _visit(client, course, token, **one_missing).status_code == 303
    with seeded_store.session() as s:
        assert s.scalars(select(VisitRow.dlqi).order_by(VisitRow.id.desc())).first() == 12


def test_dlqi_with_two_unanswered_items_is_refused(client, seeded_store) -> None:
    token = login(client, "clinician")
    course = _pk(seeded_store, CourseRow, course_id="C03")
    answers = {f"dlqi_{i}": a for i, a in enumerate(ANSWERS, start=1)}
    answers.update(dlqi_2="", dlqi_9="")
    before = _count(seeded_store, VisitRow), _count(seeded_store, AuditRow)
    r = _visit(client, course, token, **answers)
    assert r.status_code == 422
    assert 'data-error-for="dlqi' in r.text and "Nothing was saved" in r.text
    assert (_count(seeded_store, VisitRow), _count(seeded_store, AuditRow)) == before


def test_paradoxical_event_form_flags_the_course(client, seeded_store) -> None:
    token = login(client, "clinician")
    course = _pk(seeded_store, CourseRow, course_id="C03")
    patient = _pk(seeded_store, PatientRow, patient_id="P02")
    section = client.get(f"/patients/{patient}").text.split(f'id="course-{course}"')[1]
    assert 'data-flag="paradoxical_event"' not in section.split("</section>")[0]
    data = {
        "kind": "paradoxical",
        "date": "2023-05-01",
        "morphology": "palmoplantar pustular",
        "sites": "palms",
        "bsa": "1",
        "management": "topical corticosteroid",
        "drug_continued": "yes",
        "csrf_token": token,
    }
    r = client.post(f"/new/events/{course}", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text[:500]
    section = client.get(f"/patients/{patient}").text.split(f'id="course-{course}"')[1]
    assert 'data-flag="paradoxical_event"' in section.split("</section>")[0]
    bad = client.post(f"/new/events/{course}", data={**data, "kind": "mystery"})
    assert bad.status_code == 422 and 'data-error-for="kind"' in bad.text


def test_dose_form_saves_and_refuses_impossible_doses(client, seeded_store) -> None:
    token = login(client, "clinician")
    course = _pk(seeded_store, CourseRow, course_id="C03")
    before = _count(seeded_store, DoseRow)
    ok = client.post(
        f"/new/doses/{course}",
        follow_redirects=False,
        data={"date": "2023-01-09", "dose_mg": "300", "csrf_token": token},
    )
    assert ok.status_code == 303 and _count(seeded_store, DoseRow) == before + 1
    bad = client.post(
        f"/new/doses/{course}", data={"date": "2023-01-16", "dose_mg": "-300", "csrf_token": token}
    )
    assert bad.status_code == 422 and 'data-error-for="dose_mg"' in bad.text
    early = client.post(
        f"/new/doses/{course}", data={"date": "2022-12-01", "dose_mg": "300", "csrf_token": token}
    )
    assert early.status_code == 422 and 'data-error-for="date"' in early.text
    assert _count(seeded_store, DoseRow) == before + 1

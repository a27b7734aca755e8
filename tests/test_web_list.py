"""The patient list at registry size: paged, filtered on stored flags that are never stale;
the trivial health endpoint; concurrent conflicts answered 409, never 500 (SQLite and
PostgreSQL)."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from psoreg.store import service
from psoreg.store.models import CourseOutcomeRow
from tests.web_conftest import login

CLIN = service.Actor("dr.a", "clinician")


@pytest.fixture
def client(web_app):
    with TestClient(web_app) as c:
        yield c


def test_health_endpoint_needs_no_login_and_no_database(client) -> None:
    r = client.get("/healthz")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def _ids(page: str) -> list[str]:
    return re.findall(r'<td[^>]*><a href="/patients/\d+">([^<]+)</a></td>', page)


def test_list_is_paged_and_filters_across_pages(client, seeded_store) -> None:
    def add(s):
        for i in range(230):
            service.create(s, CLIN, "patients", {"patient_id": f"Q{i:03d}", "sex": "F"})

    seeded_store.write(add)
    login(client, "clinician")
    first = client.get("/patients").text
    assert "1–100 of 235 patients" in first and len(_ids(first)) == 100
    assert 'id="next-page"' in first and 'id="prev-page"' not in first
    last = client.get("/patients?page=3").text
    assert "201–235 of 235 patients" in last and len(_ids(last)) == 35
    assert 'id="next-page"' not in last
    assert _ids(first)[0] == "P01" and _ids(last)[-1] == "Q229"
    found = client.get("/patients?q=Q22&page=1").text
    assert _ids(found) == [f"Q22{i}" for i in range(10)]
    assert "page=2" not in found
    # a page beyond the last shows the last
    assert _ids(client.get("/patients?page=99").text) == _ids(last)


def test_list_never_filters_on_a_stale_flag(client, seeded_store) -> None:
    login(client, "clinician")
    want = _ids(client.get("/patients?flag=secondary_failure").text)
    assert want == ["P02"]
    with seeded_store.session() as s:  # every row from an older version claims the flag
        s.execute(update(CourseOutcomeRow).values(outcomes_version="older", secondary_failure=True))
    assert _ids(client.get("/patients?flag=secondary_failure").text) == want


def test_duplicate_ids_created_at_once_are_a_field_error_not_a_500(client, seeded_store) -> None:
    token = login(client, "clinician")
    r = client.post("/patients-new", data={"patient_id": "P01", "csrf_token": token})
    assert r.status_code == 422 and "already used" in r.text


def test_dashboard_never_counts_a_stale_row(client, seeded_store) -> None:
    from psoreg.store.outcome_table import dashboard_table, read_outcomes

    login(client, "analyst")
    page = client.get("/dashboard").text
    with seeded_store.reader() as s:  # the fast path equals the full table's columns
        fast = dashboard_table(s).reset_index(drop=True)
        assert set(fast["site"]) == {"MAIN"}  # the patient's site, for the by-site figures
        fast = fast.drop(columns="site")
        full = read_outcomes(s)[list(fast.columns)].reset_index(drop=True)
    assert (
        fast.astype(object).where(fast.notna(), None).values.tolist()
        == full.astype(object).where(full.notna(), None).values.tolist()
    )
    with seeded_store.session() as s:
        s.execute(
            update(CourseOutcomeRow).values(
                outcomes_version="older", treatment_success=True, paradoxical_event=True
            )
        )
    assert client.get("/dashboard").text == page

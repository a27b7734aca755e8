"""The web application through its HTTP interface (FastAPI TestClient), on SQLite and
PostgreSQL: roles, CSRF, rate limiting, forms with validation, conflicts, exports, audit, API."""

from __future__ import annotations

import io

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from psoreg.store.models import AuditRow, CourseRow, PatientRow, VisitRow
from tests.web_conftest import PASSWORDS, csrf_of, login


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


def test_pages_need_login(client) -> None:
    r = client.get("/patients", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"


def test_wrong_password_and_rate_limit(client) -> None:
    token = csrf_of(client.get("/login").text)
    for _ in range(5):
        r = client.post(
            "/login", data={"username": "clinician", "password": "nope", "csrf_token": token}
        )
        assert r.status_code == 401
    r = client.post(
        "/login",
        data={"username": "clinician", "password": PASSWORDS["clinician"], "csrf_token": token},
    )
    assert r.status_code == 429 and "Too many failed attempts" in r.text


def test_form_without_csrf_token_is_refused(client, seeded_store) -> None:
    login(client, "clinician")
    before = _count(seeded_store, PatientRow)
    r = client.post("/patients-new", data={"patient_id": "P77", "name": "No Token"})
    assert r.status_code == 403 and "CSRF" in r.text
    r = client.post("/patients-new", data={"patient_id": "P77", "csrf_token": "forged"})
    assert r.status_code == 403
    assert _count(seeded_store, PatientRow) == before
    # the login form too
    client.cookies.clear()
    r = client.post("/login", data={"username": "clinician", "password": PASSWORDS["clinician"]})
    assert r.status_code == 403


def test_clinician_sees_names_and_can_write(client, seeded_store) -> None:
    token = login(client, "clinician")
    page = client.get("/patients").text
    assert "Demo Patient P01" in page and ">P01<" in page
    r = client.post(
        "/patients-new",
        data={
            "patient_id": "P50",
            "name": "Jo Bloggs",
            "birth_date": "1970-03-04",
            "sex": "F",
            "csrf_token": token,
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    pk = _pk(seeded_store, PatientRow, patient_id="P50")
    assert "Jo Bloggs" in client.get(f"/patients/{pk}").text


def test_analyst_sees_no_names_and_cannot_write(client, seeded_store) -> None:
    token = login(client, "analyst")
    page = client.get("/patients").text
    assert "Demo Patient" not in page and ">P01<" not in page and "S-" in page
    pk = _pk(seeded_store, PatientRow, patient_id="P01")
    detail = client.get(f"/patients/{pk}").text
    assert "Demo Patient" not in detail and "2024-01-08" not in detail  # dates are shifted
    assert "/edit/" not in detail and "+ Visit" not in detail
    before = _count(seeded_store, AuditRow)
    r = client.post("/patients-new", data={"patient_id": "P60", "csrf_token": token})
    assert r.status_code == 403
    r = client.get(f"/edit/patients/{pk}")
    assert r.status_code == 403
    r = client.get("/admin/audit")
    assert r.status_code == 403
    assert _count(seeded_store, AuditRow) == before
    csv = client.get("/export/patients.csv").text
    assert "Demo Patient" not in csv and "P01" not in csv and "birth_date" not in csv
    courses = pd.read_csv(io.StringIO(client.get("/export/courses.csv").text))
    assert "2024-01-08" not in set(courses["start_date"])


def test_analyst_dates_shift_consistently(client, seeded_store) -> None:
    """Intervals survive de-identification: week numbers are the same as the clinician's."""
    login(client, "analyst")
    a = pd.read_csv(io.StringIO(client.get("/export/visits.csv").text))
    client.cookies.clear()
    login(client, "clinician")
    c = pd.read_csv(io.StringIO(client.get("/export/visits.csv").text))
    assert list(a["week"]) == list(c["week"])
    assert (pd.to_datetime(a["date"]) != pd.to_datetime(c["date"])).all()


def test_impossible_visit_is_refused_with_the_field_named(client, seeded_store) -> None:
    token = login(client, "clinician")
    course = _pk(seeded_store, CourseRow, course_id="C03")
    before = _count(seeded_store, VisitRow), _count(seeded_store, AuditRow)
    grid = {
        f"{r}_{s}": "1"
        for r in ("head", "upper_limbs", "trunk", "lower_limbs")
        for s in ("erythema", "induration", "desquamation")
    }
    grid.update(
        {f"{r}_area_percent": "10" for r in ("head", "upper_limbs", "trunk", "lower_limbs")}
    )
    cases = [
        ({**grid, "head_erythema": "5"}, "head_erythema"),
        ({**grid, "trunk_area_percent": "120"}, "trunk_area_percent"),
        ({"pasi": "3", "date": "1950-01-01"}, "date"),
    ]
    for data, field in cases:
        data = {"date": "2023-06-01", **data, "csrf_token": token}
        r = client.post(f"/new/visits/{course}", data=data)
        assert r.status_code == 422, field
        assert f'data-error-for="{field}"' in r.text and "Nothing was saved" in r.text
    assert (_count(seeded_store, VisitRow), _count(seeded_store, AuditRow)) == before


def test_stop_before_start_is_refused(client, seeded_store) -> None:
    token = login(client, "clinician")
    course = _pk(seeded_store, CourseRow, course_id="C03")
    form = client.get(f"/stop/{course}").text
    version = form.split('name="version" value="')[1].split('"')[0]
    r = client.post(
        f"/stop/{course}",
        data={
            "stop_date": "2022-01-01",
            "stop_reason": "inefficacy",
            "version": version,
            "csrf_token": token,
        },
    )
    assert r.status_code == 422 and 'data-error-for="stop_date"' in r.text


def test_conflicting_edit_shows_a_diff_and_a_second_save_never_overwrites(
    client, seeded_store
) -> None:
    """Two clinicians open P01; the first saves 83 kg; the second's 90 kg gets a 409 with a
    field-by-field diff (theirs, yours, who, when), and pressing Save again - on the conflict
    page, or resending the stale form - keeps the colleague's 83 kg."""
    token = login(client, "clinician")
    pk = _pk(seeded_store, PatientRow, patient_id="P01")
    form = client.get(f"/edit/patients/{pk}").text
    version = form.split('name="version" value="')[1].split('"')[0]
    first = client.post(
        f"/edit/patients/{pk}",
        data={"weight_kg": "83", "version": version, "csrf_token": token},
        follow_redirects=False,
    )
    assert first.status_code == 303
    stale = {"weight_kg": "90", "ethnicity": "Malay", "version": version, "csrf_token": token}
    second = client.post(f"/edit/patients/{pk}", data=stale)
    assert second.status_code == 409
    page = second.text
    assert "Not saved: someone else changed this" in page
    diff = page.split('id="conflict-diff"')[1].split("</table>")[0]
    row = diff.split('data-field="weight_kg"')[1].split("</tr>")[0]
    assert '<td class="yours">90</td>' in row and '<td class="theirs">83</td>' in row
    assert "clinician," in row and "UTC" in row and 'data-value="90"' in row
    # the form now holds the saved values and the current version
    assert 'id="f-weight_kg" name="weight_kg" type="number" step="any" value="83"' in page
    new_version = page.split('name="version" value="')[1].split('"')[0]
    assert int(new_version) == int(version) + 1
    # a double Save: the stale form again, then the conflict page's form unchanged
    assert client.post(f"/edit/patients/{pk}", data=stale).status_code == 409
    unchanged = {"weight_kg": "83", "version": new_version, "csrf_token": token}
    assert client.post(f"/edit/patients/{pk}", data=unchanged).status_code in (200, 303)
    with seeded_store.session() as s:
        assert s.get(PatientRow, pk).weight_kg == 83
    # re-applying one's value to the current version saves it
    mine = {"weight_kg": "90", "version": new_version, "csrf_token": token}
    r = client.post(f"/edit/patients/{pk}", data=mine, follow_redirects=False)
    assert r.status_code == 303
    with seeded_store.session() as s:
        assert s.get(PatientRow, pk).weight_kg == 90


def test_pasi_score_endpoint(client) -> None:
    login(client, "clinician")
    grid = {
        f"{r}_{s}": 0
        for r in ("head", "upper_limbs", "trunk", "lower_limbs")
        for s in ("erythema", "induration", "desquamation", "area_percent")
    }
    grid.update(trunk_erythema=2, trunk_induration=2, trunk_desquamation=2, trunk_area_percent=35)
    assert "PASI 5.4" in client.get("/pasi-score", params=grid).text
    grid["head_erythema"] = 5
    r = client.get("/pasi-score", params=grid).text
    assert "head_erythema" in r and "error" in r


def test_outcomes_recomputed_after_a_change(client, seeded_store) -> None:
    token = login(client, "clinician")
    pk = _pk(seeded_store, PatientRow, patient_id="P02")
    course = _pk(seeded_store, CourseRow, course_id="C03")
    page = client.get(f"/patients/{pk}").text
    section = page.split(f'id="course-{course}"')[1].split("</section>")[0]
    assert 'data-flag="secondary_failure"' not in section
    for date, pasi in (("2023-08-01", 9), ("2023-09-01", 10)):
        r = client.post(
            f"/new/visits/{course}",
            data={"date": date, "pasi": pasi, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303
    page = client.get(f"/patients/{pk}").text
    section = page.split(f'id="course-{course}"')[1].split("</section>")[0]
    assert 'data-flag="secondary_failure"' in section


def test_audit_log_for_admin_records_changes_and_is_read_only(client, seeded_store) -> None:
    token = login(client, "clinician")
    pk = _pk(seeded_store, PatientRow, patient_id="P04")
    form = client.get(f"/edit/patients/{pk}").text
    version = form.split('name="version" value="')[1].split('"')[0]
    client.post(
        f"/edit/patients/{pk}",
        data={"ethnicity": "Indian", "version": version, "reason": "typo", "csrf_token": token},
    )
    client.cookies.clear()
    login(client, "admin")
    page = client.get("/admin/audit").text
    assert "Malay" in page and "Indian" in page and "typo" in page
    audit_csv = pd.read_csv(io.StringIO(client.get("/export/audit.csv").text))
    row = audit_csv[(audit_csv["field"] == "ethnicity") & (audit_csv["action"] == "update")]
    assert list(row["username"]) == ["clinician"] and list(row["old_value"]) == ["Malay"]
    # no route changes audit entries
    for method in ("post", "put", "patch", "delete"):
        r = getattr(client, method)(f"/edit/audit_log/{int(row['id'].iloc[0])}")
        assert r.status_code in (403, 404, 405)
    for r in client.app.routes:
        assert "audit" not in getattr(r, "path", "") or getattr(r, "methods", {"GET"}) <= {
            "GET",
            "HEAD",
        }


def test_exports_raw_and_derived(client) -> None:
    login(client, "clinician")
    out = pd.read_csv(io.StringIO(client.get("/export/outcomes.csv").text))
    assert set(out["course_id"]) == {"C01", "C02", "C03", "C04", "C05", "C06"}
    xlsx = client.get("/export/registry.xlsx")
    sheets = pd.read_excel(io.BytesIO(xlsx.content), sheet_name=None)
    assert {"patients", "courses", "visits", "doses", "events", "relapses", "outcomes"} <= set(
        sheets
    )
    assert "Demo Patient P01" in set(sheets["patients"]["name"])


def test_dashboard(client) -> None:
    login(client, "analyst")
    page = client.get("/dashboard").text
    assert "5 patients" in page and "ustekinumab" in page


def test_dashboard_median_week_is_rounded(client, seeded_store) -> None:
    """A median week to PASI75 that falls between whole weeks is printed with one decimal, not
    as a raw float (it printed 11.428571428571429 on the 10,000-patient registry)."""
    import datetime as dt
    import re

    from psoreg.store import service

    with seeded_store.session() as s:  # C02 (adalimumab) reaches PASI75 at week 16: 3 days later
        course = s.scalar(select(CourseRow).where(CourseRow.course_id == "C02"))
        week16 = course.start_date + dt.timedelta(weeks=16)
        visit = s.scalar(
            select(VisitRow).where(VisitRow.course_pk == course.id, VisitRow.date == week16)
        )
        later = {"date": week16 + dt.timedelta(days=3)}
        clinician = service.Actor("dr.a", "clinician")
        service.update(s, clinician, "visits", visit.id, later, visit.version)
    login(client, "analyst")
    page = client.get("/dashboard").text
    cells = re.findall(r'data-label="Median week to PASI75">([^<]*)<', page)
    assert "16.4 (1 reached)" in cells  # 16 + 3/7 weeks
    assert all(re.fullmatch(r"(\d+(\.\d)?|–|—|-|n/a)? ?\(\d+ reached\)", c) for c in cells), cells


def test_admin_adds_a_user(client, seeded_store) -> None:
    token = login(client, "admin")
    r = client.post(
        "/admin/users",
        data={"username": "nurse", "password": "short", "role": "clinician", "csrf_token": token},
    )
    assert r.status_code == 422 and "password:" in r.text
    r = client.post(
        "/admin/users",
        data={
            "username": "nurse",
            "password": "violet-kettle-summit-63",
            "role": "clinician",
            "csrf_token": token,
        },
    )
    assert r.status_code == 200 and "Added nurse (clinician)" in r.text
    assert 'id="new-password"' not in r.text  # a password typed by the admin is not shown


def test_json_api(client, seeded_store) -> None:
    assert client.get("/api/export/patients").status_code == 401
    tok = client.post(
        "/api/token", json={"username": "clinician", "password": PASSWORDS["clinician"]}
    )
    h = {"Authorization": f"Bearer {tok.json()['token']}"}
    r = client.post(
        "/api/patients", json={"data": {"patient_id": "P90", "birth_date": "1990-01-01"}}, headers=h
    )
    assert r.status_code == 201
    p = r.json()
    r = client.post(
        f"/api/patients/{p['id']}/courses",
        json={"data": {"drug": "secukinumab", "start_date": "2024-01-01"}},
        headers=h,
    )
    assert r.status_code == 201
    c = r.json()
    r = client.post(
        f"/api/courses/{c['id']}/visits",
        json={"data": {"date": "2024-01-01", "head_erythema": 5}},
        headers=h,
    )
    assert r.status_code == 422 and "head_erythema" in r.json()["errors"]
    r = client.patch(
        f"/api/patients/{p['id']}",
        json={"version": p["version"], "data": {"weight_kg": 80}},
        headers=h,
    )
    assert r.status_code == 200 and r.json()["weight_kg"] == 80
    r = client.patch(
        f"/api/patients/{p['id']}",
        json={"version": p["version"], "data": {"weight_kg": 81}},
        headers=h,
    )
    assert r.status_code == 409 and r.json()["current"]["weight_kg"] == 80
    assert client.get("/openapi.json").status_code == 401
    assert "/api/patients" in client.get("/openapi.json", headers=h).json()["paths"]
    tok = client.post("/api/token", json={"username": "analyst", "password": PASSWORDS["analyst"]})
    ha = {"Authorization": f"Bearer {tok.json()['token']}"}
    assert (
        client.post("/api/patients", json={"data": {"patient_id": "P91"}}, headers=ha).status_code
        == 403
    )
    rows = client.get("/api/export/patients", headers=ha).json()
    assert rows and all("name" not in r and r["patient_id"].startswith("S-") for r in rows)


def test_logout(client) -> None:
    token = login(client, "clinician")
    r = client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert client.get("/patients", follow_redirects=False).status_code == 303

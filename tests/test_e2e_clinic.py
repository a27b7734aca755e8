"""Issue 13 in a real browser (Playwright driving Debian's chromium) against a live server, on
SQLite and PostgreSQL: correcting, deleting (with a reason) and restoring every record type;
sites that keep clinicians to their own patients (pages, API, exports); consent withdrawal;
the dose schedule and the overdue worklist; a data query raised, answered and closed; a
50-patient workbook imported (and a bad one refused whole); a recorded relapse counted; the
dashboard and patient pages at 1366 and 390 px (screenshots in ``test-artifacts/web/``), with
the strict Content-Security-Policy in force (no violation may be reported)."""

from __future__ import annotations

import datetime as dt
import os
import shutil
from pathlib import Path

import pandas as pd
import pytest
from sqlalchemy import select

from psoreg.store import service
from psoreg.store.models import (
    AuditRow,
    CourseRow,
    DoseRow,
    EventRow,
    PatientRow,
    RelapseRow,
    VisitRow,
)
from tests.web_conftest import CHROMIUM, PASSWORDS

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web"

pytestmark = pytest.mark.skipif(
    not os.environ.get("CI") and (not Path(CHROMIUM).exists() or shutil.which("chromium") is None),
    reason="Debian chromium not installed: run scripts/deps/chromium.sh",
)


class Person:
    """One user in their own browser context, collecting CSP violations and script errors."""

    def __init__(self, browser, base: str, width: int = 1366) -> None:
        self.context = browser.new_context(
            base_url=base, viewport={"width": width, "height": 900}, accept_downloads=True
        )
        self.page = self.context.new_page()
        self.page.set_default_timeout(20000)
        self.problems: list[str] = []
        self.page.on(
            "console",
            lambda m: (
                self.problems.append(m.text)
                if m.type == "error"
                and ("Content Security Policy" in m.text or "Refused" in m.text)
                else None
            ),
        )
        self.page.on("pageerror", lambda e: self.problems.append(str(e)))

    def login(self, user: str, password: str | None = None) -> Person:
        from playwright.sync_api import expect

        self.page.goto("/login")
        self.page.fill("#username", user)
        self.page.fill("#password", password or PASSWORDS[user])
        self.page.click("button[type=submit]")
        expect(self.page.locator("#patient-table")).to_be_visible()
        return self

    def shot(self, name: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"clinic-{name}.png"), full_page=True)

    def close(self) -> None:
        assert not self.problems, self.problems
        self.context.close()


def _pk(store, model, **where) -> int:
    with store.session() as s:
        q = select(model.id)
        for k, v in where.items():
            q = q.where(getattr(model, k) == v)
        return s.scalars(q).first()


def _patient_of(store, course_id: str) -> int:
    with store.session() as s:
        return s.scalar(select(CourseRow.patient_pk).where(CourseRow.course_id == course_id))


def _count(store, model) -> int:
    from sqlalchemy import func

    with store.session() as s:
        return s.scalar(select(func.count()).select_from(model))


def _audit(store, action: str, table: str, pk: int) -> list[AuditRow]:
    with store.session() as s:
        q = select(AuditRow).where(
            AuditRow.action == action, AuditRow.table_name == table, AuditRow.record_id == str(pk)
        )
        return list(s.scalars(q))


# --- 1. correct, delete with a reason, restore: every record type ----------------------------


def test_correct_delete_and_restore_every_record_type(browser, live_url, seeded_store) -> None:
    from playwright.sync_api import expect

    store = seeded_store
    clin = Person(browser, live_url).login("clinician")
    pg = clin.page
    c03 = _pk(store, CourseRow, course_id="C03")
    p02 = _patient_of(store, "C03")

    def first(model, course_id: str) -> int:
        return _pk(store, model, course_pk=_pk(store, CourseRow, course_id=course_id))

    targets = {
        "doses": (first(DoseRow, "C01"), "dose_mg", "46"),
        "visits": (first(VisitRow, "C03"), "bsa", "7"),
        "events": (first(EventRow, "C04"), "sites", "palms"),
        "relapses": (first(RelapseRow, "C05"), "treatment", "acitretin"),
        "courses": (c03, "regimen", "300 mg monthly"),
        "patients": (p02, "ethnicity", "Indian"),
    }
    for table, (pk, field, value) in targets.items():
        with store.session() as s:
            patient = service.patient_pk_of(table, service.get(s, table, pk))
        pg.goto(f"/patients/{patient}")
        pg.click(f'a[href="/edit/{table}/{pk}"]')
        pg.fill(f"#f-{field}", value)
        pg.fill("#f-reason", f"corrected {field}")
        pg.click("button[type=submit]")
        expect(pg.locator("#patient-heading")).to_be_visible()
        changed = _audit(store, "update", table, pk)
        found = [(a.field, a.reason) for a in changed]
        assert (field, f"corrected {field}") in found, (table, found, pg.content()[:3000])

    # delete each child record type with a reason: gone from the page, kept and audited
    for table in ("doses", "visits", "events", "relapses"):
        pk = targets[table][0]
        with store.session() as s:
            patient = service.patient_pk_of(table, service.get(s, table, pk))
        pg.goto(f"/patients/{patient}")
        pg.click(f'a[href="/delete/{table}/{pk}"]')
        expect(pg.locator("h1")).to_contain_text("Delete")
        pg.fill("#f-reason", f"entered twice ({table})")
        pg.click("#confirm-delete")
        expect(pg.locator("#patient-heading")).to_be_visible()
        expect(pg.locator(f'a[href="/edit/{table}/{pk}"]')).to_have_count(0)
        [entry] = _audit(store, "delete", table, pk)
        assert entry.reason == f"entered twice ({table})" and entry.username == "clinician"
    # a reason is required (the server refuses an empty one, whatever the browser does)
    pg.goto(f"/delete/courses/{c03}")
    pg.evaluate("document.getElementById('f-reason').removeAttribute('required')")
    pg.click("#confirm-delete")
    expect(pg.locator("#form-errors")).to_contain_text("Reason")
    # the course, then the patient
    pg.fill("#f-reason", "course entered in the wrong patient")
    pg.click("#confirm-delete")
    expect(pg.locator(f"#course-{c03}")).to_have_count(0)
    pg.goto(f"/patients/{p02}")
    pg.click(".delete-patients")
    expect(pg.locator("#delete-form")).to_contain_text("Reason")
    pg.fill("#f-reason", "duplicate of another patient")
    pg.click("#confirm-delete")
    expect(pg.locator("#patient-table")).not_to_contain_text("Demo Patient P02")
    assert pg.goto(f"/patients/{p02}").status == 404
    clin.shot("deleted-patient-gone")

    # an administrator restores the patient, then the course, then the visit
    admin = Person(browser, live_url).login("admin")
    ap = admin.page
    ap.goto("/admin/deleted")
    table = ap.locator("#deleted-table")
    expect(table).to_contain_text("duplicate of another patient")
    admin.shot("deleted-records")
    for t, pk in (("patients", p02), ("courses", c03), ("visits", targets["visits"][0])):
        ap.goto("/admin/deleted")
        row = ap.locator(f'tr[data-table="{t}"][data-pk="{pk}"]')
        row.locator("input[name=reason]").fill(f"deleted by mistake ({t})")
        row.locator("button").click()
        expect(ap.locator("#patient-heading")).to_be_visible()
        assert _audit(store, "restore", t, pk)[0].reason == f"deleted by mistake ({t})"
    ap.goto(f"/patients/{p02}")
    expect(ap.locator(f"#course-{c03}")).to_be_visible()
    expect(ap.locator(f'a[href="/edit/visits/{targets["visits"][0]}"]')).to_be_visible()

    # a stop changed, then undone (audited)
    c06 = _pk(store, CourseRow, course_id="C06")
    pg.goto(f"/patients/{_patient_of(store, 'C06')}")
    pg.click(f"#course-{c06} a.change-stop")
    expect(pg.locator("#f-stop_date")).to_have_value("2023-07-19")
    pg.fill("#f-stop_date", "2023-07-26")
    pg.click("button[type=submit]")
    expect(pg.locator(f"#course-{c06}")).to_contain_text("to 26 Jul 2023")  # the page's date form
    pg.click(f"#course-{c06} a.restart-course")
    pg.fill("#f-reason", "treatment resumed")
    pg.click("#confirm-restart")
    expect(pg.locator(f"#course-{c06}")).to_contain_text("ongoing")
    assert any(a.reason == "treatment resumed" for a in _audit(store, "update", "courses", c06))
    clin.close()
    admin.close()


# --- 2. sites ---------------------------------------------------------------------------------


def test_a_clinician_sees_and_exports_only_their_site(browser, live_url, seeded_store) -> None:
    from playwright.sync_api import expect

    from psoreg.accounts.users import add_user
    from psoreg.store import sites

    store = seeded_store
    admin_actor = service.Actor("admin", "admin")
    p05 = _patient_of(store, "C06")
    p01 = _patient_of(store, "C01")
    with store.session() as s:
        sites.add_site(s, "PEN", "Penang dermatology", "admin")
        add_user(s, "dr.pen", "penang-lotus-harbour-53", "clinician", by="admin", sites=["PEN"])
        version = service.get(s, "patients", p05).version
        service.update(s, admin_actor, "patients", p05, {"site": "PEN"}, version, "moved")
    pen = Person(browser, live_url).login("dr.pen", "penang-lotus-harbour-53")
    pg = pen.page
    expect(pg.locator("#patient-table")).to_contain_text("Demo Patient P05")
    expect(pg.locator("#patient-table")).not_to_contain_text("Demo Patient P01")
    assert pg.goto(f"/patients/{p01}").status == 404
    assert pg.goto(f"/edit/patients/{p01}").status == 404
    pg.goto("/exports")
    with pg.expect_download() as dl:
        pg.click('a[href="/export/patients.csv"]')
    ids = set(pd.read_csv(dl.value.path())["patient_id"])
    assert ids == {"P05"}
    # the API: a token of dr.pen reads and exports PEN only
    r = pg.request.post(
        "/api/token", data={"username": "dr.pen", "password": "penang-lotus-harbour-53"}
    )
    auth = {"Authorization": f"Bearer {r.json()['token']}"}
    assert pg.request.get(f"/api/patients/{p01}", headers=auth).status == 404
    assert pg.request.get(f"/api/patients/{p05}", headers=auth).status == 200
    rows = pg.request.get("/api/export/visits", headers=auth).json()
    assert rows and {r["patient_id"] for r in rows} == {"P05"}
    assert pg.request.get("/fhir/Patient/P01/$everything", headers=auth).status == 404
    assert pg.request.get("/fhir/Patient/P05/$everything", headers=auth).status == 200
    r = pg.request.post(
        f"/api/patients/{p01}/courses",
        headers=auth,
        data={"data": {"drug": "ustekinumab", "start_date": "2024-01-01"}},
    )
    assert r.status == 404
    # and the MAIN clinician no longer sees P05
    clin = Person(browser, live_url).login("clinician")
    expect(clin.page.locator("#patient-table")).not_to_contain_text("Demo Patient P05")
    assert clin.page.goto(f"/patients/{p05}").status == 404
    clin.page.goto("/dashboard")
    expect(clin.page.locator("#n-patients")).to_contain_text("4 patients")
    pen.close()
    clin.close()


# --- 3. consent -------------------------------------------------------------------------------


def test_a_withdrawn_patient_leaves_analyses_and_exports(browser, live_url, seeded_store) -> None:
    from playwright.sync_api import expect

    store = seeded_store
    p02 = _patient_of(store, "C02")
    clin = Person(browser, live_url).login("clinician")
    pg = clin.page
    pg.goto("/dashboard")
    expect(pg.locator("#n-patients")).to_contain_text("5 patients")
    pg.goto(f"/patients/{p02}")
    pg.click("#consent-link")
    pg.fill("#f-consent_withdrawn_date", "2000-01-01")
    pg.click("button[type=submit]")
    expect(pg.locator("#form-errors")).to_contain_text("before consent was given")
    pg.fill("#f-consent_withdrawn_date", dt.date.today().isoformat())
    pg.fill("#f-reason", "patient's letter")
    pg.click("button[type=submit]")
    expect(pg.locator("#consent")).to_contain_text("withdrawn")
    expect(pg.locator("#consent")).to_contain_text("left out of analyses and exports")
    pg.goto("/dashboard")
    expect(pg.locator("#n-patients")).to_contain_text("4 patients")
    expect(pg.locator("#excluded")).to_contain_text("1 patient: consent withdrawn")
    pg.goto("/exports")
    expect(pg.locator("#excluded")).to_contain_text("1 patient: consent withdrawn")
    with pg.expect_download() as dl:
        pg.click('a[href="/export/courses.csv"]')
    courses = pd.read_csv(dl.value.path())
    assert "P02" not in set(courses["patient_id"]) and len(courses) == 4
    r = pg.request.get("/export/outcomes.csv")
    assert r.headers["x-psoreg-excluded"] == "consent withdrawn=1"
    assert "C02" not in r.text() and "C01" in r.text()
    assert [a.field for a in _audit(store, "consent", "patients", p02)] == [
        "consent_withdrawn_date"
    ]
    clin.close()


# --- 4. schedule and worklist -----------------------------------------------------------------


def test_next_dose_and_the_overdue_worklist(browser, live_url, seeded_store) -> None:
    from playwright.sync_api import expect

    from psoreg.i18n.formats import date as shown  # dates as the page's language writes them

    today = dt.date.today()
    start = today - dt.timedelta(weeks=22)
    clin = Person(browser, live_url).login("clinician")
    pg = clin.page
    pg.click("#new-patient")
    pg.fill("#f-patient_id", "P81")
    pg.select_option("#f-sex", "F")
    pg.fill("#f-weight_kg", "70")
    pg.click("button[type=submit]")
    pg.click("#new-course")
    pg.select_option("#f-drug", "ustekinumab")
    pg.fill("#f-start_date", start.isoformat())
    pg.click("button[type=submit]")
    # the visit form takes the dose given that day
    for week, pasi in ((0, "18"), (4, "9")):
        pg.click("a.add-visit")
        pg.fill("#f-date", (start + dt.timedelta(weeks=week)).isoformat())
        pg.fill("#f-pasi", pasi)
        pg.fill("#f-dose_mg", "45")
        pg.click("button[type=submit]")
        expect(pg.locator("#patient-heading")).to_be_visible()
    course = pg.locator("section.course")
    due = start + dt.timedelta(weeks=16)  # 45 mg weeks 0 and 4, then every 12 weeks
    expect(course.locator(".next-dose")).to_have_text(shown(due))  # '30 Nov 2026' (en_GB)
    expect(course).to_contain_text("dose overdue")
    expect(course.locator(".records.doses li")).to_have_count(2)
    pg.goto("/worklist")
    row = pg.locator("#worklist tr", has_text="P81")
    expect(row).to_contain_text(shown(due))
    expect(row.locator(".status")).to_have_text("overdue")
    clin.shot("worklist")
    # the dose given: no longer overdue, next due 12 weeks later
    pg.click("#worklist a:text('P81')")
    pg.click("a.add-visit")
    pg.fill("#f-date", today.isoformat())
    pg.fill("#f-pasi", "2")
    pg.fill("#f-dose_mg", "45")
    pg.click("button[type=submit]")
    expect(course.locator(".next-dose")).to_have_text(shown(today + dt.timedelta(weeks=12)))
    pg.goto("/worklist")
    expect(pg.locator("#worklist")).not_to_contain_text("P81")
    # a course that records no dose gets no "missed" lines
    pg.goto(f"/patients/{_patient_of(seeded_store, 'C04')}")
    expect(pg.locator("body")).not_to_contain_text("missed")
    clin.close()


# --- 5. data queries --------------------------------------------------------------------------


def test_a_data_query_raised_answered_and_closed(browser, live_url, seeded_store) -> None:
    from playwright.sync_api import expect

    visit = _pk(seeded_store, VisitRow, course_pk=_pk(seeded_store, CourseRow, course_id="C01"))
    patient = _patient_of(seeded_store, "C01")
    monitor = Person(browser, live_url).login("admin")
    pg = monitor.page
    pg.goto(f"/patients/{patient}")
    pg.click(f'a[href="/queries/new/visits/{visit}"]')
    pg.select_option("#f-field", "pasi")
    pg.click("#raise-query")
    expect(pg.locator("#form-errors")).to_contain_text("Text")
    pg.fill("#f-text", "PASI 20 at baseline but BSA 22 %: please check the grid.")
    pg.select_option("#f-assigned_to", "clinician")
    pg.click("#raise-query")
    expect(pg.locator("#query-status")).to_have_text("open")
    pg.goto("/dashboard")
    expect(pg.locator("#open-queries-count")).to_contain_text("1 open query")
    clin = Person(browser, live_url).login("clinician")
    cp = clin.page
    cp.goto(f"/patients/{patient}")
    expect(cp.locator("#open-queries")).to_contain_text("please check the grid")
    # the queried visit's row carries the open-query flag, and only that row
    expect(cp.locator('td.acts .flag.bad[title="open data query"]')).to_have_count(1)
    row = cp.locator("tr", has=cp.locator(f'a[href="/queries/new/visits/{visit}"]'))
    expect(row.locator(".flag.bad")).to_have_count(1)
    cp.click("#open-queries a")
    cp.fill("#f-answer", "Checked against the chart: PASI 20 is right.")
    cp.click("#answer-query")
    expect(cp.locator("#query-status")).to_have_text("answered")
    expect(cp.locator("#close-query")).to_have_count(0)  # only the monitor closes it
    pg.goto("/queries")
    pg.click("#query-table a >> nth=0")
    expect(pg.locator("#query-thread")).to_contain_text("PASI 20 is right")
    pg.click("#close-query")
    expect(pg.locator("#query-status")).to_have_text("closed")
    cp.goto(f"/patients/{patient}")
    expect(cp.locator('td.acts .flag.bad[title="open data query"]')).to_have_count(0)
    pg.goto("/dashboard")
    expect(pg.locator("#open-queries-count")).to_contain_text("0 open queries")
    with seeded_store.session() as s:
        steps = s.scalars(
            select(AuditRow.field).where(AuditRow.action == "query").order_by(AuditRow.id)
        ).all()
    assert [x for x in steps if x != "assigned"] == ["raised", "answered", "closed"]
    monitor.close()
    clin.close()


# --- 6. import --------------------------------------------------------------------------------


def _workbook(path: Path, n: int, bad: bool = False) -> Path:
    """``n`` patients with one ustekinumab course, three visits and two doses each."""
    patients, courses, visits, doses = [], [], [], []
    for i in range(n):
        pid, cid = f"IMP{i:03d}", f"IMP{i:03d}-C1"
        start = dt.date(2023, 1, 2) + dt.timedelta(days=7 * (i % 20))
        patients.append({"patient": pid, "sex": "MF"[i % 2], "birth_year": 1960 + i % 40})
        courses.append({"course": cid, "patient": pid, "drug": "ustekinumab", "start_date": start})
        for week, pasi in ((0, 12 + i % 10), (12, 3), (28, 1)):
            visits.append({"course": cid, "week": week, "pasi": pasi, "dlqi": 10 - week // 4})
        for week in (0, 4):
            doses.append({"course": cid, "week": week, "dose_mg": 45})
    if bad:
        visits[7]["pasi"] = 80  # row 9 of the assessments sheet
        courses[3]["drug"] = "aspirin"  # row 5 of the courses sheet
        doses[2]["dose_mg"] = -45
    with pd.ExcelWriter(path) as w:
        for name, rows in (
            ("patients", patients), ("courses", courses),
            ("assessments", visits), ("doses", doses),
        ):  # fmt: skip
            pd.DataFrame(rows).to_excel(w, sheet_name=name, index=False)
    return path


def test_a_50_patient_workbook_imported_and_a_bad_one_refused(
    browser, live_url, seeded_store, tmp_path
) -> None:
    from playwright.sync_api import expect

    clin = Person(browser, live_url).login("clinician")
    pg = clin.page
    before = _count(seeded_store, PatientRow)
    pg.click("a[href='/import']")
    pg.set_input_files("#f-files", str(_workbook(tmp_path / "bad.xlsx", 50, bad=True)))
    pg.click("#check-import")
    problems = pg.locator("#problem-table")
    expect(pg.locator("#import-problems")).to_contain_text("Nothing was imported")
    expect(problems.locator("tr", has_text="assessments.pasi")).to_contain_text("9")
    expect(problems.locator("tr", has_text="courses.drug")).to_contain_text("aspirin")
    expect(problems.locator("tr", has_text="doses.dose_mg")).to_be_visible()
    clin.shot("import-refused")
    assert _count(seeded_store, PatientRow) == before
    pg.set_input_files("#f-files", str(_workbook(tmp_path / "cohort.xlsx", 50)))
    pg.click("#check-import", timeout=120000)  # 350 records validated and rolled back
    preview = pg.locator("#import-preview")
    expect(preview.locator('[data-table="patients"]')).to_have_text("50 patients")
    expect(preview.locator('[data-table="visits"]')).to_have_text("150 visits")
    assert _count(seeded_store, PatientRow) == before  # a preview keeps nothing
    pg.click("#commit-import", timeout=120000)
    expect(pg.locator("#import-result")).to_contain_text("50 patients")
    assert _count(seeded_store, PatientRow) == before + 50
    with seeded_store.session() as s:
        batch = s.scalars(select(AuditRow).where(AuditRow.action == "import")).all()
        assert len({b.record_id for b in batch}) == 1  # one audited batch
        batch = batch[0]
        created = s.scalars(
            select(AuditRow.reason).where(AuditRow.action == "create").distinct()
        ).all()
    assert batch.username == "clinician" and any(r and "import" in r for r in created)
    pg.goto("/patients?q=IMP049")
    expect(pg.locator("#patient-table")).to_contain_text("IMP049")
    clin.close()


# --- 7. a recorded relapse counts -------------------------------------------------------------


def test_a_recorded_relapse_is_counted(browser, live_url, seeded_store) -> None:
    from playwright.sync_api import expect

    clin = Person(browser, live_url).login("clinician")
    pg = clin.page
    # the demo's C05 relapse was recorded 8 weeks after stopping, with no visit after it
    c05 = _pk(seeded_store, CourseRow, course_id="C05")
    pg.goto(f"/patients/{_patient_of(seeded_store, 'C05')}")
    section = pg.locator(f"#course-{c05}")
    expect(section.locator('[data-flag="relapse"]')).to_be_visible()
    expect(section.locator(".relapse-source")).to_contain_text("recorded")
    # a new relapse recorded on a course that had none
    c04 = _pk(seeded_store, CourseRow, course_id="C04")
    pg.goto(f"/patients/{_patient_of(seeded_store, 'C04')}")
    section = pg.locator(f"#course-{c04}")
    expect(section.locator('[data-flag="relapse"]')).to_have_count(0)
    section.locator("a.stop-course").click()
    pg.fill("#f-stop_date", "2024-10-01")
    pg.select_option("#f-stop_reason", "remission")
    pg.click("button[type=submit]")
    section.locator("a.add-relapse").click()
    pg.fill("#f-date", "2024-12-10")
    pg.fill("#f-morphology", "plaque")
    pg.click("button[type=submit]")
    expect(section.locator('[data-flag="relapse"]')).to_be_visible()
    expect(section.locator(".relapse-note")).to_contain_text("10 weeks after stopping")
    expect(section.locator(".relapse-source")).to_have_text("recorded")
    pg.goto("/dashboard")
    expect(pg.locator("#dashboard-table tr", has_text="All")).to_be_visible()
    clin.close()


# --- 8. dashboard and pages at 1366 and 390 px -----------------------------------------------


@pytest.mark.parametrize("width", [1366, 390])
def test_dashboard_and_pages_at_1366_and_390_px(browser, live_url, backend, width) -> None:
    from playwright.sync_api import expect

    clin = Person(browser, live_url, width=width).login("clinician")
    pg = clin.page
    pages = {
        "dashboard": "/dashboard",
        "patients": "/patients",
        "patient": "/patients/1",
        "worklist": "/worklist",
        "visit-form": "/new/visits/1",
    }
    for name, url in pages.items():
        pg.goto(url)
        if name == "dashboard":
            for chart in ("chart-response", "chart-survival"):
                expect(pg.locator(f"svg.{chart}")).to_be_visible()
            # the survival chart's axis is in months
            expect(pg.locator("svg.chart-survival")).to_contain_text("months on the drug")
        wide = pg.evaluate("document.documentElement.scrollWidth")
        assert wide <= width + 1, f"{name} scrolls sideways at {width} px ({wide} px wide)"
        clin.shot(f"{backend}-{name}-{width}")
    clin.close()

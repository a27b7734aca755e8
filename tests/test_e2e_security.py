"""Issue 10 in a real browser (Playwright driving Debian's chromium) against a live server, on
SQLite and PostgreSQL: the administrator's pages, a revoked session, the conflict diff with a
double Save and "Use mine", the account page and the API documentation - with the strict
Content-Security-Policy in force (no violation may be reported on any page). Screenshots go to
``test-artifacts/web/``."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.web_conftest import CHROMIUM, PASSWORDS

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web"

pytestmark = pytest.mark.skipif(
    not os.environ.get("CI") and (not Path(CHROMIUM).exists() or shutil.which("chromium") is None),
    reason="Debian chromium not installed: run scripts/deps/chromium.sh",
)


class Person:
    """One user in their own browser context, collecting CSP violations and script errors."""

    def __init__(self, browser, base: str) -> None:
        self.context = browser.new_context(base_url=base, viewport={"width": 1200, "height": 900})
        self.page = self.context.new_page()
        self.page.set_default_timeout(15000)
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

    def login(self, user: str, password: str) -> None:
        self.page.goto("/login")
        self.page.fill("#username", user)
        self.page.fill("#password", password)
        self.page.click("button[type=submit]")

    def shot(self, name: str, backend: str) -> None:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        self.page.screenshot(path=str(ARTIFACTS / f"{backend}-{name}.png"), full_page=True)


def test_admin_pages_revocation_conflict_diff_and_docs(browser, live_url, store_url) -> None:
    from playwright.sync_api import expect

    backend = "postgresql" if store_url.startswith("postgresql") else "sqlite"
    admin, clin, nurse = (Person(browser, live_url) for _ in range(3))
    try:
        admin.login("admin", PASSWORDS["admin"])
        expect(admin.page.locator("#patient-table")).to_contain_text("Demo Patient P01")

        # the administrator adds a user; the random password is shown once
        admin.page.click("text=Users")
        admin.page.fill("#u", "Nurse.Ann")
        admin.page.select_option("#role", "clinician")
        admin.page.click("#add-user button")
        expect(admin.page.locator("#message")).to_contain_text("Added nurse.ann (clinician)")
        password = admin.page.locator("#new-password").inner_text().strip()
        assert len(password) >= 12
        admin.shot("admin-users", backend)

        # the new user logs in; the administrator sees and revokes that session
        nurse.login("nurse.ann", password)
        expect(nurse.page.locator("#patient-table")).to_be_visible()
        admin.page.click("text=Sessions")
        row = admin.page.locator('#sessions-table tr[data-user="nurse.ann"]')
        expect(row).to_have_count(1)
        admin.shot("admin-sessions", backend)
        row.locator("button.revoke-session").click()
        expect(admin.page.locator('#sessions-table tr[data-user="nurse.ann"]')).to_have_count(0)
        nurse.page.goto("/patients")
        expect(nurse.page.locator("h1")).to_have_text("Log in")

        # two editors of one patient: the clinician's stale save gets the diff
        clin.login("clinician", PASSWORDS["clinician"])
        clin.page.goto("/patients")
        clin.page.click("#patient-table a:text('P01')")
        patient_url = clin.page.url
        clin.page.click("text=Edit patient")
        admin.page.goto(patient_url)
        admin.page.click("text=Edit patient")
        admin.page.fill("#f-weight_kg", "83")
        admin.page.fill("#f-reason", "re-weighed")
        admin.page.click("button[type=submit]")
        expect(admin.page.locator("#patient-heading")).to_be_visible()
        clin.page.fill("#f-weight_kg", "90")
        clin.page.fill("#f-ethnicity", "Chinese")
        clin.page.click("button[type=submit]")
        diff = clin.page.locator("#conflict-diff")
        expect(diff).to_be_visible()
        weight = diff.locator('tr[data-field="weight_kg"]')
        expect(weight.locator("td.yours")).to_have_text("90")
        expect(weight.locator("td.theirs")).to_have_text("83")
        expect(weight).to_contain_text("admin,")
        expect(clin.page.locator("#f-weight_kg")).to_have_value("83")
        clin.shot("conflict-diff", backend)
        # Save again, as the old message said: the colleague's value survives
        clin.page.click("button[type=submit]")
        expect(clin.page.locator("#patient-heading")).to_be_visible()
        expect(clin.page.locator("main")).to_contain_text("83.0 kg")

        # a second conflict, re-applied with "Use mine"
        clin.page.click("text=Edit patient")
        admin.page.click("text=Edit patient")
        admin.page.fill("#f-weight_kg", "84")
        admin.page.click("button[type=submit]")
        expect(admin.page.locator("#patient-heading")).to_be_visible()
        clin.page.fill("#f-weight_kg", "91")
        clin.page.click("button[type=submit]")
        expect(clin.page.locator("#conflict-diff")).to_be_visible()
        clin.page.locator('#conflict-diff tr[data-field="weight_kg"] button.use-mine').click()
        expect(clin.page.locator("#f-weight_kg")).to_have_value("91")
        clin.page.click("button[type=submit]")
        expect(clin.page.locator("main")).to_contain_text("91.0 kg")

        # the audit log, with the chain verified in the page
        admin.page.click("text=Audit log")
        admin.page.click("#verify-chain")
        expect(admin.page.locator("#chain-result")).to_contain_text("Intact")
        expect(admin.page.locator("#audit-table")).to_contain_text("re-weighed")
        admin.shot("audit", backend)

        # the account page and the API documentation (vendored Swagger UI, under the CSP)
        clin.page.click("#account-link")
        expect(clin.page.locator("h1")).to_contain_text("Your account: clinician")
        clin.page.fill("#t-name", "monthly export")
        clin.page.click("#token-form button")
        expect(clin.page.locator("#token-value")).to_contain_text("psr_")
        clin.shot("account", backend)
        clin.page.goto("/docs")
        expect(clin.page.locator(".swagger-ui .info .title")).to_contain_text("psoreg registry")
        expect(clin.page.locator(".opblock").first).to_be_visible()
        clin.shot("docs", backend)
    finally:
        problems = admin.problems + clin.problems + nurse.problems
        for p in (admin, clin, nurse):
            p.context.close()
    assert not problems, problems


def test_the_visit_form_scores_live_under_the_csp(browser, live_url, store_url) -> None:
    """htmx (vendored) still scores the PASI grid with no inline script or style allowed."""
    from playwright.sync_api import expect

    clin = Person(browser, live_url)
    try:
        clin.login("clinician", PASSWORDS["clinician"])
        clin.page.click("#patient-table a:text('P01')")
        clin.page.locator("a.add-visit").first.click()
        for region in ("head", "upper_limbs", "trunk", "lower_limbs"):
            for sign in ("erythema", "induration", "desquamation"):
                clin.page.fill(f"#f-{region}_{sign}", "2")
            clin.page.fill(f"#f-{region}_area_percent", "35")
        expect(clin.page.locator("#pasi-score")).to_contain_text("PASI 18.0")
    finally:
        problems = clin.problems
        clin.context.close()
    assert not problems, problems

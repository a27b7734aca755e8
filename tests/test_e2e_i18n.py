"""Every web page in Bahasa Malaysia, in a real browser (Playwright driving Debian's chromium):
no English message of the catalogue left on any page, the language chosen per user (kept across
logins) and by the browser's Accept-Language before that. Screenshots of each page go to
``test-artifacts/web-ms/``."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

from psoreg.i18n import translations
from psoreg.i18n.check import extracted
from tests.web_conftest import CHROMIUM, PASSWORDS

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web-ms"

pytestmark = pytest.mark.skipif(
    not os.environ.get("CI") and (not Path(CHROMIUM).exists() or shutil.which("chromium") is None),
    reason="Debian chromium not installed: run scripts/deps/chromium.sh",
)

#: Words that are the same in both languages or are names: drugs, units, scores, codes.
ALLOWED = {"PASI", "DLQI", "BSA", "sPGA", "PGA", "ID", "PsA", "IQR", "CI", "CSV", "Excel",
           "API", "UTC", "psoreg", "FHIR", "REDCap", "MedDRA", "FAERS", "PRR", "ROR", "IC",
           "EBGM", "mg", "kg", "%"}  # fmt: skip


@pytest.fixture
def backend() -> str:
    """One backend is enough here: the pages, not the database, are under test."""
    return "sqlite"


def _context(browser, url: str, locale: str):
    return browser.new_context(base_url=url, viewport={"width": 1200, "height": 900}, locale=locale)


@pytest.fixture(scope="module")
def english() -> set[str]:
    """The catalogue's English messages that Malay writes differently (placeholders removed
    into regular expressions), longest first."""
    ms = translations("ms")
    out = set()
    for msgid, ctx in extracted():
        text = msgid.replace("%%", "%")
        tr = ms.pgettext(ctx, msgid) if ctx else ms.gettext(msgid)
        if tr.replace("%%", "%") == text or text in ALLOWED or len(text) < 3:
            continue
        out.add(text)
    return out


#: Visible text and the attributes a reader meets (placeholders, labels, tooltips, titles).
#: Left out: text marked as English on purpose (lang="en": the DLQI's validated wording),
#: recorded data shown as stored (translate="no": the audit trail's old and new values, user
#: names) and literal names in <code> (the import's sheet names: patients, courses, ...).
TEXTS_JS = """() => {
  const skip = (el) => el && el.closest('[lang=en], [translate=no], script, style, code');
  const out = [document.title];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let n = walk.nextNode(); n; n = walk.nextNode()) {
    const text = n.textContent.trim();
    if (text && !skip(n.parentElement)) out.push(text);
  }
  for (const el of document.querySelectorAll('[placeholder],[aria-label],[title],[alt]'))
    for (const a of ['placeholder', 'aria-label', 'title', 'alt'])
      if (el.getAttribute(a) && !skip(el)) out.push(el.getAttribute(a));
  return out;
}"""


def _leaks(page, english: set[str]) -> list[str]:
    texts = [t for t in page.evaluate(TEXTS_JS) if t]
    found = []
    for msg in english:
        if "{" in msg:
            pattern = re.escape(msg)
            pattern = re.sub(r"\\\{[a-z_]+\\\}", r".+?", pattern)
            if len(msg) > 20 and any(re.fullmatch(pattern, t) for t in texts):
                found.append(msg)
        elif any(t == msg or (len(msg) > 20 and msg in t) for t in texts):
            found.append(msg)
    return sorted(found)


def _shot(page, name: str) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _login(page, role: str) -> None:
    page.goto("/login")
    page.fill("#username", role)
    page.fill("#password", PASSWORDS[role])
    page.click("button[type=submit]")
    page.wait_for_url("**/patients")


def test_every_page_in_malay(browser, live_url, english, seeded_store) -> None:
    """The administrator sees every page; a Malay browser (Accept-Language ms-MY) gets Malay
    before anyone logs in."""
    ctx = _context(browser, live_url, "ms-MY")
    page = ctx.new_page()
    page.set_default_timeout(15000)
    page.goto("/login")
    assert page.locator("html").get_attribute("lang") == "ms"
    assert page.locator("h1").inner_text() == "Log masuk"
    pages: list[tuple[str, str]] = [("login", "/login")]
    checked = {"login": _leaks(page, english)}
    _shot(page, "login")
    _login(page, "admin")
    first = page.locator("#patient-table a").first.get_attribute("href")
    page.goto(first)
    edit_course = page.locator("a[href^='/edit/courses/']").first.get_attribute("href")
    course_pk = edit_course.rsplit("/", 1)[1]
    patient_pk = first.rsplit("/", 1)[1]
    visit = page.locator("a[href^='/edit/visits/']").first.get_attribute("href")
    pages += [
        ("patients", "/patients"),
        ("patient", first),
        ("patient-new", "/patients-new"),
        ("patient-edit", f"/edit/patients/{patient_pk}"),
        ("course-new", f"/new/courses/{patient_pk}"),
        ("course-edit", edit_course),
        ("visit-new", f"/new/visits/{course_pk}"),
        ("visit-edit", visit),
        ("dose-new", f"/new/doses/{course_pk}"),
        ("event-new", f"/new/events/{course_pk}"),
        ("relapse-new", f"/new/relapses/{course_pk}"),
        ("course-stop", f"/stop/{course_pk}"),
        ("dashboard", "/dashboard"),
        ("signals", "/signals"),
        ("account", "/account"),
        ("users", "/admin/users"),
        ("sessions", "/admin/sessions"),
        ("audit", "/admin/audit"),
        ("not-found", "/patients/999999"),
    ]
    for name, url in pages[1:]:
        page.goto(url)
        page.wait_for_load_state("networkidle")  # htmx fragments too (the live PASI score)
        assert page.locator("html").get_attribute("lang") == "ms", name
        checked[name] = _leaks(page, english)
        _shot(page, name)
    page.goto(dict(pages)["visit-new"])  # the live PASI score fragment, in Malay
    page.wait_for_load_state("networkidle")
    assert page.locator("#pasi-score").inner_text() == "PASI: isikan grid"
    checked.update(_clinic_pages(page, english, seeded_store, patient_pk, course_pk, visit))
    leaks = {k: v for k, v in checked.items() if v}
    assert not leaks, "; ".join(f"{k}: {v}" for k, v in leaks.items())
    assert len(checked) == len(pages) + len(CLINIC_PAGES)
    ctx.close()


#: The clinic's pages (issue 13) the test below visits after the records' pages.
CLINIC_PAGES = (
    "worklist", "queries", "query-new", "query-new-errors", "query", "query-answered",
    "sites", "exports", "consent", "consent-errors", "visit-errors", "delete", "deleted",
    "restart", "import", "import-problems", "dashboard-after",
)  # fmt: skip


def _check(page, english: set[str], name: str) -> list[str]:
    page.wait_for_load_state("networkidle")
    assert page.locator("html").get_attribute("lang") == "ms", name
    _shot(page, name)
    return _leaks(page, english)


def _clinic_pages(page, english, store, patient_pk: str, course_pk: str, visit_url: str) -> dict:
    """issue 13's pages in Malay, each in the state a clinic meets it: a data query raised
    (first with nothing filled in), answered; consent and a visit refused with their problems;
    a visit deleted (then listed for restoring); a stopped course's undo page; a spreadsheet
    refused with its problems by row and column; the dashboard counting the open query."""
    from sqlalchemy import select

    from psoreg.store.models import CourseRow

    out: dict[str, list[str]] = {}
    visit_pk = visit_url.rsplit("/", 1)[1]
    for name, url in (("worklist", "/worklist"), ("queries", "/queries"),
                      ("sites", "/admin/sites"), ("exports", "/exports")):  # fmt: skip
        page.goto(url)
        out[name] = _check(page, english, name)
    assert page.goto("/worklist") and page.locator("h1").inner_text().startswith("Senarai tugasan")

    page.goto(f"/queries/new/visits/{visit_pk}")
    out["query-new"] = _check(page, english, "query-new")
    page.select_option("#f-field", "pasi")
    page.click("#raise-query")  # no question: refused, the problem named in Malay
    out["query-new-errors"] = _check(page, english, "query-new-errors")
    assert "wajib" in page.locator("#form-errors").inner_text()
    page.fill("#f-text", "PASI 20 tetapi BSA 22 %: sila semak grid.")
    page.click("#raise-query")
    page.wait_for_url("**/queries/*")
    out["query"] = _check(page, english, "query")
    assert page.locator("#query-status").inner_text() == "terbuka"
    page.fill("#f-answer", "Disemak: betul.")
    page.click("#answer-query")
    out["query-answered"] = _check(page, english, "query-answered")
    assert page.locator("#query-status").inner_text() == "dijawab"

    page.goto(f"/consent/{patient_pk}")
    out["consent"] = _check(page, english, "consent")
    page.fill("#f-consent_date", "2030-01-01")
    page.fill("#f-consent_withdrawn_date", "2029-01-01")
    page.click("button[type=submit]")
    out["consent-errors"] = _check(page, english, "consent-errors")

    page.goto(f"/new/visits/{course_pk}")
    page.evaluate("document.querySelector('#visit-form').noValidate = true")  # the server's check
    page.fill("#f-head_erythema", "7")
    page.fill("#f-pga", "9")
    page.click("#visit-form button[type=submit]")
    out["visit-errors"] = _check(page, english, "visit-errors")
    assert page.locator("#form-errors li").count() >= 2  # every problem, in Malay

    page.goto(f"/delete/visits/{visit_pk}")
    out["delete"] = _check(page, english, "delete")
    page.fill("#f-reason", "Dimasukkan dua kali")
    page.click("#confirm-delete")
    page.goto("/admin/deleted")
    out["deleted"] = _check(page, english, "deleted")
    assert page.locator("#deleted-table tr[data-table=visits]").count() == 1

    with store.reader() as s:
        stopped = s.scalar(select(CourseRow.id).where(CourseRow.stop_date.is_not(None)).limit(1))
    page.goto(f"/restart/{stopped}")
    out["restart"] = _check(page, english, "restart")

    page.goto("/import")
    out["import"] = _check(page, english, "import")
    page.set_input_files(
        "#f-files",
        files=[{"name": "patients.csv", "mimeType": "text/csv",
                "buffer": b"patient_id,sex,birth_year\nX1,Q,1890\n"}],
    )  # fmt: skip
    page.click("#check-import")
    out["import-problems"] = _check(page, english, "import-problems")
    assert page.locator("#import-problems").count() == 1

    page.goto("/dashboard")
    out["dashboard-after"] = _check(page, english, "dashboard-after")
    assert "pertanyaan data terbuka" in page.locator("#open-queries-count").inner_text()
    return out


def test_language_is_kept_per_user(browser, live_url) -> None:
    """An English browser: the clinician picks Bahasa Malaysia once; it stays for their next
    login from another browser, while another user keeps English."""
    ctx = _context(browser, live_url, "en-GB")
    page = ctx.new_page()
    page.goto("/login")
    assert page.locator("h1").inner_text() == "Log in"
    _login(page, "clinician")
    assert page.locator("h1").inner_text() == "Patients"
    page.select_option("#language-select", "ms")
    page.click("#language-button")
    page.wait_for_url("**/patients")
    assert page.locator("h1").inner_text() == "Pesakit"
    assert "Bahasa Malaysia" in page.locator("#language-select option[selected]").inner_text()
    ctx.close()

    other = _context(browser, live_url, "en-GB")  # another browser, English
    page = other.new_page()
    _login(page, "clinician")
    assert page.locator("h1").inner_text() == "Pesakit"
    page.goto("/account")
    assert "Bahasa Malaysia" in page.locator("#account-language").inner_text()
    page.click("#logout")
    _login(page, "analyst")
    assert page.locator("h1").inner_text() == "Patients"
    other.close()


def test_malay_pages_fit_a_phone(browser, live_url) -> None:
    """Malay words are longer than English ones: the clinic's daily pages still fit 390 px
    (no sideways scrolling), header and language menu included."""
    ctx = browser.new_context(
        base_url=live_url, viewport={"width": 390, "height": 844}, locale="ms-MY"
    )
    page = ctx.new_page()
    page.set_default_timeout(15000)
    _login(page, "clinician")
    for name, url in (("patients", "/patients"), ("patient", "/patients/1"),
                      ("worklist", "/worklist"), ("queries", "/queries"),
                      ("dashboard", "/dashboard"), ("visit-new", "/new/visits/1")):  # fmt: skip
        page.goto(url)
        page.wait_for_load_state("networkidle")
        assert page.locator("html").get_attribute("lang") == "ms", name
        wide = page.evaluate("document.documentElement.scrollWidth")
        _shot(page, f"{name}-390")
        assert wide <= 391, f"{name} scrolls sideways at 390 px in Malay ({wide} px wide)"
    ctx.close()

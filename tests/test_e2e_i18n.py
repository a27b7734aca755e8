"""Every web page in Bahasa Malaysia, in a real browser (Playwright driving Debian's chromium):
no English message of the catalogue left on any page, the language chosen per user (kept across
logins) and by the browser's Accept-Language before that. Screenshots of each page go to
``test-artifacts/web-ms/``."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from psoreg.i18n import translations
from psoreg.i18n.check import extracted
from tests.web_conftest import CHROMIUM, CHROMIUM_ARGS, PASSWORDS, running

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


@pytest.fixture
def live_url(web_app) -> Iterator[str]:
    with running(web_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


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
#: Left out: text marked as English on purpose (lang="en": the DLQI's validated wording) and
#: recorded data shown as stored (translate="no": the audit trail's old and new values).
TEXTS_JS = """() => {
  const skip = (el) => el && el.closest('[lang=en], [translate=no], script, style');
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


def test_every_page_in_malay(browser, live_url, english) -> None:
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
    leaks = {k: v for k, v in checked.items() if v}
    assert not leaks, leaks
    assert len(checked) == len(pages)
    ctx.close()


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

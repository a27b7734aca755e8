"""The analyst's /signals page: a query on an ingested FAERS store, exports, and a real browser."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from tests.test_e2e import page  # noqa: F401 - the page fixture (browser, live server: web_conftest)
from tests.web_conftest import PASSWORDS, login

PV = Path(__file__).resolve().parents[2] / "shared" / "data" / "pharmacovigilance"
CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts" / "web"
pytestmark = pytest.mark.skipif(not (PV / "faers_ascii_2017q2.zip").exists(), reason="no samples")


@pytest.fixture
def backend() -> str:  # this page needs no PostgreSQL run: the registry is not touched
    return "sqlite"


@pytest.fixture(scope="module")
def faers(tmp_path_factory):
    from psoreg.signals.build import build_current
    from psoreg.signals.ingest import ingest

    src = tmp_path_factory.mktemp("zips")
    for name in ("faers_ascii_2017q2.zip", "aers_ascii_2004q1.zip"):
        shutil.copy(PV / name, src / name)
    st = tmp_path_factory.mktemp("faers") / "store"
    ingest(src, st)
    build_current(st)
    return st


@pytest.fixture
def app_with_faers(web_app, faers):
    web_app.state.faers_store = str(faers)
    return web_app


QUERY = "drugs=apremilast%2C+Humira%2C+natalizumab&events=Psoriasis&groups=psoriasis-family&roles=PS%2BSS"


def test_analyst_runs_a_query_and_downloads_it(app_with_faers, faers):
    with TestClient(app_with_faers) as client:
        login(client, "analyst")
        page = client.get("/patients").text
        assert 'href="/signals"' in page  # the nav link
        html = client.get("/signals").text
        assert "200 current reports of 200 rows" in html and "signals-form" in html
        html = client.get(f"/signals?{QUERY}").text
        assert "signals-table" in html and "apremilast" in html and "adalimumab" in html
        assert "IC025 &gt; 0" in html and "2004Q1–2017Q2" in html  # rules and data version
        assert 'src="data:image/svg+xml;base64,' in html  # the forest plot of three drugs
        csv = client.get(f"/signals/export.csv?{QUERY}")
        assert csv.status_code == 200 and csv.text.splitlines()[0].startswith(
            "drug,event,event_type,a,b,c,d"
        )
        assert "signal_rules" in csv.text.splitlines()[0]
        xlsx = client.get(f"/signals/export.xlsx?{QUERY}")
        assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
        # bad input: a clear message, no traceback
        html = client.get("/signals?drugs=apremilast&period_from=2017-04").text
        assert "Name an event" in html
        html = client.get("/signals?drugs=apremilast&events=Psoriasis&period_from=2017-04").text
        assert "--period: got &#39;2017-04&#39;" in html


def test_page_needs_login_and_explains_a_missing_store(web_app, tmp_path):
    web_app.state.faers_store = str(tmp_path / "nothing")
    with TestClient(web_app) as client:
        r = client.get("/signals", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        login(client, "clinician")
        html = client.get("/signals").text
        assert "psoreg signals ingest" in html


@pytest.mark.skipif(
    not os.environ.get("CI") and not Path(CHROMIUM).exists(), reason="Debian chromium not installed"
)
def test_signals_page_in_a_browser(app_with_faers, page):  # noqa: F811 - the fixture
    from playwright.sync_api import expect

    page.goto("/login")
    page.fill("#username", "analyst")
    page.fill("#password", PASSWORDS["analyst"])
    page.click("button[type=submit]")
    page.click("header >> text=Signals")
    page.fill("#drugs", "apremilast, Humira, natalizumab, Accutane")
    page.fill("#events", "Psoriasis")
    page.check("input[value=psoriasis-family]")
    page.set_default_timeout(30000)
    page.click("#run")
    expect(page.locator("#signals-table")).to_contain_text("apremilast")
    expect(page.locator("#signals-about")).to_contain_text("EB05 >= 2")
    expect(page.locator("#forest img")).to_be_visible()
    drawn = page.eval_on_selector("#forest img", "i => i.complete && i.naturalWidth")
    assert drawn > 100  # decoded and drawn, not blocked by the page's CSP
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "signals.png"), full_page=True)


def test_bad_options_in_the_url_are_explained(app_with_faers):
    with TestClient(app_with_faers) as client:
        login(client, "analyst")
        base = "/signals?drugs=apremilast&events=Psoriasis"
        for extra, message in (
            ("&zero_correction=zzz", "--zero-correction: got &#39;zzz&#39;"),
            ("&stratify=colour", "--stratify: got &#39;colour&#39;"),
            ("&roles=XX", "--roles: got &#39;XX&#39;"),
            ("&groups=nope", "unknown group"),
        ):
            r = client.get(base + extra)
            assert r.status_code == 200 and message in r.text, extra
        assert client.get("/signals/export.csv?drugs=a&events=b&roles=XX").status_code == 400

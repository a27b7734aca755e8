"""Security headers on every response, cookies, and the API documentation (issue 10)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from psoreg.web import create_app
from psoreg.web.app import WebSettings
from tests.web_conftest import PASSWORDS, TEST_SECRET, login

TEMPLATES = Path(__file__).resolve().parent.parent / "src" / "psoreg" / "web" / "templates"


@pytest.fixture
def backend() -> str:
    """This does not depend on the database: SQLite only (a copy of the migrated template)."""
    return "sqlite"


@pytest.fixture
def app(accounts_store):
    return create_app(accounts_store, TEST_SECRET)


def _check(r, *, cached: bool = False) -> None:
    h = r.headers
    csp = h["content-security-policy"]
    assert "default-src 'none'" in csp and "script-src 'self'" in csp
    assert "style-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert h["x-content-type-options"] == "nosniff"
    assert h["x-frame-options"] == "DENY"
    assert h["referrer-policy"] == "no-referrer"
    assert "server" not in h
    if cached:
        assert "no-store" not in h.get("cache-control", "")
    else:
        assert h["cache-control"] == "no-store"


def test_every_response_carries_the_headers(app) -> None:
    with TestClient(app) as c:
        _check(c.get("/login"))
        _check(c.get("/patients", follow_redirects=False))  # redirect
        _check(c.get("/no-such-page"))  # 404
        _check(c.get("/api/export/patients"))  # 401 JSON
        _check(c.get("/static/htmx.min.js"), cached=True)
        _check(c.post("/login", data={"username": "x"}))  # 403 CSRF
        login(c, "clinician")
        for url in ("/patients", "/dashboard", "/account", "/export/patients.csv", "/docs"):
            r = c.get(url)
            assert r.status_code == 200, url
            _check(r)
        tok = c.post(
            "/api/token", json={"username": "clinician", "password": PASSWORDS["clinician"]}
        ).json()["token"]
        _check(c.get("/api/export/patients", headers={"Authorization": f"Bearer {tok}"}))
        assert "strict-transport-security" not in c.get("/login").headers
        assert "secure" not in c.get("/login").headers.get("set-cookie", "").lower()


def test_https_adds_hsts_and_secure_cookies(accounts_store) -> None:
    app = create_app(accounts_store, TEST_SECRET, WebSettings(https=True))
    with TestClient(app, base_url="https://testserver") as c:
        r = c.get("/login")
        assert r.headers["strict-transport-security"].startswith("max-age=31536000")
        cookie = r.headers["set-cookie"].lower()
        assert "secure" in cookie and "httponly" in cookie and "samesite=lax" in cookie
        assert "expires" not in cookie and "max-age" not in cookie  # a browser-session cookie


def test_https_through_a_trusted_proxy(accounts_store) -> None:
    """X-Forwarded-Proto: https from a listed proxy turns on HSTS and Secure cookies; from
    anyone else it is ignored."""
    proxied = create_app(
        accounts_store, TEST_SECRET, WebSettings(forwarded_allow_ips=("testclient",))
    )
    with TestClient(proxied) as c:
        r = c.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" in r.headers
        assert "secure" in r.headers["set-cookie"].lower()
    with TestClient(create_app(accounts_store, TEST_SECRET)) as c:
        r = c.get("/login", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in r.headers


def test_templates_hold_no_inline_script_or_style() -> None:
    """The CSP forbids inline script and style: nothing in the templates may rely on them."""
    for path in TEMPLATES.glob("*.html"):
        text = path.read_text()
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", text), path.name
        assert "<style" not in text and " style=" not in text, path.name
        assert not re.search(r"\son[a-z]+=", text), path.name  # onclick=… handlers
        assert "hx-on" not in text and "javascript:" not in text, path.name


def test_api_docs_for_logged_in_users_only_with_vendored_assets(app) -> None:
    with TestClient(app) as c:
        r = c.get("/docs", follow_redirects=False)
        assert r.status_code == 303 and r.headers["location"] == "/login"
        assert c.get("/openapi.json").status_code == 401
        assert c.get("/redoc").status_code == 404
        login(c, "analyst")
        page = c.get("/docs").text
        assert "/static/swagger/swagger-ui-bundle.js" in page and "cdn" not in page.lower()
        for asset in ("swagger-ui-bundle.js", "swagger-ui.css", "LICENSE", "NOTICE"):
            assert c.get(f"/static/swagger/{asset}").status_code == 200, asset
        assert "/api/token" in c.get("/openapi.json").json()["paths"]

"""The persistent login limiter (issue 10), on SQLite and PostgreSQL.

Attacks replayed: guessing with a rotating ``X-Forwarded-For`` (through the TestClient and
through a real uvicorn server configured as ``psoreg serve`` configures it), splitting guesses
between the login page and the API, restarting the server to reset the count, and locking the
real user out from the addresses they use.
"""

from __future__ import annotations

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from psoreg.accounts import limiter
from psoreg.store.models import AuditRow
from psoreg.web import create_app
from psoreg.web.app import WebSettings
from tests.web_conftest import PASSWORDS, TEST_SECRET, csrf_of, running


def _guess(client: TestClient, user: str, password: str, xff: str | None = None) -> int:
    headers = {"X-Forwarded-For": xff} if xff else {}
    token = csrf_of(client.get("/login", headers=headers).text)
    r = client.post(
        "/login",
        data={"username": user, "password": password, "csrf_token": token},
        headers=headers,
        follow_redirects=False,
    )
    return r.status_code


def test_twelve_guesses_with_rotating_forwarded_for_get_429_after_five(accounts_store) -> None:
    app = create_app(accounts_store, TEST_SECRET)
    with TestClient(app) as c:
        codes = [_guess(c, "admin", f"guess-{i}", xff=f"203.0.113.{i}") for i in range(12)]
        assert codes == [401] * 5 + [429] * 7
        # the API from the same address counts with the page: blocked too, even the right password
        r = c.post("/api/token", json={"username": "admin", "password": PASSWORDS["admin"]})
        assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    with accounts_store.session() as s:
        failed = s.scalars(select(AuditRow).where(AuditRow.action == "login-failed")).all()
        assert len(failed) == 5 and {f.address for f in failed} == {"testclient"}


def test_page_and_api_failures_count_together_and_survive_a_restart(accounts_store) -> None:
    with TestClient(create_app(accounts_store, TEST_SECRET)) as c:
        for i in range(3):
            assert _guess(c, "clinician", f"wrong-{i}") == 401
        for i in range(2):
            r = c.post("/api/token", json={"username": "clinician", "password": f"no-{i}"})
            assert r.status_code == 401
    # a restart (a new application on the same database) does not forget them
    with TestClient(create_app(accounts_store, TEST_SECRET)) as c:
        assert _guess(c, "clinician", PASSWORDS["clinician"]) == 429
        r = c.post("/api/token", json={"username": "clinician", "password": "no-3"})
        assert r.status_code == 429


def test_behind_a_trusted_proxy_the_account_limit_stops_many_addresses_but_not_the_user(
    accounts_store,
) -> None:
    """With --forwarded-allow-ips the proxy's X-Forwarded-For names the client: guesses from
    many addresses hit the per-account limit, yet the user's own address still gets in."""
    settings = WebSettings(forwarded_allow_ips=("testclient",))
    with TestClient(create_app(accounts_store, TEST_SECRET, settings)) as c:
        assert _guess(c, "admin", PASSWORDS["admin"], xff="198.51.100.7") == 303
        codes = [_guess(c, "admin", f"guess-{i}", xff=f"203.0.113.{i}") for i in range(12)]
        assert codes == [401] * limiter.MAX_PER_ACCOUNT + [429] * 2
        # an address that never logged in to admin is blocked even with the right password
        assert _guess(c, "admin", PASSWORDS["admin"], xff="203.0.113.200") == 429
        # the real administrator, from the address they log in from, is not locked out
        assert _guess(c, "admin", PASSWORDS["admin"], xff="198.51.100.7") == 303
    # without the trusted proxy the same header is ignored: the peer address is used
    with TestClient(create_app(accounts_store, TEST_SECRET)) as c:
        c.get("/login")
        assert _guess(c, "clinician", "x", xff="198.51.100.7") == 401
    with accounts_store.session() as s:
        last = s.scalars(select(AuditRow).order_by(AuditRow.id.desc())).first()
        assert last.action == "login-failed" and last.address == "testclient"


def test_a_real_server_ignores_forwarded_for_from_localhost(accounts_store) -> None:
    """uvicorn trusts X-Forwarded-For from 127.0.0.1 by default; psoreg's server configuration
    does not, so rotating the header over a real connection does not reset the count."""
    app = create_app(accounts_store, TEST_SECRET)
    with running(app) as base, httpx.Client(base_url=base) as c:
        codes = []
        for i in range(12):
            xff = {"X-Forwarded-For": f"203.0.113.{i}"}
            token = csrf_of(c.get("/login", headers=xff).text)
            r = c.post(
                "/login",
                data={"username": "admin", "password": f"guess-{i}", "csrf_token": token},
                headers=xff,
            )
            codes.append(r.status_code)
        assert codes == [401] * 5 + [429] * 7
        assert "server" not in c.get("/login").headers


@pytest.mark.parametrize("parallel", [8])
def test_parallel_guesses_are_counted(accounts_store, parallel: int) -> None:
    """Attempts are recorded before the password is checked: a burst gets at most 5 checks."""
    from concurrent.futures import ThreadPoolExecutor

    from psoreg.accounts.users import login

    def attempt(i: int) -> bool:
        result = login(accounts_store, "analyst", f"g{i}", address="192.0.2.9", channel="api")
        return result.blocked

    with ThreadPoolExecutor(parallel) as pool:
        blocked = list(pool.map(attempt, range(parallel)))
    assert blocked.count(False) <= limiter.MAX_PER_ADDRESS
    assert blocked.count(True) >= parallel - limiter.MAX_PER_ADDRESS

"""Sessions that end and tokens that can be revoked (issue 10), on SQLite and PostgreSQL.

Each test replays what an attacker holding a stolen cookie or token would send, after the
event that must end it: logout, a restart, a password change or reset, a deactivation, a role
change, an administrator's revocation, the idle timeout, a token's expiry or revocation.
"""

from __future__ import annotations

import datetime as dt

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from psoreg.store.models import ApiToken, AuthSession, utcnow
from psoreg.web import create_app
from tests.web_conftest import PASSWORDS, TEST_SECRET, csrf_of, login


@pytest.fixture
def app(accounts_store):
    return create_app(accounts_store, TEST_SECRET)


def _logged_in(client: TestClient) -> bool:
    r = client.get("/patients", follow_redirects=False)
    if r.status_code == 303:
        assert r.headers["location"] == "/login"
        return False
    assert r.status_code == 200
    return True


def _cookies(client: TestClient) -> str:
    return client.cookies["psoreg_session"]


def _with(app, cookie: str) -> TestClient:
    """A client sending a saved session cookie (as a thief replaying it would)."""
    c = TestClient(app)
    c.cookies.set("psoreg_session", cookie, domain="testserver.local")
    return c


def _token(client: TestClient, role: str, **extra) -> str:
    r = client.post("/api/token", json={"username": role, "password": PASSWORDS[role], **extra})
    assert r.status_code == 200, r.text
    return r.json()["token"]


def _api_ok(client: TestClient, token: str) -> bool:
    r = client.get("/api/export/patients", headers={"Authorization": f"Bearer {token}"})
    assert r.status_code in (200, 401), r.text
    return r.status_code == 200


def test_a_cookie_replayed_after_logout_gets_the_login_page(app, accounts_store) -> None:
    with TestClient(app) as victim:
        token = login(victim, "clinician")
        stolen = _cookies(victim)
        assert victim.post("/logout", data={"csrf_token": token}).status_code == 200
        assert not _logged_in(victim)
    with _with(app, stolen) as thief:
        assert not _logged_in(thief)
    # ... and after a restart of the server (a new application on the same database)
    with _with(create_app(accounts_store, TEST_SECRET), stolen) as thief:
        assert not _logged_in(thief)


def test_a_session_survives_a_restart_until_it_is_ended(app, accounts_store) -> None:
    with TestClient(app) as c:
        login(c, "analyst")
        kept = _cookies(c)
    with _with(create_app(accounts_store, TEST_SECRET), kept) as c:
        assert _logged_in(c)


def test_the_session_id_changes_at_login(app) -> None:
    """A cookie planted before login (session fixation) never becomes a logged-in session."""
    with TestClient(app) as attacker:
        attacker.get("/login")
        planted = _cookies(attacker)
    with _with(app, planted) as victim:
        login(victim, "clinician")
        assert victim.cookies["psoreg_session"] != planted
    with _with(app, planted) as attacker:
        assert not _logged_in(attacker)


def test_password_change_ends_other_sessions_and_tokens(app) -> None:
    with TestClient(app) as laptop, TestClient(app) as phone:
        token = login(laptop, "clinician")
        login(phone, "clinician")
        api = _token(laptop, "clinician")
        weak = {"current_password": PASSWORDS["clinician"], "csrf_token": token}
        r = laptop.post(
            "/account/password", data={**weak, "password": "clinician1", "password2": "clinician1"}
        )
        assert r.status_code == 422 and 'data-error-for="password"' in r.text
        assert _logged_in(phone) and _api_ok(laptop, api)
        new = "saffron-glacier-pillow-82"
        r = laptop.post("/account/password", data={**weak, "password": new, "password2": new})
        assert r.status_code == 200 and "Password changed" in r.text
        assert _logged_in(laptop)  # the session that changed it goes on
        assert not _logged_in(phone)
        assert not _api_ok(laptop, api)
        wrong_current = {"current_password": "nope", "password": new + "x", "password2": new + "x"}
        r = laptop.post("/account/password", data={**wrong_current, "csrf_token": token})
        assert r.status_code == 422 and 'data-error-for="current_password"' in r.text


def test_deactivation_reset_and_role_change_end_sessions_and_tokens(app) -> None:
    with TestClient(app) as admin, TestClient(app) as clin, TestClient(app) as ana:
        admin_token = login(admin, "admin")
        login(clin, "clinician")
        login(ana, "analyst")
        api = _token(clin, "clinician")
        r = admin.post("/admin/users/clinician/deactivate", data={"csrf_token": admin_token})
        assert r.status_code == 200 and "clinician deactivated" in r.text
        assert not _logged_in(clin) and not _api_ok(clin, api)
        token = csrf_of(clin.get("/login").text)
        r = clin.post(
            "/login",
            data={"username": "clinician", "password": PASSWORDS["clinician"], "csrf_token": token},
        )
        assert r.status_code == 401
        # a reset shows a new random password once and ends the analyst's session
        r = admin.post("/admin/users/analyst/reset", data={"csrf_token": admin_token})
        new_password = r.text.split('id="new-password">')[1].split("<")[0]
        assert len(new_password) >= 12 and not _logged_in(ana)
        token = csrf_of(ana.get("/login").text)
        r = ana.post(
            "/login",
            data={"username": "analyst", "password": new_password, "csrf_token": token},
            follow_redirects=False,
        )
        assert r.status_code == 303 and _logged_in(ana)
        # a role change ends the sessions too: the user logs in again with the new role
        r = admin.post(
            "/admin/users/analyst/role", data={"role": "clinician", "csrf_token": admin_token}
        )
        assert r.status_code == 200 and not _logged_in(ana)
        # the last active administrator can be neither demoted nor deactivated
        r = admin.post(
            "/admin/users/admin/role", data={"role": "analyst", "csrf_token": admin_token}
        )
        assert r.status_code == 422 and "last active administrator" in r.text
        assert _logged_in(admin)


def test_an_admin_lists_and_revokes_any_session(app, accounts_store) -> None:
    with TestClient(app) as admin, TestClient(app) as clin:
        admin_token = login(admin, "admin")
        login(clin, "clinician")
        api = _token(clin, "clinician", name="nightly export")
        page = admin.get("/admin/sessions").text
        assert 'data-user="clinician"' in page and "nightly export" in page
        with accounts_store.session() as s:
            sid = s.scalar(
                AuthSession.__table__.select()
                .with_only_columns(AuthSession.id)
                .where(AuthSession.user_id == 2)
            )
            tid = s.scalar(ApiToken.__table__.select().with_only_columns(ApiToken.id))
        admin.post(f"/admin/sessions/{sid}/revoke", data={"csrf_token": admin_token})
        admin.post(f"/admin/tokens/{tid}/revoke", data={"csrf_token": admin_token})
        assert not _logged_in(clin) and not _api_ok(clin, api)
        assert _logged_in(admin)
        # non-admins may not see the page
        login(clin, "clinician")
        assert clin.get("/admin/sessions").status_code == 403


def test_an_idle_session_ends(app, accounts_store) -> None:
    with TestClient(app) as c:
        login(c, "clinician")
        with accounts_store.session() as s:
            s.execute(update(AuthSession).values(last_seen_at=utcnow() - dt.timedelta(hours=1)))
        assert not _logged_in(c)


def test_api_tokens_are_scoped_expiring_and_revocable(app, accounts_store) -> None:
    with TestClient(app) as c:
        r = c.post(
            "/api/token",
            json={"username": "analyst", "password": PASSWORDS["analyst"], "scopes": ["write"]},
        )
        assert r.status_code == 422 and "scopes" in r.json()["errors"]
        read_only = _token(c, "clinician", scopes=["read"])
        h = {"Authorization": f"Bearer {read_only}"}
        r = c.post("/api/patients", json={"data": {"patient_id": "P1"}}, headers=h)
        assert r.status_code == 403 and "write" in r.json()["detail"]
        assert c.get("/api/export/patients", headers=h).status_code == 403
        full = _token(c, "clinician")
        hf = {"Authorization": f"Bearer {full}"}
        r = c.post("/api/patients", json={"data": {"patient_id": "P1"}}, headers=hf)
        assert r.status_code == 201
        assert c.get(f"/api/patients/{r.json()['id']}", headers=h).status_code == 200
        # expiry
        with accounts_store.session() as s:
            s.execute(update(ApiToken).values(expires_at=utcnow() - dt.timedelta(seconds=1)))
        assert c.get("/api/export/patients", headers=hf).status_code == 401
        # revocation by the token itself
        again = _token(c, "clinician", expires_in_hours=2)
        ha = {"Authorization": f"Bearer {again}"}
        assert c.delete("/api/token", headers=ha).json() == {"revoked": True}
        assert c.get("/api/export/patients", headers=ha).status_code == 401
        # a token longer than 90 days is refused
        r = c.post(
            "/api/token",
            json={
                "username": "clinician",
                "password": PASSWORDS["clinician"],
                "expires_in_hours": 24 * 91,
            },
        )
        assert r.status_code == 422


def test_tokens_created_and_revoked_on_the_account_page(app) -> None:
    with TestClient(app) as c:
        csrf = login(c, "analyst")
        page = c.post(
            "/account/tokens",
            data={"name": "R script", "scopes": "export", "days": "7", "csrf_token": csrf},
        ).text
        token = page.split('id="token-value">')[1].split("<")[0]
        assert token.startswith("psr_") and "R script" in page
        assert _api_ok(c, token)
        # shown once: the account page does not show it again
        assert token not in c.get("/account").text
        tid = page.split("/account/tokens/")[1].split("/revoke")[0]
        c.post(f"/account/tokens/{tid}/revoke", data={"csrf_token": csrf})
        assert not _api_ok(c, token)

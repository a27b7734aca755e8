"""The password policy (issue 10): the weak passwords the issue found accepted are refused,
with a reason; strong ones pass. Through the policy itself and the administrator's page."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from psoreg.accounts import passwords
from psoreg.web import create_app
from tests.web_conftest import TEST_SECRET, login

WEAK = {
    "password": "at least 12 characters",
    "12345678": "at least 12 characters",
    " " * 8: "at least 12 characters",
    " " * 12: "only spaces",
    "nurse.jones": "at least 12 characters",
    "nurse.jones-2024": "user name",
    "Nurse.Jones!!": "user name",
    "passwordpassword": "too easy to guess",
    "123456789012": "too easy to guess",
    "qwertyuiop12": "too easy to guess",
    "psoriasis2024": "too easy to guess",
}


@pytest.mark.parametrize("weak", list(WEAK))
def test_weak_passwords_are_refused_with_a_reason(weak: str) -> None:
    found = passwords.problems(weak, "nurse.jones")
    assert found and WEAK[weak] in found[0], found


def test_strong_and_generated_passwords_pass() -> None:
    for strong in ("violet-kettle-summit-63", "correct horse battery staple", passwords.generate()):
        assert passwords.problems(strong, "nurse.jones") == []
    assert passwords.problems("x" * 257, "a") == ["at most 256 characters (got 257)"]


@pytest.fixture
def backend() -> str:
    """This does not depend on the database: SQLite only (a copy of the migrated template)."""
    return "sqlite"


def test_the_users_page_refuses_them(accounts_store) -> None:
    with TestClient(create_app(accounts_store, TEST_SECRET)) as c:
        token = login(c, "admin")
        for weak in ("password", "12345678", " " * 8, "nurse.jones-2024"):
            r = c.post(
                "/admin/users",
                data={
                    "username": "nurse.jones",
                    "password": weak,
                    "role": "clinician",
                    "csrf_token": token,
                },
            )
            assert r.status_code == 422 and 'data-error-for="password"' in r.text, weak
        assert 'data-user="nurse.jones"' not in c.get("/admin/users").text

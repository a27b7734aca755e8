"""``psoreg users`` and the documented start-up of a new site (issue 10).

The PostgreSQL start-up is run as the README documents it, with real processes: ``psoreg
users add`` creates the first administrator, ``psoreg serve --db postgresql+psycopg://…``
serves the registry, and the administrator logs in over HTTP. The database URL carries a
password, which must never be printed.
"""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

from psoreg.cli import app as cli
from tests.web_conftest import TEST_SECRET, csrf_of

runner = CliRunner()
PSOREG = [str(Path(sys.executable).parent / "psoreg")]


def _site(tmp_path: Path) -> list[str]:
    folder = tmp_path / "site"
    folder.mkdir(exist_ok=True)
    (folder / "secret.key").write_text(TEST_SECRET)
    return ["--data", str(folder)]


def _users(*args: str, stdin: str | None = None):
    return runner.invoke(cli, ["users", *args], input=stdin)


def _login(base: str, user: str, password: str) -> int:
    with httpx.Client(base_url=base) as c:
        token = csrf_of(c.get("/login").text)
        r = c.post("/login", data={"username": user, "password": password, "csrf_token": token})
        return r.status_code


def test_users_commands(store_url: str, tmp_path: Path) -> None:
    site = [*_site(tmp_path), "--db", store_url]
    r = _users("add", "Chief", "--role", "admin", *site)
    assert r.exit_code == 0, r.output
    assert "Created chief (admin)" in r.output and "shown once" in r.output
    password = r.output.strip().splitlines()[-1]
    assert len(password) >= 12
    # the policy applies on the command line too, naming the field
    for weak in ("password", "12345678", " " * 12, "nurse-nurse-nurse", "short"):
        r = _users("add", "nurse", "--role", "clinician", "--password-stdin", *site, stdin=weak)
        assert r.exit_code == 2 and "password:" in r.output, weak
    r = _users("add", "NURSE", *site, "--password-stdin", stdin="amber-violin-crater-55\n")
    assert r.exit_code == 0 and "shown once" not in r.output
    assert _users("add", "nurse", *site).exit_code == 2  # unique whatever the case
    assert "no user" in _users("role", "ghost", "analyst", *site).output
    assert _users("role", "nurse", "analyst", *site).exit_code == 0
    assert _users("deactivate", "nurse", *site).exit_code == 0
    listing = _users("list", *site).output
    assert re.search(r"nurse\s+│\s+analyst\s+│\s+no", listing), listing
    assert _users("activate", "nurse", *site).exit_code == 0
    r = _users("reset", "nurse", *site)
    assert r.exit_code == 0 and "shown once" in r.output
    # the last administrator stays
    r = _users("deactivate", "chief", *site)
    assert r.exit_code == 2 and "last active administrator" in r.output
    r = runner.invoke(cli, ["audit", "verify", *site])
    assert r.exit_code == 0 and "Audit trail intact" in r.output
    with_actor = runner.invoke(cli, ["audit", "verify", *site]).output
    assert "Head:" in with_actor


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _serve(args: list[str], port: int) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [*PSOREG, "serve", *args, "--port", str(port)],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        env={**os.environ, "COLUMNS": "200"},
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while True:
        assert proc.poll() is None, proc.stdout.read()
        try:
            httpx.get(f"{base}/login", timeout=1)
            return proc, base
        except httpx.TransportError:
            assert time.monotonic() < deadline, "psoreg serve did not start"
            time.sleep(0.2)


def _stop(proc: subprocess.Popen) -> str:
    proc.terminate()
    try:
        out, _ = proc.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        out, _ = proc.communicate()
    return out


def test_the_documented_postgresql_start_up_reaches_a_working_admin_login(
    pg_server, tmp_path: Path
) -> None:
    url = pg_server.fresh().replace("postgres@", "postgres:Db-Pa55word-Hidden@")
    site = _site(tmp_path)
    port = _free_port()
    # a registry nobody can log in to says how to create the first administrator
    proc, base = _serve(["--db", url, *site, "--no-demo"], port)
    out = _stop(proc)
    assert "psoreg users add NAME --role admin" in out and "Db-Pa55word-Hidden" not in out
    assert "postgres:***@" in out
    # the documented start-up
    setup = subprocess.run(
        [*PSOREG, "users", "add", "admin", "--role", "admin", "--db", url, *site],
        capture_output=True,
        text=True,
        check=True,
    )
    password = setup.stdout.strip().splitlines()[-1]
    assert "Db-Pa55word-Hidden" not in setup.stdout + setup.stderr
    proc, base = _serve(["--db", url, *site], port)
    try:
        assert _login(base, "admin", "wrong password") == 401
        with httpx.Client(base_url=base) as c:
            token = csrf_of(c.get("/login").text)
            r = c.post(
                "/login", data={"username": "admin", "password": password, "csrf_token": token}
            )
            assert r.status_code == 303 and r.headers["location"] == "/patients"
            page = c.get("/admin/users")
            assert page.status_code == 200 and 'data-user="admin"' in page.text
            assert "server" not in page.headers
    finally:
        out = _stop(proc)
    assert "Db-Pa55word-Hidden" not in out, out


def test_demo_only_with_demo_and_its_passwords_printed_once(tmp_path: Path) -> None:
    data = tmp_path / "data"
    port = _free_port()
    proc, base = _serve(["--data", str(data)], port)
    out = _stop(proc)
    assert "Seeded" not in out and "No accounts yet" in out
    proc, base = _serve(["--data", str(data), "--demo"], port)
    try:
        out_first = ""
        with httpx.Client(base_url=base) as c:
            token = csrf_of(c.get("/login").text)
            r = c.post(
                "/login",
                data={"username": "admin", "password": "admin-demo-pw", "csrf_token": token},
            )
            assert r.status_code == 401  # the old published demo password is gone
    finally:
        out_first = _stop(proc)
    assert "Seeded 5 demo patients" in out_first
    passwords = dict(
        re.findall(r"^\s+(\w+) / (\S+)\s+\((?:admin|clinician|analyst)\)", out_first, re.M)
    )
    assert set(passwords) == {"admin", "clinician", "analyst"}
    proc, base = _serve(["--data", str(data), "--demo"], port)
    try:
        assert _login(base, "clinician", passwords["clinician"]) == 303
    finally:
        out_again = _stop(proc)
    assert "Demo accounts exist already" in out_again
    assert not any(pw in out_again for pw in passwords.values())


@pytest.fixture
def store_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'registry.sqlite3'}"

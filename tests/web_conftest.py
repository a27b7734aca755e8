"""Fixtures of the store, web and end-to-end tests (loaded with ``pytest_plugins``).

``store`` is parametrized over SQLite and PostgreSQL. The PostgreSQL server is real: the
session starts one from the installed binaries (``initdb``/``pg_ctl``, see
``scripts/deps/postgresql.sh``) in a temporary folder, listening only on a Unix socket there,
as the ``postgres`` user when the tests run as root (the server refuses to run as root).

Each test gets a fresh database copied from a template made once per session: a migrated empty
one (``store``, ``store_url``) or one already holding the demo cohort, its stored outcomes and
one account per role (``seeded_store``). On SQLite the template is a file, copied; on
PostgreSQL a template database (``CREATE DATABASE … TEMPLATE``). Seeding through the service
layer and hashing three passwords per test was most of the web suite's time.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text

from psoreg.store.db import Store, make_engine, migrate, open_store

#: the site secret of the tests' stores and apps (keys the audit chain, pseudonyms, cookies)
TEST_SECRET = "test-secret-not-for-production-0123456789"


def _as_postgres(cmd: list[str]) -> list[str]:
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *cmd]
    return cmd


class PgServer:
    """A throw-away PostgreSQL server on a Unix socket in its own folder."""

    def __init__(self, max_connections: int = 50) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="psoreg-pg-"))
        self.data = self.root / "data"
        self._ids = itertools.count(1)
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
        run = {"check": True, "capture_output": True, "text": True}
        subprocess.run(
            _as_postgres(["initdb", "-D", str(self.data), "-A", "trust", "-U", "postgres"]), **run
        )
        opts = f"-k {self.root} -c listen_addresses='' -F -c max_connections={max_connections}"
        log = self.root / "server.log"
        subprocess.run(
            _as_postgres(
                ["pg_ctl", "-D", str(self.data), "-o", opts, "-l", str(log), "-w", "start"]
            ),
            **run,
        )
        self.admin = create_engine(self.url("postgres"), isolation_level="AUTOCOMMIT")
        with self.admin.connect() as c:
            c.execute(text("CREATE DATABASE psoreg_template"))
        engine = make_engine(self.url("psoreg_template"))
        migrate(engine, secret=TEST_SECRET)
        engine.dispose()

    def url(self, db: str) -> str:
        return f"postgresql+psycopg://postgres@/{db}?host={self.root}"

    def fresh(self, template: str = "psoreg_template") -> str:
        name = f"psoreg_t{next(self._ids)}"
        with self.admin.connect() as c:
            c.execute(text(f"CREATE DATABASE {name} TEMPLATE {template}"))
        return self.url(name)

    def seeded_template(self) -> str:
        """The name of a template database holding the demo cohort (made on first use)."""
        if not getattr(self, "_seeded", None):
            with self.admin.connect() as c:
                c.execute(text("CREATE DATABASE psoreg_seeded TEMPLATE psoreg_template"))
            _seed(self.url("psoreg_seeded"))
            self._seeded = "psoreg_seeded"
        return self._seeded

    def stop(self) -> None:
        self.admin.dispose()
        subprocess.run(
            _as_postgres(["pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    if shutil.which("initdb") is None or shutil.which("pg_ctl") is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL server binaries missing: run scripts/deps/postgresql.sh")
        pytest.skip("PostgreSQL server binaries (initdb, pg_ctl) not installed")
    server = PgServer()
    try:
        yield server
    finally:
        server.stop()


def _seed(url: str) -> None:
    """The demo cohort (with its stored outcomes) and one account per role."""
    from psoreg.accounts.users import add_user
    from psoreg.store.seed import seed_visit_cohort

    store = open_store(url, upgrade=False, secret=TEST_SECRET)
    try:
        with store.session() as s:
            for role, pw in PASSWORDS.items():
                add_user(s, role, pw, role, by="setup")
            seed_visit_cohort(s)
    finally:
        store.close()


@pytest.fixture(scope="session")
def sqlite_templates(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A migrated empty SQLite file and a seeded one, made once, copied by each test."""
    folder = tmp_path_factory.mktemp("sqlite-templates")
    empty, seeded = folder / "empty.sqlite3", folder / "seeded.sqlite3"
    engine = make_engine(f"sqlite:///{empty}")
    migrate(engine, secret=TEST_SECRET)
    engine.dispose()  # the last connection closes: WAL checkpointed into the file
    shutil.copyfile(empty, seeded)
    _seed(f"sqlite:///{seeded}")
    return {"empty": empty, "seeded": seeded}


@pytest.fixture(params=["sqlite", "postgresql"])
def backend(request: pytest.FixtureRequest) -> str:
    return request.param


def _fresh_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path, kind: str) -> str:
    if backend == "sqlite":
        path = tmp_path / f"{kind}-registry.sqlite3"
        shutil.copyfile(request.getfixturevalue("sqlite_templates")[kind], path)
        return f"sqlite:///{path}"
    server = request.getfixturevalue("pg_server")
    return server.fresh() if kind == "empty" else server.fresh(server.seeded_template())


@pytest.fixture
def store_url(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> str:
    """A fresh, migrated database URL on each backend."""
    return _fresh_url(request, backend, tmp_path, "empty")


@pytest.fixture
def store(store_url: str) -> Iterator[Store]:
    s = open_store(store_url, upgrade=False, secret=TEST_SECRET)
    try:
        yield s
    finally:
        s.close()


# --- web -------------------------------------------------------------------------------------

PASSWORDS = {
    "admin": "quartz-heron-lantern-91",
    "clinician": "maple-orbit-tundra-47",
    "analyst": "cobalt-fennel-harbor-28",
}


@pytest.fixture
def seeded_store(request: pytest.FixtureRequest, backend: str, tmp_path: Path) -> Iterator[Store]:
    """A fresh store with the demo cohort and one account per role (from the template)."""
    s = open_store(
        _fresh_url(request, backend, tmp_path, "seeded"), upgrade=False, secret=TEST_SECRET
    )
    try:
        yield s
    finally:
        s.close()


@pytest.fixture
def accounts_store(store: Store) -> Store:
    """The store with one account per role and no patients (for the security tests)."""
    from psoreg.accounts.users import add_user

    with store.session() as s:
        for role, pw in PASSWORDS.items():
            add_user(s, role, pw, role, by="setup")
    return store


@pytest.fixture
def web_app(seeded_store: Store):
    from psoreg.web import create_app

    return create_app(seeded_store, TEST_SECRET)


def csrf_of(html: str) -> str:
    import re

    m = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert m, "no CSRF token on the page"
    return m.group(1)


def login(client, role: str, username: str | None = None) -> str:
    """Log ``client`` in as the account of ``role`` (or ``username``, an account made with
    ``role``'s password); returns the session's CSRF token."""
    token = csrf_of(client.get("/login").text)
    r = client.post(
        "/login",
        data={"username": username or role, "password": PASSWORDS[role], "csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    return csrf_of(client.get("/patients").text)


# --- live servers and the browser ------------------------------------------------------------

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@contextmanager
def running(app) -> Iterator[str]:
    """``app`` served by uvicorn as ``psoreg serve`` configures it, on a free port of
    127.0.0.1, in a thread; yields its base URL and stops it afterwards."""
    import threading
    import time

    import uvicorn

    from psoreg.web.run import server_config

    server = uvicorn.Server(server_config(app, "127.0.0.1", 0))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(10)


@pytest.fixture
def live_url(web_app) -> Iterator[str]:
    """The test's ``web_app`` served on a free port (see :func:`running`)."""
    with running(web_app) as url:
        yield url


@pytest.fixture(scope="module")
def browser() -> Iterator:
    """One chromium for the whole module; each test opens its own context (cookies, storage)."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()

"""Starting the application: the site secret, the demo (only with ``--demo``) and its accounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fastapi import FastAPI
from sqlalchemy import func, select

from psoreg.accounts.passwords import generate
from psoreg.accounts.users import add_user
from psoreg.store import audit, open_store
from psoreg.store.db import locate, masked, site_secret
from psoreg.store.models import User
from psoreg.store.seed import is_empty, seed_visit_cohort
from psoreg.web.app import WebSettings, create_app

#: the demo's accounts (user name, role); their passwords are random, printed once
DEMO_USERS = (("admin", "admin"), ("clinician", "clinician"), ("analyst", "analyst"))


@dataclass
class Started:
    app: FastAPI
    #: the database URL with any password masked (safe to print)
    url: str
    folder: Path
    seeded: int
    #: (user, password, role) of demo accounts created now - shown once, never again
    demo_users: tuple[tuple[str, str, str], ...]
    has_users: bool
    #: the database URL itself, for this process's workers only (never printed or logged)
    db_url: str = ""
    #: patients whose stored outcomes were missing or stale and were recomputed at start-up
    refreshed: int = 0


def build(
    db: str | None,
    data: Path | None,
    demo: bool = False,
    settings: WebSettings | None = None,
) -> Started:
    """Open (migrate) the database; with ``demo``, on an empty database, load the demo patients
    and create the demo accounts with random passwords; bring the stored outcomes up to date,
    compile the outcome query, and create the app."""
    from psoreg.outcomes.compiled import warm
    from psoreg.store.outcome_table import refresh_stale

    url, folder = locate(db, data)
    secret = site_secret(folder)
    store = open_store(url, secret=secret)
    with store.read_connection() as conn:  # a wrong secret.key stops here, not at a first write
        audit.require_key(conn, secret)
    warm(store.options)
    seeded, created = 0, []
    with store.session() as s:
        no_users = not s.scalar(select(func.count()).select_from(User))
        if demo and no_users:
            for name, role in DEMO_USERS:
                password = generate()
                add_user(s, name, password, role, by="setup")
                created.append((name, password, role))
        if demo and is_empty(s):
            seeded = seed_visit_cohort(s)
        has_users = bool(created) or not no_users
    refreshed = refresh_stale(store)
    app = create_app(store, secret, settings)
    return Started(
        app=app,
        url=masked(url),
        folder=folder,
        seeded=seeded,
        demo_users=tuple(created),
        has_users=has_users,
        db_url=url,
        refreshed=refreshed,
    )


def server_options(host: str, port: int, **kw: Any) -> dict[str, Any]:
    """uvicorn's settings for psoreg: no ``server`` banner, no proxy headers (the app believes
    them only from ``--forwarded-allow-ips``), warnings only (no access log, so no query string
    is ever logged)."""
    return {
        "host": host,
        "port": port,
        "log_level": "warning",
        "access_log": False,
        "server_header": False,
        "proxy_headers": False,
        "forwarded_allow_ips": "",
        **kw,
    }


def server_config(app: FastAPI, host: str, port: int, **kw: Any):  # noqa: ANN201
    """A uvicorn configuration of :func:`server_options` for ``app`` in this process."""
    import uvicorn

    return uvicorn.Config(app, **server_options(host, port, **kw))


def run_server(
    started: Started,
    host: str,
    port: int,
    workers: int | None = None,
    settings: WebSettings | None = None,
    **kw: Any,
) -> None:
    """Serve ``started`` with uvicorn (uvloop and httptools when installed).

    ``workers`` processes (default: the number of CPU cores) each run
    :func:`psoreg.web.asgi.app_from_environment` with the same database, data folder (its
    ``secret.key``) and ``settings``; with 1 the application runs in this process.
    """
    import os

    import uvicorn

    from psoreg.web.asgi import DATA_VAR, DB_VAR, SETTINGS_VAR, settings_to_env

    workers = workers or os.cpu_count() or 1
    if workers == 1:
        uvicorn.Server(server_config(started.app, host, port, **kw)).run()
        return
    started.app.state.store.close()  # the workers open their own connections
    os.environ[DB_VAR] = started.db_url
    os.environ[DATA_VAR] = str(started.folder)
    os.environ[SETTINGS_VAR] = settings_to_env(settings or WebSettings())
    uvicorn.run(
        "psoreg.web.asgi:app_from_environment",
        factory=True,
        workers=workers,
        **server_options(host, port, **kw),
    )

"""Starting the application: the site secret, the demo seed and the demo accounts."""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select

from psoreg.store import open_store
from psoreg.store.db import data_dir, default_url
from psoreg.store.models import User
from psoreg.store.seed import is_empty, seed_visit_cohort
from psoreg.web.app import create_app
from psoreg.web.users import add_user

#: demo accounts created with the demo database (change or disable them on a real site)
DEMO_USERS = (
    ("admin", "admin-demo-pw", "admin"),
    ("clinician", "clinician-demo-pw", "clinician"),
    ("analyst", "analyst-demo-pw", "analyst"),
)


@dataclass
class Started:
    app: FastAPI
    url: str
    seeded: int
    demo_users: tuple[tuple[str, str, str], ...]
    folder: Path
    #: patients whose stored outcomes were missing or stale and were recomputed at start-up
    refreshed: int = 0


def site_secret(folder: Path) -> str:
    """The secret in ``folder/secret.key``, created on first run (keep it with the data)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def build(db: str | None, data: Path | None, demo: bool = True) -> Started:
    """Open (migrate) the database, seed the demo on an empty one, bring the stored outcomes
    up to date, compile the outcome query, and create the app."""
    from psoreg.outcomes.compiled import warm
    from psoreg.store.outcome_table import refresh_stale

    folder = data or data_dir()
    url = db or default_url(folder)
    store = open_store(url)
    warm(store.options)
    seeded, users = 0, ()
    with store.session() as s:
        no_users = not s.scalar(select(func.count()).select_from(User))
        if demo and no_users:
            for name, pw, role in DEMO_USERS:
                add_user(s, name, pw, role, by="setup")
            users = DEMO_USERS
        if demo and is_empty(s):
            seeded = seed_visit_cohort(s)
    refreshed = refresh_stale(store)
    app = create_app(store, site_secret(folder))
    return Started(
        app=app, url=url, seeded=seeded, demo_users=users, folder=folder, refreshed=refreshed
    )


def run_server(started: Started, host: str, port: int, workers: int | None = None) -> None:
    """Serve ``started`` with uvicorn (uvloop and httptools when installed).

    ``workers`` processes (default: the number of CPU cores) each run
    :func:`psoreg.web.asgi.app_from_environment`; with 1 the application runs in this process.
    """
    import os

    import uvicorn

    from psoreg.web.asgi import DATA_VAR, DB_VAR

    workers = workers or os.cpu_count() or 1
    common = {"host": host, "port": port, "log_level": "warning", "server_header": False}
    if workers == 1:
        uvicorn.run(started.app, **common)
        return
    started.app.state.store.close()  # the workers open their own connections
    os.environ[DB_VAR] = started.url
    os.environ[DATA_VAR] = str(started.folder)
    uvicorn.run("psoreg.web.asgi:app_from_environment", factory=True, workers=workers, **common)

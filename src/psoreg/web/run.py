"""Starting the application: the site secret, the demo (only with ``--demo``) and its accounts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from fastapi import FastAPI
from sqlalchemy import func, select

from psoreg.accounts.passwords import generate
from psoreg.accounts.users import add_user
from psoreg.store import open_store
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


def build(
    db: str | None,
    data: Path | None,
    demo: bool = False,
    settings: WebSettings | None = None,
) -> Started:
    """Open (migrate) the database and create the app; with ``demo``, on an empty database,
    load the demo patients and create the demo accounts with random passwords."""
    url, folder = locate(db, data)
    secret = site_secret(folder)
    store = open_store(url, secret=secret)
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
    app = create_app(store, secret, settings)
    return Started(
        app=app,
        url=masked(url),
        folder=folder,
        seeded=seeded,
        demo_users=tuple(created),
        has_users=has_users,
    )


def server_config(app: FastAPI, host: str, port: int, **kw: object):  # noqa: ANN201
    """uvicorn's configuration for psoreg: no ``server`` banner, no proxy headers (the app
    believes them only from ``--forwarded-allow-ips``), warnings only (no access log, so no
    query string is ever logged)."""
    import uvicorn

    return uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        access_log=False,
        server_header=False,
        proxy_headers=False,
        forwarded_allow_ips="",
        **kw,
    )

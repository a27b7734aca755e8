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


def site_secret(folder: Path) -> str:
    """The secret in ``folder/secret.key``, created on first run (keep it with the data)."""
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret.key"
    if not path.exists():
        path.write_text(secrets.token_urlsafe(48))
        path.chmod(0o600)
    return path.read_text().strip()


def build(db: str | None, data: Path | None, demo: bool = True) -> Started:
    """Open (migrate) the database, seed the demo on an empty one, and create the app."""
    folder = data or data_dir()
    url = db or default_url(folder)
    store = open_store(url)
    seeded, users = 0, ()
    with store.session() as s:
        no_users = not s.scalar(select(func.count()).select_from(User))
        if demo and no_users:
            for name, pw, role in DEMO_USERS:
                add_user(s, name, pw, role, by="setup")
            users = DEMO_USERS
        if demo and is_empty(s):
            seeded = seed_visit_cohort(s)
    app = create_app(store, site_secret(folder))
    return Started(app=app, url=url, seeded=seeded, demo_users=users)

"""The application for ASGI server workers: ``psoreg serve --workers N`` runs N processes of
uvicorn, each calling :func:`app_from_environment`.

The parent process (:func:`psoreg.web.run.build`) migrates the database, seeds the demo,
refreshes stale stored outcomes and compiles the outcome query once; each worker then only opens
the database (no migration) and reads the compiled query from the cache folder, so it starts
without building a single Ibis expression. The parent passes the database URL and the data
folder to the workers in ``PSOREG_SERVE_DB`` and ``PSOREG_SERVE_DATA``, and ``psoreg serve``'s
web settings (HTTPS, trusted proxies, session lifetimes) as JSON in ``PSOREG_SERVE_SETTINGS``.

Run it under another ASGI server the same way, e.g.
``gunicorn -k uvicorn.workers.UvicornWorker 'psoreg.web.asgi:app_from_environment()'`` with the
two variables set, after ``psoreg serve --check`` has prepared the database.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import TYPE_CHECKING

from fastapi import FastAPI

if TYPE_CHECKING:
    from psoreg.web.app import WebSettings

DB_VAR = "PSOREG_SERVE_DB"
DATA_VAR = "PSOREG_SERVE_DATA"
SETTINGS_VAR = "PSOREG_SERVE_SETTINGS"


def settings_to_env(settings: WebSettings) -> str:
    """``psoreg serve``'s web settings as JSON, for the workers (:func:`settings_from_env`)."""
    return json.dumps(
        {
            "https": settings.https,
            "forwarded_allow_ips": list(settings.forwarded_allow_ips),
            "hours": settings.sessions.hours,
            "idle_minutes": settings.sessions.idle_minutes,
        }
    )


def settings_from_env(text: str | None) -> WebSettings:
    from psoreg.accounts.sessions import Settings
    from psoreg.web.app import WebSettings

    if not text:
        return WebSettings()
    d = json.loads(text)
    return WebSettings(
        https=bool(d["https"]),
        forwarded_allow_ips=tuple(d["forwarded_allow_ips"]),
        sessions=Settings(hours=float(d["hours"]), idle_minutes=float(d["idle_minutes"])),
    )


def app_from_environment() -> FastAPI:
    """A worker's application on the database named by ``PSOREG_SERVE_DB``."""
    from psoreg.outcomes.compiled import warm
    from psoreg.store import open_store
    from psoreg.store.db import locate, read_secret
    from psoreg.web.app import create_app

    url, folder = locate(os.environ.get(DB_VAR), _path(os.environ.get(DATA_VAR)))
    secret = read_secret(folder)  # the parent created it: every worker keys the same chain
    store = open_store(url, upgrade=False, secret=secret)
    warm(store.options)
    return create_app(store, secret, settings_from_env(os.environ.get(SETTINGS_VAR)))


def _path(value: str | None) -> Path | None:
    return Path(value) if value else None

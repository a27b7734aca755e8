"""The application for ASGI server workers: ``psoreg serve --workers N`` runs N processes of
uvicorn, each calling :func:`app_from_environment`.

The parent process (:func:`psoreg.web.run.build`) migrates the database, seeds the demo,
refreshes stale stored outcomes and compiles the outcome query once; each worker then only opens
the database (no migration) and reads the compiled query from the cache folder, so it starts
without building a single Ibis expression. The parent passes the database URL and the data
folder to the workers in ``PSOREG_SERVE_DB`` and ``PSOREG_SERVE_DATA``.

Run it under another ASGI server the same way, e.g.
``gunicorn -k uvicorn.workers.UvicornWorker 'psoreg.web.asgi:app_from_environment()'`` with the
two variables set, after ``psoreg serve --check`` has prepared the database.
"""

from __future__ import annotations

import os
from pathlib import Path

from fastapi import FastAPI

DB_VAR = "PSOREG_SERVE_DB"
DATA_VAR = "PSOREG_SERVE_DATA"


def app_from_environment() -> FastAPI:
    """A worker's application on the database named by ``PSOREG_SERVE_DB``."""
    from psoreg.outcomes.compiled import warm
    from psoreg.store import open_store
    from psoreg.store.db import data_dir, default_url
    from psoreg.web.app import create_app
    from psoreg.web.run import site_secret

    folder = Path(os.environ[DATA_VAR]) if os.environ.get(DATA_VAR) else data_dir()
    url = os.environ.get(DB_VAR) or default_url(folder)
    store = open_store(url, upgrade=False)
    warm(store.options)
    return create_app(store, site_secret(folder))

"""Persistent storage of the registry: SQLAlchemy 2 models, Alembic migrations, services.

* :mod:`~psoreg.store.db` -- engines (SQLite with WAL by default, PostgreSQL), migrations.
* :mod:`~psoreg.store.models` -- the tables (patients, courses, doses, visits, events, relapses,
  users, the append-only audit trail).
* :mod:`~psoreg.store.service` -- validated create/update/delete with optimistic locking and
  an audit entry per changed field.
* :mod:`~psoreg.store.export` -- the database as a :class:`psoreg.cohort.Cohort` (weeks from
  course start dates) and the engine's outcomes.
"""

from psoreg.store.db import Store, default_url, open_store
from psoreg.store.errors import Conflict, FieldError, Forbidden, NotFound

__all__ = ["Conflict", "FieldError", "Forbidden", "NotFound", "Store", "default_url", "open_store"]

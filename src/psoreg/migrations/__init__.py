"""Alembic migrations of the registry database (run by :func:`psoreg.store.db.migrate`)."""

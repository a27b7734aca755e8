"""Opening a registry database: SQLite (WAL) by default, PostgreSQL for multi-user sites.

``open_store(url)`` brings the schema up to date with Alembic (``psoreg/migrations``) and returns
a :class:`Store` holding the engine and a session factory. With no URL the embedded default is
a SQLite file in the data folder (``$PSOREG_DATA_DIR``, else ``~/.local/share/psoreg``), created
on first run.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from psoreg.store.audit import install_append_only_guard

MIGRATIONS = Path(__file__).resolve().parent.parent / "migrations"


def data_dir() -> Path:
    """The data folder: ``$PSOREG_DATA_DIR``, else ``$XDG_DATA_HOME/psoreg``."""
    if env := os.environ.get("PSOREG_DATA_DIR"):
        return Path(env)
    base = os.environ.get("XDG_DATA_HOME") or str(Path.home() / ".local" / "share")
    return Path(base) / "psoreg"


def default_url(folder: Path | None = None) -> str:
    """SQLite URL of ``registry.sqlite3`` in ``folder`` (default :func:`data_dir`), created."""
    folder = folder or data_dir()
    folder.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{folder / 'registry.sqlite3'}"


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA busy_timeout=5000")
    cur.close()


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite connections get WAL, foreign keys and a busy timeout."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(url, pool_pre_ping=True)


def migrate(engine: Engine, revision: str = "head") -> None:
    """Bring the schema to ``revision`` with Alembic."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)


@dataclass
class Store:
    """An open registry database."""

    engine: Engine
    sessions: sessionmaker[Session]

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A session committed on success and rolled back on error."""
        with self.sessions.begin() as s:
            yield s

    def close(self) -> None:
        self.engine.dispose()


def open_store(url: str | None = None, *, upgrade: bool = True) -> Store:
    """Open (and by default migrate) the database at ``url`` (default: :func:`default_url`)."""
    engine = make_engine(url or default_url())
    if upgrade:
        migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    install_append_only_guard(factory)
    return Store(engine=engine, sessions=factory)

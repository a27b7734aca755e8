"""Opening a registry database: SQLite (WAL) by default, PostgreSQL for multi-user sites.

``open_store(url)`` brings the schema up to date with Alembic (``psoreg/migrations``) and returns
a :class:`Store` holding the engine and a session factory. With no URL the embedded default is
a SQLite file in the data folder (``$PSOREG_DATA_DIR``, else ``~/.local/share/psoreg``), created
on first run.

The site secret (``secret.key`` in the data folder) keys the audit chain, so every process that
writes to one database must be given the same secret (or data folder).
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event, make_url
from sqlalchemy.orm import Session, sessionmaker

from psoreg.store import audit

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


def site_secret(folder: Path) -> str:
    """The secret in ``folder/secret.key``, created on first run (keep it with the data).

    It signs session cookies, keys the analysts' pseudonyms and date shifts, and keys the audit
    chain: back it up with the database and never share it.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "secret.key"
    if not path.exists():
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_urlsafe(48))
    return path.read_text().strip()


def read_secret(folder: Path) -> str:
    """The existing ``folder/secret.key`` (never created: for checking, not for a new site)."""
    path = folder / "secret.key"
    if not path.exists():
        raise FileNotFoundError(
            f"no secret.key in {folder}: give the data folder of this site with --data"
        )
    return path.read_text().strip()


def folder_of(url: str) -> Path:
    """The data folder that goes with ``url``: a SQLite file's own folder, else
    :func:`data_dir`."""
    u = make_url(url)
    if u.get_backend_name() == "sqlite" and u.database and u.database != ":memory:":
        return Path(u.database).resolve().parent
    return data_dir()


def locate(db: str | None, data: Path | None) -> tuple[str, Path]:
    """The database URL and data folder of ``--db``/``--data`` (the folder holds
    ``secret.key``; for SQLite without ``--db`` also ``registry.sqlite3``)."""
    if db:
        return db, data or folder_of(db)
    folder = data or data_dir()
    return default_url(folder), folder


def masked(url: str) -> str:
    """``url`` with its password replaced by ``***``, safe to print or log."""
    return make_url(url).render_as_string(hide_password=True)


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


def migrate(engine: Engine, revision: str = "head", secret: str | None = None) -> None:
    """Bring the schema to ``revision`` with Alembic (``secret`` chains existing audit entries
    when upgrading a database that has some)."""
    from alembic import command
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        cfg.attributes["audit_secret"] = secret
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


def open_store(url: str | None = None, *, upgrade: bool = True, secret: str | None = None) -> Store:
    """Open (and by default migrate) the database at ``url`` (default: :func:`default_url`).

    ``secret`` keys the audit chain; by default it is the ``secret.key`` of the data folder
    that goes with the URL (:func:`folder_of`).
    """
    url = url or default_url()
    secret = secret or site_secret(folder_of(url))
    engine = make_engine(url)
    if upgrade:
        migrate(engine, secret=secret)
    factory = sessionmaker(
        engine, expire_on_commit=False, info={"audit_key": audit.chain_key(secret)}
    )
    audit.install(factory)
    return Store(engine=engine, sessions=factory)

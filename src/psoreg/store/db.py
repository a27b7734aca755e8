"""Opening a registry database: SQLite (WAL) by default, PostgreSQL for multi-user sites.

``open_store(url)`` brings the schema up to date with Alembic (``psoreg/migrations``) and returns
a :class:`Store` holding the engine and a session factory. With no URL the embedded default is
a SQLite file in the data folder (``$PSOREG_DATA_DIR``, else ``~/.local/share/psoreg``), created
on first run.

Concurrent writers on SQLite never see ``database is locked``:

* a writing session starts with ``BEGIN IMMEDIATE``, so it takes the write lock before it reads
  and can never fail later on upgrading a read snapshot (SQLite's ``SQLITE_BUSY_SNAPSHOT``,
  which no busy timeout waits for); reading sessions (:meth:`Store.reader`) start a plain
  deferred transaction and, in WAL mode, never wait for a writer;
* writers of one process queue on a lock, and processes wait for each other through SQLite's
  busy timeout (:data:`BUSY_TIMEOUT_MS`);
* :meth:`Store.write` retries a unit of work that still meets a lock, a deadlock or a
  serialisation failure (PostgreSQL), with exponential backoff.
"""

from __future__ import annotations

import os
import random
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from psoreg.outcomes.options import OutcomeOptions
from psoreg.store.audit import install_append_only_guard
from psoreg.store.outcome_table import install_refresh

T = TypeVar("T")
#: how long a SQLite connection waits for another process's write lock
BUSY_TIMEOUT_MS = 60_000
#: attempts of :meth:`Store.write` before the error reaches the caller
WRITE_ATTEMPTS = 6

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
    # psoreg emits BEGIN itself (see _sqlite_begin): pysqlite's own would be deferred
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode, without an fsync per commit
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    mode = conn.get_execution_options().get("psoreg_begin", "IMMEDIATE")
    conn.exec_driver_sql(f"BEGIN {mode}")


def make_engine(url: str) -> Engine:
    """An engine for ``url``; SQLite connections get WAL, foreign keys, a busy timeout and
    ``BEGIN IMMEDIATE`` for writing transactions."""
    if url.startswith("sqlite"):
        engine = create_engine(
            url, connect_args={"check_same_thread": False, "timeout": BUSY_TIMEOUT_MS / 1000}
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20)


def is_retryable(exc: BaseException) -> bool:
    """A lock timeout, deadlock or serialisation failure: the same work may succeed again."""
    if isinstance(exc, OperationalError) and "locked" in str(exc.orig).lower():
        return True
    if isinstance(exc, DBAPIError):
        code = getattr(exc.orig, "sqlstate", None) or getattr(exc.orig, "pgcode", None)
        return code in {"40001", "40P01", "55P03"}
    return False


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
    #: read-only sessions (a deferred transaction: on SQLite they never wait for a writer)
    readers: sessionmaker[Session] | None = None
    options: OutcomeOptions | None = None

    def __post_init__(self) -> None:
        # one writer at a time per process on SQLite; other processes wait in busy_timeout
        self._write_lock = threading.RLock() if self.dialect == "sqlite" else None
        self._group: Any = None

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def read_engine(self) -> Any:
        """The engine for reading only (a deferred transaction on SQLite: no write lock)."""
        return self.engine.execution_options(psoreg_begin="DEFERRED")

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A writing session, committed on success and rolled back on error.

        On SQLite it holds the write lock (``BEGIN IMMEDIATE``) from its first statement to
        its commit; stored outcomes of what it wrote are refreshed before the commit.
        """
        if self._write_lock is None:
            with self.sessions.begin() as s:
                yield s
            return
        with self._write_lock, self.sessions.begin() as s:
            yield s

    @contextmanager
    def reader(self) -> Iterator[Session]:
        """A session for reading only (it is rolled back at the end)."""
        factory = self.readers or self.sessions
        with factory() as s:
            try:
                yield s
            finally:
                s.rollback()

    def write(self, work: Callable[[Session], T], attempts: int = WRITE_ATTEMPTS) -> T:
        """Run ``work(session)`` in a writing session and commit; retry it with exponential
        backoff (50 ms, 100 ms, ... with jitter) when the database reports a lock timeout,
        a deadlock or a serialisation failure. Other errors propagate at once.

        On SQLite, concurrent calls of one process are committed together by its writer thread
        (:mod:`psoreg.store.group_commit`), each unit in its own savepoint.
        """
        for attempt in range(attempts):
            try:
                if self._write_lock is not None:
                    return self._group_writer().submit(work)
                with self.session() as s:
                    return work(s)
            except DBAPIError as exc:
                if attempt == attempts - 1 or not is_retryable(exc):
                    raise
                time.sleep(0.05 * 2**attempt * (0.5 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    def _group_writer(self) -> Any:
        if self._group is None:
            from psoreg.store.group_commit import GroupWriter

            self._group = GroupWriter(self)
        return self._group

    def close(self) -> None:
        self.engine.dispose()


def open_store(
    url: str | None = None, *, upgrade: bool = True, options: OutcomeOptions | None = None
) -> Store:
    """Open (and by default migrate) the database at ``url`` (default: :func:`default_url`).

    ``options`` are the outcome definitions whose results the store keeps materialised
    (default: :class:`~psoreg.outcomes.OutcomeOptions` defaults).
    """
    engine = make_engine(url or default_url())
    if upgrade:
        migrate(engine)
    factory = sessionmaker(engine, expire_on_commit=False)
    install_append_only_guard(factory)
    install_refresh(factory, options)
    read_bind = engine.execution_options(psoreg_begin="DEFERRED")
    readers = sessionmaker(read_bind, expire_on_commit=False)
    install_append_only_guard(readers)
    install_refresh(readers, options)
    return Store(engine=engine, sessions=factory, readers=readers, options=options)

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
* psoreg's writers, of one process or several, queue on one lock
  (:mod:`psoreg.store.writer_lock`: a thread lock and a ``flock`` beside the database); other
  programs' writers meet SQLite's busy timeout (:data:`BUSY_TIMEOUT_MS`);
* :meth:`Store.write` retries a unit of work that still meets a lock, a deadlock or a
  serialisation failure (PostgreSQL), with exponential backoff.

On both databases :meth:`Store.write` hands its unit of work to the process's writer thread
(:mod:`psoreg.store.group_commit`), which commits concurrent units together, with one refresh
of the stored outcomes for the lot. On PostgreSQL the audit chain's lock is taken at the
commit, after that refresh (:mod:`psoreg.store.audit`).

The site secret (``secret.key`` in the data folder) keys the audit chain, so every process that
writes to one database must be given the same secret (or data folder).
"""

from __future__ import annotations

import os
import random
import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy import Connection, Engine, create_engine, event, make_url
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from psoreg.outcomes.options import OutcomeOptions
from psoreg.store import audit, softdelete
from psoreg.store.outcome_table import install_refresh
from psoreg.store.prepared import Reader
from psoreg.store.writer_lock import WriterLock

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
    # psoreg emits BEGIN itself (see _sqlite_begin): pysqlite's own would be deferred
    dbapi_conn.isolation_level = None
    cur = dbapi_conn.cursor()
    cur.execute(f"PRAGMA busy_timeout={BUSY_TIMEOUT_MS}")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")  # durable in WAL mode, without an fsync per commit
    cur.close()


def _sqlite_begin(conn: Any) -> None:
    conn.exec_driver_sql(f"BEGIN {conn.get_execution_options().get('psoreg_begin', 'IMMEDIATE')}")


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
    #: read-only sessions (a deferred transaction: on SQLite they never wait for a writer)
    readers: sessionmaker[Session] | None = None
    options: OutcomeOptions | None = None

    def __post_init__(self) -> None:
        # one writing transaction at a time on SQLite, across threads and processes
        self._write_lock = (
            WriterLock(self.engine.url.database) if self.dialect == "sqlite" else None
        )
        self._group: Any = None
        self._group_lock = threading.Lock()
        self._read_engine = self.engine.execution_options(psoreg_begin="DEFERRED")

    @property
    def dialect(self) -> str:
        return self.engine.dialect.name

    @property
    def read_engine(self) -> Any:
        """The engine for reading only (a deferred transaction on SQLite: no write lock)."""
        return self._read_engine

    @contextmanager
    def read_connection(self) -> Iterator[Connection]:
        """A Core connection for reading only, rolled back at the end (no ORM session; Core
        queries do not apply the soft-delete filter, so they say ``deleted_at IS NULL``
        themselves). The fixed reads of the request path use :meth:`prepared_reader`."""
        with self._read_engine.connect() as conn:
            yield conn

    @contextmanager
    def prepared_reader(self, *, snapshot: bool = True) -> Iterator[Reader]:
        """A :class:`~psoreg.store.prepared.Reader` on a pooled DBAPI connection, for the
        fixed reads of the request path (:mod:`psoreg.store.prepared`: none of SQLAlchemy's
        per-statement work), rolled back when it goes back to the pool.

        ``snapshot``: on SQLite its statements read one snapshot (a deferred transaction: no
        write lock); without, each statement is a transaction of its own, for ONE statement (a
        ``BEGIN`` costs as much as a small indexed query). On PostgreSQL the driver begins a
        transaction itself, at READ COMMITTED as SQLAlchemy's connections."""
        raw = self.engine.raw_connection()
        try:
            cursor = raw.cursor()
            if snapshot and self.dialect == "sqlite":
                cursor.execute("BEGIN DEFERRED")  # psoreg emits BEGIN itself (_sqlite_pragmas)
            yield Reader(cursor, self.engine.dialect)
            cursor.close()
        finally:
            raw.close()  # back to the pool, which rolls back

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

        Concurrent calls of one process are committed together by its writer thread
        (:mod:`psoreg.store.group_commit`), each unit in its own savepoint; each call returns
        after the commit that made its unit durable.
        """
        for attempt in range(attempts):
            try:
                return self._group_writer().submit(work)
            except DBAPIError as exc:
                if attempt == attempts - 1 or not is_retryable(exc):
                    raise
                time.sleep(0.05 * 2**attempt * (0.5 + random.random()))
        raise AssertionError("unreachable")  # pragma: no cover

    def _group_writer(self) -> Any:
        if self._group is None:
            from psoreg.store.group_commit import GroupWriter

            with self._group_lock:  # one writer thread per store, however many first callers
                if self._group is None:
                    self._group = GroupWriter(self)
        return self._group

    def close(self) -> None:
        self.engine.dispose()
        if self._write_lock is not None:
            self._write_lock.close()


def open_store(
    url: str | None = None,
    *,
    upgrade: bool = True,
    secret: str | None = None,
    options: OutcomeOptions | None = None,
) -> Store:
    """Open (and by default migrate) the database at ``url`` (default: :func:`default_url`).

    ``secret`` keys the audit chain; by default it is the ``secret.key`` of the data folder
    that goes with the URL (:func:`folder_of`). ``options`` are the outcome definitions whose
    results the store keeps materialised (default: :class:`~psoreg.outcomes.OutcomeOptions`
    defaults).
    """
    url = url or default_url()
    secret = secret or site_secret(folder_of(url))
    engine = make_engine(url)
    if upgrade:
        migrate(engine, secret=secret)
    info = {"audit_key": audit.chain_key(secret)}
    factory = sessionmaker(engine, expire_on_commit=False, info=info)
    audit.install(factory)
    softdelete.install(factory)
    install_refresh(factory, options)
    read_bind = engine.execution_options(psoreg_begin="DEFERRED")
    readers = sessionmaker(read_bind, expire_on_commit=False, info=dict(info))
    audit.install(readers)
    softdelete.install(readers)
    install_refresh(readers, options)
    return Store(engine=engine, sessions=factory, readers=readers, options=options)

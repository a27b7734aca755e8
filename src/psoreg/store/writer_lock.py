"""One writing transaction at a time on a SQLite registry, across threads and processes.

SQLite admits one writer at a time. A second process that finds the database locked waits in
SQLite's busy handler, which sleeps and polls (up to 100 ms between tries): the process that
holds the lock commits and takes it again before the sleeper wakes, so under load one server
worker's writes waited seconds while the other's went through (bench-web: p95 3.3 s with 50
writers and two workers). :class:`WriterLock` makes the writers queue on an exclusive ``flock``
of a file beside the database instead: the kernel wakes a waiter as soon as the lock is freed.

The lock is taken around each writing session (:meth:`psoreg.store.db.Store.session`) after a
per-process re-entrant thread lock, and only by psoreg: any other program writing to the
database still meets SQLite's own lock and busy timeout, as before. A database in memory, or
one whose folder cannot hold the lock file, has the thread lock only.
"""

from __future__ import annotations

import fcntl
import logging
import os
import threading
from pathlib import Path
from types import TracebackType

log = logging.getLogger(__name__)

SUFFIX = "-psoreg-writer.lock"


class WriterLock:
    """A re-entrant lock held by one thread of one process at a time (see the module)."""

    def __init__(self, database: str | None) -> None:
        self._thread_lock = threading.RLock()
        self._depth = 0
        self._fd: int | None = None
        self._pid = 0  # the process that opened _fd: a forked worker opens its own
        self.path = Path(database + SUFFIX) if database and database != ":memory:" else None

    def __enter__(self) -> WriterLock:
        self._thread_lock.acquire()
        try:
            if self._depth == 0 and self.path is not None:
                self._lock_file()
        except BaseException:
            self._thread_lock.release()
            raise
        self._depth += 1
        return self

    def __exit__(
        self,
        _type: type[BaseException] | None,
        _exc: BaseException | None,
        _tb: TracebackType | None,
    ) -> None:
        self._depth -= 1
        try:
            if self._depth == 0 and self._fd is not None:
                fcntl.flock(self._fd, fcntl.LOCK_UN)
        finally:
            self._thread_lock.release()

    def _lock_file(self) -> None:
        assert self.path is not None
        if self._fd is None or self._pid != os.getpid():
            # after a fork the inherited descriptor shares its lock with the parent's: open anew
            # (closing the inherited copy leaves the parent's lock as it is)
            if self._fd is not None:
                os.close(self._fd)
                self._fd = None
            try:
                self._fd = os.open(self.path, os.O_RDWR | os.O_CREAT | os.O_CLOEXEC, 0o600)
                self._pid = os.getpid()
            except OSError as exc:
                log.warning("no writer lock file (%s): writers wait in SQLite's busy handler", exc)
                self.path = None
                return
        fcntl.flock(self._fd, fcntl.LOCK_EX)

    def close(self) -> None:
        """Close the lock file (the lock is released with it)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None

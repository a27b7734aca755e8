"""psoreg.store.writer_lock: SQLite writers queue on a file lock across processes."""

from __future__ import annotations

import logging
import multiprocessing
import os
import time
from pathlib import Path

import pytest
from sqlalchemy import text

from psoreg.store.db import open_store
from psoreg.store.writer_lock import SUFFIX, WriterLock

HOLD = 0.4


def _hold_then_release(lock: WriterLock, held, released) -> None:  # type: ignore[no-untyped-def]
    with lock:
        held.set()
        time.sleep(HOLD)
        released.value = time.monotonic()


def _wait_in(lock: WriterLock, path: Path) -> float:
    """Fork a child that holds ``lock`` for HOLD s; return how long this process waited."""
    ctx = multiprocessing.get_context("fork")
    held, released = ctx.Event(), ctx.Value("d", 0.0)
    child = ctx.Process(target=_hold_then_release, args=(lock, held, released))
    child.start()
    try:
        assert held.wait(10), "the child never took the lock"
        t0 = time.monotonic()
        with lock:
            got = time.monotonic()
        child.join(10)
        assert child.exitcode == 0
        assert got >= released.value, "the lock was taken while the other process held it"
        return got - t0
    finally:
        if child.is_alive():
            child.kill()


def test_a_forked_worker_waits_for_the_parents_lock_and_back(tmp_path: Path) -> None:
    """`psoreg serve` writes (start-up refresh) before it forks its workers: a worker must not
    share the parent's lock file descriptor, whose flock would then admit both."""
    lock = WriterLock(str(tmp_path / "registry.sqlite3"))
    with lock:  # the parent opened the lock file before forking
        pass
    waited = _wait_in(lock, tmp_path)
    assert waited >= HOLD / 2
    assert (tmp_path / f"registry.sqlite3{SUFFIX}").exists()


def test_the_lock_is_reentrant_and_released_at_the_outermost_exit(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "r.sqlite3"))
    with lock, lock:
        pass
    # released: another process takes it at once
    ctx = multiprocessing.get_context("fork")
    p = ctx.Process(target=lambda: lock.__enter__())
    p.start()
    p.join(5)
    if p.is_alive():
        p.kill()
    assert p.exitcode == 0


def test_a_database_in_memory_has_no_lock_file() -> None:
    lock = WriterLock(":memory:")
    with lock:
        assert lock.path is None
    assert WriterLock(None).path is None


def test_a_folder_that_cannot_hold_the_lock_file_falls_back(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    if os.geteuid() == 0:
        missing = tmp_path / "no-such-folder" / "r.sqlite3"  # root writes anywhere: no folder
    else:
        (tmp_path / "ro").mkdir(mode=0o500)
        missing = tmp_path / "ro" / "r.sqlite3"
    lock = WriterLock(str(missing))
    with caplog.at_level(logging.WARNING, logger="psoreg.store.writer_lock"), lock:
        pass
    assert lock.path is None
    assert "busy handler" in caplog.text
    with lock:  # still a working (thread) lock
        pass


def test_store_sessions_write_under_the_lock(tmp_path: Path) -> None:
    """A writing session of a SQLite store holds the file lock: another process waits."""
    db = tmp_path / "registry.sqlite3"
    store = open_store(f"sqlite:///{db}", secret="x" * 32)
    try:
        with store.session() as s:
            s.execute(text("SELECT 1"))
        assert (tmp_path / f"registry.sqlite3{SUFFIX}").exists()
        waited = _wait_in(store._write_lock, tmp_path)  # noqa: SLF001 - the store's own lock
        assert waited >= HOLD / 2
    finally:
        store.close()

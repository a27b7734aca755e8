"""psoreg.store.writer_lock: SQLite writers queue on a file lock across processes."""

from __future__ import annotations

import fcntl
import logging
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import text

from psoreg.store.db import open_store
from psoreg.store.writer_lock import SUFFIX, WriterLock

# Run in a fresh interpreter: forking the test process itself, beside the threads that DuckDB,
# BLAS and earlier tests leave running, can crash the child.
FORKED = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    from sqlalchemy import text
    from psoreg.store.db import open_store
    from psoreg.store.writer_lock import WriterLock

    HOLD = 0.4
    db = Path(sys.argv[1]) / "registry.sqlite3"
    if sys.argv[2] == "store":  # the parent writes first, as `psoreg serve` refreshes at start
        store = open_store(f"sqlite:///{db}", secret="x" * 32)
        with store.session() as s:
            s.execute(text("SELECT 1"))
        lock = store._write_lock
    else:
        lock = WriterLock(str(db))
        with lock:
            pass
    r, w = os.pipe()
    pid = os.fork()
    if pid == 0:
        with lock:
            os.write(w, b"h")
            time.sleep(HOLD)
            os.write(w, repr(time.monotonic()).encode())
        os._exit(0)
    assert os.read(r, 1) == b"h"
    t0 = time.monotonic()
    with lock:
        got = time.monotonic()
    released = float(os.read(r, 100))
    os.waitpid(pid, 0)
    print(f"{got - t0:.3f}", got >= released)
    """
)


def _held(path: Path) -> bool:
    """Whether some descriptor holds the flock of ``path`` (a new descriptor of the same
    process conflicts with it too: flock locks belong to the open file)."""
    fd = os.open(path, os.O_RDWR)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
    return False


@pytest.mark.parametrize("mode", ["lock", "store"])
def test_a_forked_worker_waits_for_the_other_process(tmp_path: Path, mode: str) -> None:
    """`psoreg serve` writes (its start-up refresh) before it forks the workers: a worker must
    not keep the parent's descriptor, whose flock would then admit both processes at once."""
    out = subprocess.run(
        [sys.executable, "-c", FORKED, str(tmp_path), mode],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    waited, after_release = out.stdout.split()
    assert after_release == "True", "the lock was taken while the other process held it"
    assert float(waited) >= 0.2


def test_the_lock_is_reentrant_and_released_at_the_outermost_exit(tmp_path: Path) -> None:
    lock = WriterLock(str(tmp_path / "r.sqlite3"))
    path = tmp_path / f"r.sqlite3{SUFFIX}"
    with lock:
        with lock:
            assert _held(path)
        assert _held(path)
    assert not _held(path)
    lock.close()


def test_a_store_session_holds_the_lock_until_its_commit(tmp_path: Path) -> None:
    store = open_store(f"sqlite:///{tmp_path / 'registry.sqlite3'}", secret="x" * 32)
    path = tmp_path / f"registry.sqlite3{SUFFIX}"
    try:
        with store.session() as s:
            s.execute(text("SELECT 1"))
            assert _held(path)
        assert not _held(path)
        with store.reader() as s:  # readers never take it
            s.execute(text("SELECT 1"))
            assert not _held(path)
    finally:
        store.close()


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

"""Group commit: one writer thread per process commits concurrent units of work together.

Every write refreshes the stored outcomes of what it changed (:mod:`psoreg.store.outcome_table`),
which costs one run of the outcome query whatever the number of courses, and writers are
serialised: SQLite has one writer at a time, and on PostgreSQL every write takes the audit
chain's lock (:mod:`psoreg.store.audit`). Run one transaction per request and fifty concurrent
writers queue for seconds each. Instead, :meth:`psoreg.store.db.Store.write` hands its unit of
work to this process's writer thread, which takes every unit waiting, runs each in its own
SAVEPOINT (a unit that fails rolls back alone and its caller gets its exception), refreshes the
outcomes of all the patients they touched in one run, and commits once. Each caller returns only
after that commit: an acknowledged write is durable, and its outcomes were written in its
transaction.

On PostgreSQL each server process has its own writer; their batches run side by side and meet
only on row locks and on the audit chain's lock, which a batch takes once, for chaining its
entries and committing, after its outcome refresh. A batch whose commit fails (a deadlock
between two processes' batches, say) is committed again one unit at a time, and a unit that
meets a deadlock, serialisation failure or lock timeout raises it to its caller, whose
:meth:`~psoreg.store.db.Store.write` retries it.
"""

from __future__ import annotations

import logging
import queue
import threading
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

log = logging.getLogger(__name__)

#: most units of work committed together
MAX_BATCH = 64


class GroupWriter:
    """The writer thread of one store (started on first use)."""

    def __init__(self, store: Any) -> None:
        self.store = store
        self._queue: queue.Queue[tuple[Callable[[Any], Any], Future]] = queue.Queue()
        self._thread: threading.Thread | None = None
        self._start_lock = threading.Lock()

    def submit(self, work: Callable[[Any], Any]) -> Any:
        """Run ``work(session)`` in the next group transaction; its result after the commit."""
        fut: Future = Future()
        self._ensure_thread()
        self._queue.put((work, fut))
        return fut.result()

    def _ensure_thread(self) -> None:
        if self._thread is not None and self._thread.is_alive():
            return
        with self._start_lock:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="psoreg-group-writer", daemon=True
                )
                self._thread.start()

    def _run(self) -> None:
        while True:
            batch = [self._queue.get()]
            while len(batch) < MAX_BATCH:
                try:
                    batch.append(self._queue.get_nowait())
                except queue.Empty:
                    break
            self._commit(batch)

    def _commit(self, batch: list[tuple[Callable[[Any], Any], Future]]) -> None:
        outcomes: list[tuple[Future, Any, BaseException | None]] = []
        try:
            with self.store.session() as s:
                for work, fut in batch:
                    try:
                        with s.begin_nested():
                            result = work(s)
                        outcomes.append((fut, result, None))
                    except Exception as exc:  # noqa: BLE001 - handed to its own caller
                        outcomes.append((fut, None, exc))
        except Exception as exc:  # noqa: BLE001 - the commit itself failed
            if len(batch) == 1:
                batch[0][1].set_exception(exc)
                return
            log.warning("group commit of %d writes failed (%s); committing one by one",
                        len(batch), exc)  # fmt: skip
            for unit in batch:
                self._commit([unit])
            return
        for fut, result, exc in outcomes:
            if exc is None:
                fut.set_result(result)
            else:
                fut.set_exception(exc)

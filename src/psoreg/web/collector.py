"""Requests that build large, short-lived data run with Python's cycle collector paused."""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_PAUSED = [0]  # requests running with the cycle collector paused
_PAUSE_LOCK = threading.Lock()


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Run without Python's cycle collector. The export and the dashboard make about 100,000
    short-lived tuples and rows (no cycles: reference counting frees them), and the collector
    would walk the whole heap once or twice per request for them (0.1-0.2 s at 10,000
    patients). Counted, so that overlapping requests enable it again only when the last one
    ends."""
    with _PAUSE_LOCK:
        _PAUSED[0] += 1
        gc.disable()
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSED[0] -= 1
            if not _PAUSED[0]:
                gc.enable()


def freeze_startup_heap() -> None:
    """Move every object alive now (the imported modules, the app, its compiled templates and
    queries: about 175,000 objects) out of the cycle collector's reach, after collecting the
    start-up garbage, as pre-fork servers do (``gc.freeze``). Otherwise each full collection
    walks them all: 0.15-0.3 s of one worker's time every few hundred patient pages (measured
    in-process), during which its requests wait. Objects made later are collected as before.
    Called once per server process, when its application is ready."""
    gc.collect()
    gc.freeze()

"""Work that builds large, short-lived data runs with Python's cycle collector paused.

The web application's heavy pages (the dashboard, the outcomes export) and the one-shot
commands (``psoreg summarize``) use it.
"""

from __future__ import annotations

import gc
import threading
from collections.abc import Iterator
from contextlib import contextmanager

_PAUSED = [0]  # requests running with the cycle collector paused
_WAS_ENABLED = [True]  # whether the collector ran before the first of them paused it
_PAUSE_LOCK = threading.Lock()


@contextmanager
def cycle_collector_paused() -> Iterator[None]:
    """Run without Python's cycle collector. The export and the dashboard make about 100,000
    short-lived tuples and rows (no cycles: reference counting frees them), and the collector
    would walk the whole heap once or twice per request for them (0.1-0.2 s at 10,000
    patients). ``psoreg summarize`` imports pandas, DuckDB and scipy inside the command: about
    200 collections, two of them over the whole heap (0.13-0.19 s of the command's 2 s).
    Counted, so that overlapping requests enable it again only when the last one ends; a
    collector the caller had disabled stays disabled."""
    with _PAUSE_LOCK:
        if not _PAUSED[0]:
            _WAS_ENABLED[0] = gc.isenabled()
        _PAUSED[0] += 1
        gc.disable()
    try:
        yield
    finally:
        with _PAUSE_LOCK:
            _PAUSED[0] -= 1
            if not _PAUSED[0] and _WAS_ENABLED[0]:
                gc.enable()

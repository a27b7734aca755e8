"""Work that builds large, short-lived data runs with Python's cycle collector paused: the web
application's heavy requests, and ``psoreg report``."""

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
    patients). ``psoreg report`` imports pandas and matplotlib and builds its figures: about
    150,000 long-lived objects, over which the collector ran its full pass three times (0.3-0.5
    s of a 4 s command) and freed nothing of note. Counted, so that overlapping requests enable
    it again only when the last one ends. Also a decorator (``@cycle_collector_paused()``)."""
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

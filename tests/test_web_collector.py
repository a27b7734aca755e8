"""The cycle collector is paused only while a heavy request runs, and only once for overlaps."""

from __future__ import annotations

import gc
import threading

from psoreg.collector import cycle_collector_paused


def test_paused_inside_enabled_after_even_when_overlapping_or_failing() -> None:
    assert gc.isenabled()
    inside = threading.Event()
    leave = threading.Event()
    seen: list[bool] = []

    def other() -> None:
        with cycle_collector_paused():
            inside.set()
            leave.wait(10)
            seen.append(gc.isenabled())

    t = threading.Thread(target=other)
    t.start()
    inside.wait(10)
    try:
        with cycle_collector_paused():
            seen.append(gc.isenabled())
            raise RuntimeError("a failing request")
    except RuntimeError:
        pass
    seen.append(gc.isenabled())  # the other request is still running: still paused
    leave.set()
    t.join(10)
    assert seen == [False, False, False]
    assert gc.isenabled()  # the last one out enables it again

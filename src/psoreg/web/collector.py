"""Requests that build large, short-lived data run with Python's cycle collector paused
(:func:`psoreg.collector.cycle_collector_paused`, shared with the command line)."""

from psoreg.collector import cycle_collector_paused

__all__ = ["cycle_collector_paused"]

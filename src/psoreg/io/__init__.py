"""Reading cohorts from CSV and Excel files (abstracted and visit-level schemas).

Every file passes through one reading layer (:mod:`psoreg.io.source`: type by content,
encoding, CSV/Excel structure) and one cell parser (:mod:`psoreg.io.cells`); every CSV/XLSX
psoreg writes goes through :mod:`psoreg.io.spreadsheet` (formula neutralisation).
:func:`read_upload` is the entry point for a file handed over by the web application.

The visit-level reader and the upload entry point are imported on first use (PEP 562): an
abstracted file (``psoreg summarize`` of a case series) needs neither, nor the causality
questionnaires and score calculators the visit-level reader imports.
"""

from __future__ import annotations

import importlib
from typing import Any

from psoreg.io.abstracted import ABSTRACTED_COLUMNS, read_abstracted
from psoreg.io.load import detect, load
from psoreg.io.source import ReadOptions

_LAZY = {
    "VISIT_COLUMNS": ("psoreg.io.visits", "COLUMNS"),
    "read_visits": ("psoreg.io.visits", "read_visits"),
    "read_upload": ("psoreg.io.upload", "read_upload"),
}

__all__ = [
    "ABSTRACTED_COLUMNS",
    "VISIT_COLUMNS",
    "ReadOptions",
    "detect",
    "load",
    "read_abstracted",
    "read_upload",
    "read_visits",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        module, attr = _LAZY[name]
        value = getattr(importlib.import_module(module), attr)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'psoreg.io' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

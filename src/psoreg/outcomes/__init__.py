"""Outcome definitions (Ibis expressions) and how to run them.

Names are imported on first use (PEP 562), so that ``from psoreg.outcomes import
OutcomeOptions`` does not import Ibis: the expressions are needed only to compile the query,
which is cached (:mod:`psoreg.outcomes.compiled`).
"""

from __future__ import annotations

import importlib
from typing import Any

from psoreg.outcomes.options import DEFINITIONS, OutcomeOptions

_LAZY = {
    "OUTCOME_COLUMNS": "psoreg.outcomes.engine",
    "Tables": "psoreg.outcomes.engine",
    "outcome_expr": "psoreg.outcomes.engine",
    "OutcomeResult": "psoreg.outcomes.run",
    "compute_outcomes": "psoreg.outcomes.run",
    "tables_from_cohort": "psoreg.outcomes.run",
}

__all__ = [
    "DEFINITIONS",
    "OUTCOME_COLUMNS",
    "OutcomeOptions",
    "OutcomeResult",
    "Tables",
    "compute_outcomes",
    "outcome_expr",
    "tables_from_cohort",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'psoreg.outcomes' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

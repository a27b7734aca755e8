"""Outcome definitions (Ibis expressions) and how to run them."""

from psoreg.outcomes.engine import OUTCOME_COLUMNS, Tables, outcome_expr
from psoreg.outcomes.options import DEFINITIONS, OutcomeOptions
from psoreg.outcomes.run import OutcomeResult, compute_outcomes, tables_from_cohort

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

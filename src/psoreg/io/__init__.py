"""Reading cohorts from CSV and Excel files (abstracted and visit-level schemas)."""

from psoreg.io.abstracted import ABSTRACTED_COLUMNS, read_abstracted
from psoreg.io.load import detect, load
from psoreg.io.visits import COLUMNS as VISIT_COLUMNS
from psoreg.io.visits import read_visits

__all__ = [
    "ABSTRACTED_COLUMNS",
    "VISIT_COLUMNS",
    "detect",
    "load",
    "read_abstracted",
    "read_visits",
]

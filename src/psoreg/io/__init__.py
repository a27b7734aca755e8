"""Reading cohorts from CSV and Excel files (abstracted and visit-level schemas).

Every file passes through one reading layer (:mod:`psoreg.io.source`: type by content,
encoding, CSV/Excel structure) and one cell parser (:mod:`psoreg.io.cells`); every CSV/XLSX
psoreg writes goes through :mod:`psoreg.io.spreadsheet` (formula neutralisation).
:func:`read_upload` is the entry point for a file handed over by the web application.
"""

from psoreg.io.abstracted import ABSTRACTED_COLUMNS, read_abstracted
from psoreg.io.load import detect, load
from psoreg.io.source import ReadOptions
from psoreg.io.upload import read_upload
from psoreg.io.visits import COLUMNS as VISIT_COLUMNS
from psoreg.io.visits import read_visits

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

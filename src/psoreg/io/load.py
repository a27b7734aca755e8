"""Open any supported input: abstracted (one row per course) or visit-level data."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from psoreg.cohort import Cohort
from psoreg.errors import ImportFailed, RowError
from psoreg.io.abstracted import read_abstracted
from psoreg.io.visits import COLUMNS, read_visits


def detect(path: Path) -> str:
    """'visits' for a folder or a workbook with an assessments sheet, else 'abstracted'."""
    if path.is_dir():
        return "visits"
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        sheets = {s.lower() for s in pd.ExcelFile(path).sheet_names}
        return "visits" if "assessments" in sheets and set(COLUMNS) & sheets else "abstracted"
    return "abstracted"


def load(path: Path | str, drug: str | None = None) -> Cohort:
    """Read ``path`` into a :class:`Cohort`; ``drug`` fills a missing drug column (abstracted)."""
    path = Path(path)
    if not path.exists():
        raise ImportFailed(str(path), [RowError(None, None, "no such file or folder")])
    if detect(path) == "visits":
        return read_visits(path)
    return read_abstracted(path, default_drug=drug)

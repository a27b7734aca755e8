"""Open any supported input: abstracted (one row per course) or visit-level data."""

from __future__ import annotations

from pathlib import Path

from psoreg.cohort import Cohort
from psoreg.errors import ImportFailed, RowError
from psoreg.io.abstracted import read_abstracted
from psoreg.io.source import ReadOptions, check_readable, workbook_sheets


def detect(path: Path) -> str:
    """'visits' for a folder or a workbook with an assessments (or visits) sheet, else
    'abstracted'. A workbook is recognised by its content, whatever its name."""
    if path.is_dir():
        return "visits"
    if check_readable(path, str(path)) == "xlsx":
        from psoreg.io.visits import COLUMNS, TABLE_ALIASES  # on use: see psoreg.io

        sheets = {TABLE_ALIASES.get(s.lower(), s.lower()) for s in workbook_sheets(path)}
        return "visits" if "assessments" in sheets and set(COLUMNS) & sheets else "abstracted"
    return "abstracted"


def load(path: Path | str, drug: str | None = None, options: ReadOptions | None = None) -> Cohort:
    """Read ``path`` into a :class:`Cohort`; ``drug`` fills a missing drug column (abstracted).

    ``options`` (:class:`ReadOptions`) forces an encoding or reads decimal commas; the cohort's
    ``source_notes`` say how the file was read.
    """
    path = Path(path)
    if not path.exists():
        raise ImportFailed(str(path), [RowError(None, None, "no such file or folder")])
    if detect(path) == "visits":
        from psoreg.io.visits import read_visits

        return read_visits(path, options)
    return read_abstracted(path, default_drug=drug, options=options)

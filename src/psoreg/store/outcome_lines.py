"""Each course's line of ``outcomes.csv``, written beside its stored outcomes.

``/export/outcomes.csv`` of a 10,000-patient registry decoded 15,000 JSON rows, neutralised
every text cell and ran the csv writer on every request (about 1 s). Instead, when
:mod:`psoreg.store.outcome_table` writes a course's outcomes it also writes the course's cells
as they appear in the export, already neutralised and CSV-quoted (``course_outcomes.csv_line``);
the export then puts each line together from the ids and the site, which differ by user
(pseudonyms for analysts), and this stored text.

* **Which cells**: every outcome column after ``course_id`` and ``patient_id``, in the engine's
  order (:attr:`psoreg.outcomes.compiled.CompiledOutcomes.names`); the export writes
  ``course_id, patient_id, site`` before them.
* **Free text**: ``csv_spans`` gives where the free-text cells (``FREE_TEXT["outcomes"]``:
  regimen, next treatment) are in the line, ``"start:end,start:end"``, so the analyst's export
  replaces just those cells by their scrubbed text.
* **Never stale**: a line belongs to its row, whose ``outcomes_version`` the export checks as
  before; ``csv_version`` is :func:`line_version` (this module's and the neutralising code's
  source, the free-text columns and the Python version, whose csv module writes the cells). A
  row without a line of this version gets one computed from its JSON outcomes when read (not
  written: a read never writes) and stored by :func:`psoreg.store.outcome_table.refresh_stale`
  (``psoreg serve`` at start-up).
"""

from __future__ import annotations

import functools
import hashlib
import json
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from psoreg.io.spreadsheet import csv_cell
from psoreg.store.deid import FREE_TEXT

_PACKAGE = Path(__file__).resolve().parent.parent
#: the code that decides the text of a line
LINE_SOURCES = ("store/outcome_lines.py", "io/spreadsheet.py")


@functools.cache
def line_version() -> str:
    """The version of the stored lines: a line of another version is computed again."""
    h = hashlib.sha256()
    for name in LINE_SOURCES:
        h.update(name.encode() + b"\0" + (_PACKAGE / name).read_bytes() + b"\0")
    h.update(json.dumps([FREE_TEXT["outcomes"], sys.version_info[:2]]).encode())
    return h.hexdigest()[:32]


def line_of(record: Mapping[str, Any], names: Sequence[str]) -> tuple[str, str]:
    """The export's cells of one course's outcomes ``record`` (the columns ``names[2:]``,
    joined by commas, no line end) and the spans of its free-text cells."""
    free = FREE_TEXT["outcomes"]
    cells, spans, at = [], [], 0
    for name in names[2:]:
        cell = csv_cell(record.get(name))
        if name in free:
            spans.append(f"{at}:{at + len(cell)}")
        cells.append(cell)
        at += len(cell) + 1
    return ",".join(cells), ",".join(spans)

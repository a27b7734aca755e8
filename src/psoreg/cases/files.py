"""Reading and writing case files (``.json`` or ``.csv``, chosen by the file's suffix)."""

from __future__ import annotations

from pathlib import Path

from psoreg.cases.csv_format import cases_from_sheet, cases_to_csv
from psoreg.cases.json_format import cases_from_document, cases_to_json
from psoreg.cases.record import CaseRecord
from psoreg.errors import ImportFailed, RowError
from psoreg.io.source import ReadOptions, open_table, read_json

__all__ = ["read_cases", "write_cases"]

_SUFFIXES = (".json", ".csv")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ImportFailed(str(path), [RowError(None, None, "expected a .json or .csv file")])
    return suffix


def read_cases(path: Path | str, options: ReadOptions | None = None) -> list[CaseRecord]:
    """All cases of a ``.json`` or ``.csv`` file; :class:`ImportFailed` on any problem.

    The file goes through psoreg's reading layer (:mod:`psoreg.io.source`): encoding detected
    (or ``options.encoding``), type sniffed by content, ragged rows, bad quotes and deeply
    nested JSON refused, each problem with its row and column.
    """
    path = Path(path)
    suffix = _suffix(path)
    options = options or ReadOptions()
    try:
        if suffix == ".json":
            doc, _ = read_json(path, str(path), options)
            return cases_from_document(doc, str(path))
        return cases_from_sheet(open_table(path, options))
    except OSError as exc:
        raise ImportFailed(str(path), [RowError(None, None, exc.strerror or str(exc))]) from None


def write_cases(cases: list[CaseRecord], path: Path | str) -> Path:
    """Write the cases to ``path`` (format from the suffix); returns the path."""
    path = Path(path)
    suffix = _suffix(path)
    text = cases_to_json(cases) if suffix == ".json" else cases_to_csv(cases)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path

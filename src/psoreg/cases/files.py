"""Reading and writing case files (``.json`` or ``.csv``, chosen by the file's suffix)."""

from __future__ import annotations

from pathlib import Path

from psoreg.cases.csv_format import cases_from_csv, cases_to_csv
from psoreg.cases.json_format import cases_from_json, cases_to_json
from psoreg.cases.record import CaseRecord
from psoreg.errors import ImportFailed, RowError

__all__ = ["read_cases", "write_cases"]

_SUFFIXES = (".json", ".csv")


def _suffix(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in _SUFFIXES:
        raise ImportFailed(str(path), [RowError(None, None, "expected a .json or .csv file")])
    return suffix


def read_cases(path: Path | str) -> list[CaseRecord]:
    """All cases of a ``.json`` or ``.csv`` file; :class:`ImportFailed` on any problem."""
    path = Path(path)
    suffix = _suffix(path)
    try:
        text = path.read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFailed(str(path), [RowError(None, None, exc.strerror or str(exc))]) from None
    if suffix == ".json":
        return cases_from_json(text, str(path))
    return cases_from_csv(text, str(path))


def write_cases(cases: list[CaseRecord], path: Path | str) -> Path:
    """Write the cases to ``path`` (format from the suffix); returns the path."""
    path = Path(path)
    suffix = _suffix(path)
    text = cases_to_json(cases) if suffix == ".json" else cases_to_csv(cases)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text, encoding="utf-8")
    return path

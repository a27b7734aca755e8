"""Reading a table file into rows, and collecting row/column errors (nothing half-imported)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any, TypeVar

import pandas as pd
from pydantic import BaseModel, ValidationError

from psoreg.errors import ImportFailed, RowError

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)


def read_table(path: Path, sheet: str | int = 0) -> pd.DataFrame:
    """A CSV or Excel sheet as strings/objects, header row kept, blank cells as ''."""
    suffix = path.suffix.lower()
    if suffix in {".csv", ".txt"}:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    elif suffix in {".xlsx", ".xlsm", ".xls"}:
        df = pd.read_excel(path, sheet_name=sheet, dtype=object)
        df = df.where(df.notna(), "")
    else:
        raise ImportFailed(str(path), [RowError(None, None, "expected a .csv or .xlsx file")])
    df.columns = [str(c).strip().lower() for c in df.columns]
    return df


class RowReader:
    """Reads cells of one file, remembering every problem with its row and column."""

    def __init__(self, path: Path | str, table: str | None = None) -> None:
        self.path = str(path) if table is None else f"{path} [{table}]"
        self.errors: list[RowError] = []

    def check_columns(
        self, df: pd.DataFrame, known: Iterable[str], required: Iterable[str]
    ) -> None:
        known = set(known)
        for col in df.columns:
            if col not in known:
                self.errors.append(
                    RowError(
                        None, col, f"unknown column; expected some of: {', '.join(sorted(known))}"
                    )
                )
        for col in required:
            if col not in df.columns:
                self.errors.append(RowError(None, col, "required column is missing"))

    def cell(
        self, row: int, rec: dict[str, Any], column: str, parse: Callable[[Any], T]
    ) -> T | None:
        try:
            return parse(rec.get(column))
        except ValueError as exc:
            self.errors.append(RowError(row, column, str(exc)))
            return None

    def model(
        self, row: int, cls: type[M], data: dict[str, Any], columns: dict[str, str]
    ) -> M | None:
        """Validate ``data`` as ``cls``; map pydantic's field names back to file columns."""
        try:
            return cls(**data)
        except ValidationError as exc:
            for err in exc.errors():
                field = str(err["loc"][0]) if err["loc"] else None
                msg = str(err["msg"])
                if field is None and ": " in msg:  # model-level check "field: message"
                    msg = msg.removeprefix("Value error, ")
                    field, msg = msg.split(": ", 1)
                self.errors.append(RowError(row, columns.get(field, field), _plain(msg, err)))
            return None
        except ValueError as exc:  # raised by validators outside pydantic (catalogue)
            self.errors.append(RowError(row, None, str(exc)))
            return None

    def error(self, row: int | None, column: str | None, message: str) -> None:
        self.errors.append(RowError(row, column, message))

    def raise_if_errors(self) -> None:
        if self.errors:
            raise ImportFailed(self.path, self.errors)


def _plain(msg: str, err: Any) -> str:
    msg = msg.removeprefix("Value error, ")
    value = err.get("input")
    if err.get("type", "").startswith(("greater", "less")) or "should be" in msg:
        return f"{msg} (got {value!r})"
    return msg


def records(df: pd.DataFrame) -> Iterable[tuple[int, dict[str, Any]]]:
    """(spreadsheet row number, row as dict): the header is row 1, so data starts at row 2."""
    for i, rec in enumerate(df.to_dict(orient="records")):
        yield i + 2, rec

"""Validating the rows of one table, collecting every row/column problem (nothing half-imported).

A :class:`RowReader` wraps a :class:`~psoreg.io.source.Sheet` (the reading layer's header and
lazy rows) and parses cells with :mod:`psoreg.io.cells` under the user's
:class:`~psoreg.io.source.ReadOptions`. Problems are kept with their row and column; at most
:data:`MAX_PROBLEMS` are kept word for word, the rest are counted.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from functools import partial
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from psoreg.errors import ImportFailed, RowError
from psoreg.io import cells
from psoreg.io.source import ReadOptions, Sheet

T = TypeVar("T")
M = TypeVar("M", bound=BaseModel)

#: problems kept word for word per file; more are counted ("... and 12,345 more")
MAX_PROBLEMS = 1000


class Problems:
    """The problems of one file (all its tables), capped at :data:`MAX_PROBLEMS`."""

    def __init__(self, source: str) -> None:
        self.source = source
        self.errors: list[RowError] = []
        self.more = 0

    def add(self, error: RowError) -> None:
        if len(self.errors) < MAX_PROBLEMS:
            self.errors.append(error)
        else:
            self.more += 1

    def __bool__(self) -> bool:
        return bool(self.errors)

    def raise_if_any(self) -> None:
        if self.errors:
            raise ImportFailed(self.source, self.errors, self.more)


class RowReader:
    """Reads cells of one table, remembering every problem with its row and column.

    ``table`` (visit-level data) prefixes columns in messages: ``assessments.pasi``.
    """

    def __init__(
        self,
        sheet: Sheet,
        problems: Problems,
        options: ReadOptions | None = None,
        table: str | None = None,
    ) -> None:
        self.sheet = sheet
        self.problems = problems
        self.table = table
        self.options = options or ReadOptions()
        self.number: Callable[[Any], float | None] = partial(
            cells.number, decimal_comma=self.options.decimal_comma
        )
        self._seen_sheet_errors = 0
        self.rename: dict[str, str] = {}
        self._shown: dict[str, str] = {}

    def use_aliases(self, aliases: dict[str, str]) -> None:
        """Read column ``alias`` as ``aliases[alias]`` (messages keep the file's name)."""
        present = set(self.sheet.columns)
        for alias, canon in aliases.items():
            if alias in present:
                if canon in present:
                    self.error(None, alias, f"give {canon} or {alias}, not both")
                else:
                    self.rename[alias] = canon
        self._shown = {v: k for k, v in self.rename.items()}

    @property
    def columns(self) -> list[str]:
        return [self.rename.get(c, c) for c in self.sheet.columns]

    def _col(self, column: str | None) -> str | None:
        if column:
            column = self._shown.get(column, column)
        if self.table is None:
            return column
        return f"{self.table}.{column}" if column else self.table

    def error(self, row: int | None, column: str | None, message: str) -> None:
        self.problems.add(RowError(row, self._col(column), message))

    def records(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """The sheet's rows; problems the reading layer found are moved into ``problems``."""
        rename = self.rename
        for row, rec in self.sheet.rows():
            self._drain()
            if rename:
                rec = {rename.get(k, k): v for k, v in rec.items()}
            yield row, rec
        self._drain()

    def _drain(self) -> None:
        errs = self.sheet.errors
        while self._seen_sheet_errors < len(errs):
            e = errs[self._seen_sheet_errors]
            self._seen_sheet_errors += 1
            self.error(e.row, e.column, e.message)

    def check_columns(self, known: Iterable[str], required: Iterable[str]) -> None:
        known = set(known)
        for col in self.columns:
            if col not in known:
                self.error(
                    None, col, f"unknown column; expected some of: {', '.join(sorted(known))}"
                )
        for col in required:
            if col not in self.columns:
                self.error(None, col, "required column is missing")

    def require_rows(self) -> None:
        """Refuse a table with a header and no data rows (call after reading it)."""
        if self.sheet.data_rows == 0 and not self.sheet.errors:
            self.error(None, None, "no data rows: the table has a header and nothing under it")

    def cell(
        self, row: int, rec: dict[str, Any], column: str, parse: Callable[[Any], T]
    ) -> T | None:
        value = rec.get(column)
        if value is None or value == "":
            return parse(None)  # a blank cell: the parser's "missing" (None, or () for lists)
        try:
            return parse(value)
        except ValueError as exc:
            self.error(row, column, str(exc))
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
                self.error(row, columns.get(field, field), _plain(msg, err))  # type: ignore[arg-type]
            return None
        except ValueError as exc:  # raised by validators outside pydantic (catalogue)
            self.error(row, None, str(exc))
            return None


def _plain(msg: str, err: Any) -> str:
    msg = msg.removeprefix("Value error, ")
    value = err.get("input")
    if err.get("type", "").startswith(("greater", "less")) or "should be" in msg:
        return f"{msg} (got {value!r})"
    return msg

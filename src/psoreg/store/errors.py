"""Errors of the store: invalid input (naming the fields), conflicts, missing records."""

from __future__ import annotations

from typing import Any


class FieldError(ValueError):
    """Input refused; ``errors`` maps each offending field to a message. Nothing was saved."""

    def __init__(self, errors: dict[str, str]) -> None:
        self.errors = dict(errors)
        super().__init__("; ".join(f"{k}: {v}" for k, v in self.errors.items()))


class Conflict(Exception):
    """Someone else saved the record since it was read (optimistic locking).

    ``current`` holds the record's values as now saved, ``current_version`` its version; the
    caller keeps the user's own input so that nothing is lost.
    """

    def __init__(self, table: str, record_id: int, current: dict[str, Any], version: int) -> None:
        self.table = table
        self.record_id = record_id
        self.current = current
        self.current_version = version
        super().__init__(
            f"{table} {record_id} was changed by someone else (now version {version}); "
            "review their changes and save again"
        )


class NotFound(LookupError):
    """No such record."""


class Forbidden(PermissionError):
    """The user's role may not do this."""

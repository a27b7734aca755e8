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

    ``current`` holds the record's values as now saved, ``current_version`` its version,
    ``read_version`` the version the user had read, and ``changes`` the audit entries written
    since (who changed which field, when); the caller keeps the user's own input so that nothing
    is lost, and the user re-applies it to the current version.
    """

    def __init__(
        self,
        table: str,
        record_id: int,
        current: dict[str, Any],
        version: int,
        read_version: int | None = None,
        changes: list[Any] | None = None,
    ) -> None:
        self.table = table
        self.record_id = record_id
        self.current = current
        self.current_version = version
        self.read_version = read_version
        self.changes = list(changes or [])
        super().__init__(
            f"{table} {record_id} was changed by someone else (now version {version}); "
            "review their changes and re-apply yours to the current version"
        )

    def changed_by(self) -> dict[str, tuple[str, Any, Any, Any, Any]]:
        """field -> (who, when, their old value, their new value, their reason), the latest
        change of each field since the version the user read."""
        out: dict[str, tuple[str, Any, Any, Any, Any]] = {}
        for e in self.changes:
            if e.field:
                first_old = out[e.field][2] if e.field in out else e.old_value
                out[e.field] = (e.username, e.at, first_old, e.new_value, e.reason)
        return out


class NotFound(LookupError):
    """No such record."""


class Forbidden(PermissionError):
    """The user's role may not do this."""

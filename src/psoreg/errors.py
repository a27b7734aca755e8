"""Errors that name the field, the value given and what is allowed.

Every boundary of psoreg (score calculators, domain records, file import) raises these so a
clinician sees *which* field was wrong and what range it must lie in, never a bare traceback.
"""

from __future__ import annotations

from dataclasses import dataclass, field


class PsoregError(Exception):
    """Base class of psoreg's own errors."""


class InvalidValue(PsoregError, ValueError):
    """A single value outside its allowed range or set.

    ``field`` is the name the user knows the value by (``"head.erythema"``, ``"area_percent"``),
    ``allowed`` a human description of the allowed values (``"an integer from 0 to 4"``).
    """

    def __init__(self, field: str, value: object, allowed: str) -> None:
        self.field = field
        self.value = value
        self.allowed = allowed
        super().__init__(f"{field}: got {value!r}; expected {allowed}")


@dataclass
class RowError:
    """One problem in an input file: where it is and what was expected."""

    row: int | None  # 1-based data row as a spreadsheet shows it (header is row 1); None = file
    column: str | None
    message: str

    def __str__(self) -> str:
        where = []
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column:
            where.append(f"column '{self.column}'")
        prefix = ", ".join(where)
        return f"{prefix}: {self.message}" if prefix else self.message


@dataclass
class ImportFailed(PsoregError):
    """A file that could not be imported; nothing from it was kept."""

    path: str
    errors: list[RowError] = field(default_factory=list)
    #: problems found beyond those kept in ``errors`` (a file with very many bad rows)
    more: int = 0

    @property
    def count(self) -> int:
        return len(self.errors) + self.more

    def lines(self) -> list[str]:
        """One line per problem (and one counting those not listed)."""
        out = [str(e) for e in self.errors]
        if self.more:
            out.append(f"... and {self.more:,} more problem(s) not listed")
        return out

    def __str__(self) -> str:
        head = f"{self.path}: {self.count} problem(s); nothing was imported"
        return "\n".join([head, *(f"  - {e}" for e in self.lines())])

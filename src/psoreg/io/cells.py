"""Parsing spreadsheet cells, with errors that say what was expected.

Each parser takes the raw cell (str, number, None, NaN) and returns a Python value or raises
``ValueError`` with a message that names what is allowed; the file readers attach row and column.
"""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

TRUE = {"yes", "y", "true", "t", "1"}
FALSE = {"no", "n", "false", "f", "0"}


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    try:
        import pandas as pd

        if value is pd.NA or value is pd.NaT:
            return True
    except ImportError:  # pragma: no cover
        pass
    return isinstance(value, str) and not value.strip()


def text(value: Any) -> str | None:
    if is_blank(value):
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def number(value: Any) -> float | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        return float(value)
    try:
        return float(str(value).strip().replace(",", "."))
    except ValueError:
        raise ValueError(f"expected a number, got {value!r}") from None


def boolean(value: Any) -> bool | None:
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    key = text(value).lower()  # type: ignore[union-attr]
    if key in TRUE:
        return True
    if key in FALSE:
        return False
    raise ValueError(f"expected yes or no, got {value!r}")


def items(value: Any) -> tuple[str, ...]:
    """A ';'-separated list cell."""
    t = text(value)
    return tuple(x.strip() for x in t.split(";") if x.strip()) if t else ()


def date(value: Any) -> dt.date | None:
    if is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    if hasattr(value, "to_pydatetime"):
        return value.to_pydatetime().date()
    try:
        return dt.date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}") from None


def whole(x: float | None) -> int | float | None:
    """A number that is whole as an int (so pydantic's integer fields accept 2.0 from a sheet)."""
    return int(x) if x is not None and float(x).is_integer() else x


def drop_none(**kw: Any) -> dict[str, Any]:
    """Keyword arguments without the missing ones (so a record's defaults apply)."""
    return {k: v for k, v in kw.items() if v is not None}

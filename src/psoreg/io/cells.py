"""Parsing one cell: the single set of rules for every input psoreg accepts.

Files (CSV, Excel, case files), web forms and the JSON API all parse their values here; the file
readers attach row and column to a ``ValueError``, the store (:mod:`psoreg.store.parse`) the
field name. Each parser takes the raw value (``str``, number, ``bool``, date, ``None``) and
returns a Python value, or raises ``ValueError`` saying what was given and what was expected.

The rules (the README's "Input files" section lists them for users):

* **blank**: ``None``, NaN from a spreadsheet library, or text of only spaces.
* **numbers**: digits with ``.`` as the decimal point, an optional sign and exponent
  (``12``, ``-0.5``, ``1e-3``). Refused, because they are read differently by different
  programs: thousands separators (``1,000``, ``1 000``), underscores (``1_4``, which Python
  would read as 14), ``NaN``/``inf``, a decimal comma (``21,4``) unless the reader was given
  ``decimal_comma=True`` (``--decimal-comma``), and booleans.
* **dates**: ``YYYY-MM-DD`` exactly (a spreadsheet's midnight time ``YYYY-MM-DD 00:00:00`` is
  accepted too), or a date cell of the spreadsheet. Anything after the date, other orders
  (``08/01/2024`` is ambiguous) and spreadsheet serial numbers are refused.
* **yes/no**: yes/y/true/t/1/on or no/n/false/f/0/off, any case.
* **text**: stripped; a number cell becomes its text (``1.0`` → ``"1"``); lists, objects and
  booleans are refused.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from typing import Any

TRUE = frozenset({"yes", "y", "true", "t", "1", "on"})
FALSE = frozenset({"no", "n", "false", "f", "0", "off"})

_NUMBER = re.compile(r"[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_COMMA_NUMBER = re.compile(r"[+-]?(?:\d+,?\d*|,\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS = re.compile(r"[+-]?\d{1,3}(?:[,. '\u00a0\u202f]\d{3})+(?:[.,]\d+)?")
_DATE = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[ T]00:00(?::00(?:\.0+)?)?)?")


def is_blank(value: Any) -> bool:
    if value is None:
        return True
    if isinstance(value, float) and math.isnan(value):
        return True
    if isinstance(value, str):
        return not value.strip()
    try:
        import pandas as pd

        return value is pd.NA or value is pd.NaT
    except ImportError:  # pragma: no cover
        return False


def text(value: Any) -> str | None:
    if type(value) is str:  # the common case, first (a million rows pass here)
        return value.strip() or None
    if is_blank(value):
        return None
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise ValueError(f"expected text, got {value!r}")
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def number(value: Any, decimal_comma: bool = False) -> float | None:
    """A finite number (see the module's rules); ``decimal_comma`` reads ``21,4`` as 21.4."""
    if type(value) is str and not decimal_comma:  # the common case, first
        s = value.strip()
        if not s:
            return None
        if _NUMBER.fullmatch(s):
            return _finite(float(s), value)
        raise ValueError(_number_problem(value, s, decimal_comma))
    if is_blank(value):
        return None
    if isinstance(value, bool):
        raise ValueError(f"expected a number, got {value!r}")
    if isinstance(value, int | float):
        x = float(value)
        if not math.isfinite(x):
            raise ValueError(f"expected a finite number, got {value!r}")
        return x
    if not isinstance(value, str):
        raise ValueError(f"expected a number, got {value!r}")
    s = value.strip()
    if decimal_comma and _COMMA_NUMBER.fullmatch(s):
        return _finite(float(s.replace(",", ".")), value)
    if not decimal_comma and _NUMBER.fullmatch(s):
        return _finite(float(s), value)
    raise ValueError(_number_problem(value, s, decimal_comma))


def _finite(x: float, value: Any) -> float:
    if not math.isfinite(x):
        raise ValueError(f"expected a finite number, got {value!r}")
    return x


def _number_problem(value: Any, s: str, decimal_comma: bool) -> str:
    point = "','" if decimal_comma else "'.'"
    if "_" in s:
        why = "underscores are not digit separators here"
    elif _THOUSANDS.fullmatch(s):
        why = "thousands separators are not accepted; write the number without them"
    elif s.lower().lstrip("+-") in {"nan", "inf", "infinity", "na", "n/a"}:
        why = "leave the cell empty when the value is not known"
    elif not decimal_comma and _COMMA_NUMBER.fullmatch(s):
        why = "a decimal comma is read only with --decimal-comma"
    elif decimal_comma and _NUMBER.fullmatch(s):
        why = "with --decimal-comma the decimal point is ','"
    else:
        why = ""
    tail = f"; {why}" if why else ""
    return f"expected a number with {point} as the decimal point, got {value!r}{tail}"


def integer(value: Any, decimal_comma: bool = False) -> int | None:
    """A whole number (``2.0`` from a spreadsheet counts as 2)."""
    x = number(value, decimal_comma)
    if x is None:
        return None
    if not x.is_integer():
        raise ValueError(f"expected a whole number, got {value!r}")
    return int(x)


def boolean(value: Any) -> bool | None:
    if type(value) is str:
        key = value.strip().lower()
        if key in TRUE:
            return True
        if key in FALSE:
            return False
        if not key:
            return None
        raise ValueError(f"expected yes or no, got {value!r}")
    if is_blank(value):
        return None
    if isinstance(value, bool):
        return value
    if isinstance(value, int | float | str):
        key = str(text(value)).lower()
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
    if isinstance(value, str) and (m := _DATE.fullmatch(value.strip())):
        try:
            return dt.date(int(m[1]), int(m[2]), int(m[3]))
        except ValueError as exc:
            raise ValueError(f"expected a real date as YYYY-MM-DD, got {value!r} ({exc})") from None
    raise ValueError(f"expected a date as YYYY-MM-DD, got {value!r}")


def not_future(d: dt.date | None, today: dt.date | None = None) -> dt.date | None:
    """``d`` unless it lies after today (a record cannot describe the future)."""
    today = today or dt.date.today()
    if d is not None and d > today:
        raise ValueError(f"{d} is in the future (today is {today})")
    return d


def whole(x: float | None) -> int | float | None:
    """A number that is whole as an int (so pydantic's integer fields accept 2.0 from a sheet)."""
    return int(x) if x is not None and float(x).is_integer() else x


def drop_none(**kw: Any) -> dict[str, Any]:
    """Keyword arguments without the missing ones (so a record's defaults apply)."""
    return {k: v for k, v in kw.items() if v is not None}

"""Time from the first dose to onset: stored in days, shown in the unit the source reported.

A case report gives latency as "2 days", "10 weeks" or "6 months"; the record stores the days
(``time_to_onset_days``, for medians and ranges) and the reported unit
(``time_to_onset_unit``, for display), so "10 weeks" is stored as 70 days and shown as
"10 weeks" again. A month is a mean Gregorian month, 365.25 / 12 = 30.4375 days; a year is
365.25 days.
"""

from __future__ import annotations

import re
from enum import StrEnum

from psoreg.errors import InvalidValue

__all__ = ["MAX_ONSET_DAYS", "TimeUnit", "days_from", "format_onset", "parse_onset"]

#: The longest latency accepted: 100 years (paradoxical psoriasis latencies reported run from
#: about 4 days to 48 months; clinical-facts §5).
MAX_ONSET_DAYS = 36525.0


class TimeUnit(StrEnum):
    days = "days"
    weeks = "weeks"
    months = "months"
    years = "years"


DAYS_PER: dict[TimeUnit, float] = {
    TimeUnit.days: 1.0,
    TimeUnit.weeks: 7.0,
    TimeUnit.months: 365.25 / 12,
    TimeUnit.years: 365.25,
}

_UNIT_WORDS = {
    "d": TimeUnit.days, "day": TimeUnit.days, "days": TimeUnit.days,
    "w": TimeUnit.weeks, "wk": TimeUnit.weeks, "wks": TimeUnit.weeks,
    "week": TimeUnit.weeks, "weeks": TimeUnit.weeks,
    "m": TimeUnit.months, "mo": TimeUnit.months, "month": TimeUnit.months,
    "months": TimeUnit.months,
    "y": TimeUnit.years, "yr": TimeUnit.years, "yrs": TimeUnit.years,
    "year": TimeUnit.years, "years": TimeUnit.years,
}  # fmt: skip

_ALLOWED = "a time such as '9 days', '10 weeks' or '6 months' (days, weeks, months or years)"


def parse_unit(value: object, field: str = "time_to_onset_unit") -> TimeUnit:
    """A :class:`TimeUnit` from text such as ``"weeks"`` or ``"wk"``."""
    if isinstance(value, TimeUnit):
        return value
    if isinstance(value, str) and value.strip().lower() in _UNIT_WORDS:
        return _UNIT_WORDS[value.strip().lower()]
    raise InvalidValue(field, value, "one of: days, weeks, months, years")


def days_from(value: float, unit: TimeUnit | str, field: str = "time_to_onset") -> float:
    """``value`` in ``unit`` converted to days; refuses negative or over-long latencies."""
    u = parse_unit(unit)
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise InvalidValue(field, value, _ALLOWED)
    days = float(value) * DAYS_PER[u]
    if not 0 <= days <= MAX_ONSET_DAYS:
        raise InvalidValue(field, value, f"a latency from 0 to {MAX_ONSET_DAYS:g} days")
    return days


def parse_onset(text: str, field: str = "time_to_onset") -> tuple[float, TimeUnit]:
    """``"10 weeks"`` -> ``(70.0, TimeUnit.weeks)``; a bare number is days."""
    if not isinstance(text, str):
        raise InvalidValue(field, text, _ALLOWED)
    m = re.fullmatch(r"\s*~?\s*(\d+(?:[.,]\d+)?)\s*([A-Za-z]*)\s*", text)
    if m is None:
        raise InvalidValue(field, text, _ALLOWED)
    number = float(m[1].replace(",", "."))
    unit = parse_unit(m[2] or "days", field) if m[2] else TimeUnit.days
    return days_from(number, unit, field), unit


def _fmt(x: float) -> str:
    text = f"{x:.2f}".rstrip("0").rstrip(".")
    return text or "0"


def format_onset(days: float | None, unit: TimeUnit | None, approximate: bool = False) -> str:
    """``(70.0, weeks)`` -> ``"10 weeks"``; ``None`` -> ``"unknown"``; ``~`` if approximate."""
    if days is None:
        return "unknown"
    u = unit or TimeUnit.days
    value = days / DAYS_PER[u]
    word = u.value[:-1] if _fmt(value) == "1" else u.value
    return f"{'~' if approximate else ''}{_fmt(value)} {word}"

"""Numbers, percentages and dates in the current language's conventions (CLDR, via Babel).

Rounding is psoreg's own (half up, as papers print numbers:
:func:`psoreg.analysis.stats.round_half_up`); Babel only lays the rounded number out with the
locale's symbols. Malay (``ms``) writes a decimal *point* and groups thousands with a comma, as
the UKMMC case series prints its Abstrak ("41.5 tahun", "37.5%"), not the decimal comma of
Indonesian; dates are day-month-year with Malay month names ("30 November 2026").
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from functools import lru_cache
from typing import Any

from psoreg.i18n import get_language

_BABEL = {"en": "en_GB", "ms": "ms_MY"}


def _locale(lang: str | None) -> str:
    return _BABEL.get(lang or get_language(), "en_GB")


def decimal(
    x: float | None, digits: int = 1, lang: str | None = None, *, fixed: bool = False
) -> str:
    """``x`` rounded half up to ``digits`` decimals, whole numbers without decimals unless
    ``fixed``; '—' if missing. ('41.5', '16', '23.0' fixed, '1,250.5')"""
    from babel.numbers import format_decimal

    from psoreg.analysis.stats import fmt, round_half_up

    text = fmt(x, digits)
    if text == "—":
        return text
    if fixed:
        text = f"{round_half_up(float(x), digits):.{digits}f}"  # type: ignore[arg-type]
    d = Decimal(text)
    places = max(0, -d.as_tuple().exponent)  # type: ignore[operator]
    pattern = "#,##0" + ("." + "0" * places if places else "")
    return format_decimal(d, format=pattern, locale=_locale(lang), decimal_quantization=False)


def percent(p: float | None, digits: int = 1, lang: str | None = None) -> str:
    """A percentage (0–100 scale) as the locale prints it: '37.5%', '75%'."""
    from babel import Locale

    if p is None:
        return "—"
    symbol = Locale.parse(_locale(lang)).number_symbols["latn"]["percentSign"]
    return decimal(p, digits, lang) + symbol


@lru_cache(maxsize=16384)
def _format_date(d: dt.date, form: str, locale: str) -> str:
    """Babel's ``format_date``, remembered (a page writes the same dates again and again), and
    for a new date filled into the locale's pattern read from Babel once (:func:`_plan`):
    Babel parses the locale and the pattern on every call (0.1-0.2 ms), and a patient page of
    a large registry shows a few dates no page showed before."""
    plan = _plan(form, locale)
    if plan is None:
        from babel.dates import format_date

        return format_date(d, format=form, locale=locale)
    return "".join(part if kind is None else _FIELDS[kind](d, part) for kind, part in plan)


#: the pattern fields :func:`_plan` fills, as Babel writes them: day (d, dd), month as a
#: number (M, MM) or a name from the locale (MMM, MMMM: given here as the names), year (y,
#: yyyy: zero-padded to the count; yy is left to Babel)
_FIELDS = {
    "d": lambda d, n: f"{d.day:0{n}d}",
    "M": lambda d, n: f"{d.month:0{n}d}",
    "name": lambda d, names: names[d.month],
    "y": lambda d, n: f"{d.year:0{n}d}",
}


@lru_cache(maxsize=64)
def _plan(form: str, locale: str) -> tuple[tuple[str | None, Any], ...] | None:
    """The date pattern of ``form`` (a width such as 'medium', or a pattern such as 'MMM y') in
    ``locale`` as literal text and fields to fill; None when it has a field :data:`_FIELDS`
    does not write (weekdays, eras, two-digit years...), which Babel then formats."""
    from babel import Locale
    from babel.dates import tokenize_pattern

    loc = Locale.parse(locale)
    pattern = loc.date_formats[form].pattern if form in loc.date_formats else form
    plan: list[tuple[str | None, Any]] = []
    for kind, value in tokenize_pattern(pattern):
        if kind == "chars":
            plan.append((None, value))
            continue
        char, count = value
        if char == "M" and count in (3, 4):
            width = "abbreviated" if count == 3 else "wide"
            plan.append(("name", dict(loc.months["format"][width])))
        elif (char, count) in (("d", 1), ("d", 2), ("M", 1), ("M", 2), ("y", 1), ("y", 4)):
            plan.append((char, count))
        else:
            return None
    return tuple(plan)


def date(d: dt.date | dt.datetime | None, form: str = "medium", lang: str | None = None) -> str:
    """A date as the locale writes it ('30 Nov 2026'; form 'long': '30 November 2026')."""
    if d is None:
        return "—"
    return _format_date(d, form, _locale(lang))


def month(d: dt.date, *, year: bool = False, lang: str | None = None) -> str:
    """A month as a time axis labels it ('Jan', 'Jan 2024'; Malay 'Ogo', 'Ogo 2024')."""
    return _format_date(d, "MMM y" if year else "MMM", _locale(lang))

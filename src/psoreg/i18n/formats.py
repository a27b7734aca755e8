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
    """Babel's ``format_date``, remembered: a page writes the same few hundred dates again and
    again, and Babel parses the locale and the pattern on every call."""
    from babel.dates import format_date

    return format_date(d, format=form, locale=locale)


def date(d: dt.date | dt.datetime | None, form: str = "medium", lang: str | None = None) -> str:
    """A date as the locale writes it ('30 Nov 2026'; form 'long': '30 November 2026')."""
    if d is None:
        return "—"
    return _format_date(d, form, _locale(lang))


def month(d: dt.date, *, year: bool = False, lang: str | None = None) -> str:
    """A month as a time axis labels it ('Jan', 'Jan 2024'; Malay 'Ogo', 'Ogo 2024')."""
    return _format_date(d, "MMM y" if year else "MMM", _locale(lang))

"""Dates as the page's language writes them: psoreg fills the locale's pattern itself (Babel
parses the locale on every call), and must write exactly what Babel writes."""

from __future__ import annotations

import datetime as dt

import pytest
from babel.dates import format_date

from psoreg.i18n import formats

FORMS = ("short", "medium", "long", "full", "MMM", "MMM y", "MMMM y", "d MMM", "dd/MM/yy")


@pytest.mark.parametrize("locale", ["en_GB", "ms_MY"])
@pytest.mark.parametrize("form", FORMS)
def test_dates_are_written_as_babel_writes_them(locale: str, form: str) -> None:
    days = [dt.date(2023, 1, 1) + dt.timedelta(days=i) for i in range(3 * 366)]
    days += [dt.date(1, 1, 1), dt.date(999, 3, 9), dt.date(1900, 2, 28), dt.date(9999, 12, 31)]
    days.append(dt.datetime(2024, 9, 3, 23, 59))  # a time stamp: its date
    for d in days:
        assert formats._format_date.__wrapped__(d, form, locale) == format_date(
            d, format=form, locale=locale
        ), (d, form, locale)


def test_the_patterns_psoreg_shows_are_filled_without_babel() -> None:
    for locale in ("en_GB", "ms_MY"):
        for form in ("medium", "long", "MMM", "MMM y"):
            assert formats._plan(form, locale) is not None
    assert formats._plan("full", "en_GB") is None  # a weekday: left to Babel
    assert formats.date(dt.date(2024, 9, 3), lang="en") == "3 Sept 2024"
    assert formats.date(dt.date(2024, 8, 3), lang="ms") == "3 Ogo 2024"

"""De-identification for analysts: pseudonymous ids and dates shifted consistently per patient.

Free text is scrubbed for analysts by :func:`scrub` (the rule is stated above it).

The pseudonym and the shift are keyed HMACs of the registry's patient id with the site's
secret, so they are stable across pages and exports but cannot be reversed without the secret.
Every date of one patient moves by the same number of days (between 30 and 365, either way),
so intervals - weeks on treatment, time to PASI75 - are preserved.
"""

from __future__ import annotations

import datetime as dt
import hmac
import re
import time
from functools import lru_cache


def _digest(secret: str, patient_id: str, purpose: str) -> bytes:
    return hmac.digest(secret.encode(), f"{purpose}:{patient_id}".encode(), "sha256")


@lru_cache(maxsize=65536)  # an export names every patient: made once per process
def pseudonym(secret: str, patient_id: str) -> str:
    """A stable pseudonymous id such as ``S-3f9a1c2b``."""
    return "S-" + _digest(secret, patient_id, "id").hex()[:8]


def shift_days(secret: str, patient_id: str) -> int:
    """The patient's date shift in days: ±30 to ±365, never 0."""
    n = int.from_bytes(_digest(secret, patient_id, "shift")[:4], "big")
    days = 30 + n % 336
    return days if n & 1 << 31 else -days


def shift(secret: str, patient_id: str, d: dt.date | None) -> dt.date | None:
    """``d`` moved by the patient's shift (``None`` stays ``None``)."""
    if d is None:
        return None
    return d + dt.timedelta(days=shift_days(secret, patient_id))


# --- free text -------------------------------------------------------------------------------
#
# The rule (docs/web.md, "De-identification"): analysts get every free-text field scrubbed -
# dates are shifted by the patient's own shift (as the record dates are) and written
# YYYY-MM-DD (a month and year stay a month and year); e-mail addresses, phone numbers,
# hospital/record/identity numbers (a labelled number such as "MRN 123456", a Malaysian
# identity card number, any run of 6 or more digits) and the patient's own name and hospital
# number are masked. Names of other people and places cannot be recognised reliably and are
# not masked: the forms ask clinicians not to enter them. Written by hand because no
# maintained library on PyPI does date shifting with a per-patient key.

#: the free-text columns of each table, scrubbed for analysts
FREE_TEXT: dict[str, tuple[str, ...]] = {
    "patients": ("ethnicity", "comorbidities", "prior_systemics", "phenotype_history"),
    "courses": ("regimen", "next_treatment"),
    "events": ("sites", "management", "description"),
    "relapses": ("treatment",),
    "outcomes": ("regimen", "next_treatment"),
}

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ),
        start=1,
    )
    for m in names
}
_MONTH = r"(jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"  # noqa: E501
_ORD = r"(?:st|nd|rd|th)?"
_ISO = re.compile(r"\b(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})\b")
_DMY = re.compile(r"\b(\d{1,2})[-/.](\d{1,2})[-/.](\d{4}|\d{2})\b")
_D_MON_Y = re.compile(rf"\b(\d{{1,2}}){_ORD}\s+(?:of\s+)?{_MONTH},?\s+(\d{{4}})\b", re.I)
_MON_D_Y = re.compile(rf"\b{_MONTH}\s+(\d{{1,2}}){_ORD},?\s+(\d{{4}})\b", re.I)
_MON_Y = re.compile(rf"\b{_MONTH}\s+(\d{{4}})\b", re.I)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_LABELLED_ID = re.compile(
    r"\b(?:mrn|rn|hn|nhs|nric|ic|hospital\s*(?:no|number)|record\s*(?:no|number)|"
    r"patient\s*(?:no|number|id))\b\.?\s*[:#]?\s*[A-Za-z0-9][A-Za-z0-9/-]{2,}",
    re.I,
)
_MY_IC = re.compile(r"\b\d{6}-\d{2}-\d{4}\b")
_LONG_NUMBER = re.compile(r"\b[A-Za-z]{0,3}\d{6,}[A-Za-z]?\b")
_PHONE = re.compile(r"(?<![\w+])(?:\+\d{1,3}[ .-]?)?\(?\d[\d ().-]{5,18}\d(?!\w)")
_TOKEN = "\x00{}\x00"
_DIGIT = re.compile(r"\d")
_RESTORE = re.compile("\x00(\\d+)\x00")


#: this year (local time) and the time.time() range it covers
_YEAR: list = [0, 0.0, 0.0]


def _this_year() -> int:
    """``dt.date.today().year``, asked of the calendar only when the clock leaves the year it
    gave last (``today()`` took a quarter of :func:`scrub`'s time)."""
    now = time.time()
    if not _YEAR[1] <= now < _YEAR[2]:
        year = dt.date.today().year
        start, end = (dt.datetime(y, 1, 1).timestamp() for y in (year, year + 1))
        _YEAR[:] = [year, start, end]
    return _YEAR[0]


def _year(y: str, this_year: int) -> int:
    n = int(y)
    if len(y) == 2:
        n += 2000 if n <= this_year % 100 else 1900
    return n


def scrub(
    secret: str, patient_id: str, text: str | None, private: tuple[str, ...] = ()
) -> str | None:
    """``text`` as an analyst may see it (the rule above); ``private`` are the patient's own
    name and hospital number."""
    if not text:
        return text
    out, found = _masked(text, _this_year())
    out = _names(out, private)
    if found is None:  # no digit: no date, phone or number was looked for
        return out
    days = dt.timedelta(days=shift_days(secret, patient_id)) if found else dt.timedelta()
    dates = [_shifted(d, days, fmt) for d, fmt in found]
    return _RESTORE.sub(lambda m: dates[int(m[1])], out) if "\x00" in out else out


def _shifted(d: dt.date, days: dt.timedelta, fmt: str) -> str:
    """``d`` moved by the patient's shift, written as it was found; a date the shift would take
    past year 1 or 9999 is masked, never shown unshifted."""
    try:
        moved = d + days
    except OverflowError:
        return "[date]"
    return moved.strftime(fmt) if fmt else moved.isoformat()


@lru_cache(maxsize=4096)
def _masked(text: str, this_year: int) -> tuple[str, tuple[tuple[dt.date, str], ...] | None]:
    """The part of :func:`scrub` that is the same for every patient, kept for texts that
    recur (a regimen, a next treatment): ``text`` with e-mails, ids and phone numbers masked
    and each date replaced by a token, and the dates found (the date, and the format of a month
    and year), to be shifted by the patient's own shift; None when ``text`` has no digit."""
    found: list[tuple[dt.date, str]] = []

    def keep(value: dt.date, fmt: str = "") -> str:
        found.append((value, fmt))
        return _TOKEN.format(len(found) - 1)

    def day(y: int, m: int, d: int) -> str:
        try:
            return keep(dt.date(y, m, d))
        except ValueError:
            return "[date]"

    out = _EMAIL.sub("[email]", text) if "@" in text else text
    if _DIGIT.search(out) is None:  # no date, phone or number to find: only ids and names
        return _LABELLED_ID.sub("[id]", out), None
    out = _ISO.sub(lambda m: day(int(m[1]), int(m[2]), int(m[3])), out)

    def dmy(m: re.Match[str]) -> str:
        d, mo, y = int(m[1]), int(m[2]), _year(m[3], this_year)
        if mo > 12 and d <= 12:  # month first after all (12/31/2024)
            d, mo = mo, d
        return day(y, mo, d)

    out = _DMY.sub(dmy, out)
    out = _D_MON_Y.sub(lambda m: day(int(m[3]), _MONTHS[m[2].lower()], int(m[1])), out)
    out = _MON_D_Y.sub(lambda m: day(int(m[3]), _MONTHS[m[1].lower()], int(m[2])), out)

    def month(y: int, m: int) -> str:
        try:
            return keep(dt.date(y, m, 15), "%b %Y")
        except ValueError:  # "Jan 0000": no such year
            return "[date]"

    out = _MON_Y.sub(lambda m: month(int(m[2]), _MONTHS[m[1].lower()]), out)
    out = _LABELLED_ID.sub("[id]", out)
    out = _MY_IC.sub("[id]", out)
    out = _PHONE.sub(_phone, out)
    return _LONG_NUMBER.sub("[id]", out), tuple(found)


def _names(out: str, private: tuple[str, ...]) -> str:
    low = out.lower() if out.isascii() else None
    for word, ascii_low in _private_words(private):
        # an ASCII word cannot match ASCII text that does not hold it, in any case: its
        # pattern is not run then (re.I also matches a few non-ASCII letters: run it for those)
        if low is not None and ascii_low is not None and ascii_low not in low:
            continue
        out = _word(word).sub("[name]", out)
        low = out.lower() if out.isascii() else None
    return out


@lru_cache(maxsize=16384)
def _word(word: str) -> re.Pattern[str]:
    """The pattern of one private word (compiled once: re's own cache holds 512, and an
    export of thousands of patients would compile every name again)."""
    return re.compile(rf"(?<!\w){re.escape(word)}(?!\w)", flags=re.I)


def _phone(m: re.Match[str]) -> str:
    groups = re.findall(r"\d+", m[0])
    digits = sum(map(len, groups))
    if 8 <= digits <= 15 and len(groups) <= 5 and max(map(len, groups)) >= 3:
        return "[phone]"
    return m[0]


@lru_cache(maxsize=65536)  # one entry per patient of an export: small tuples
def _private_words(private: tuple[str, ...]) -> tuple[tuple[str, str | None], ...]:
    """The patient's hospital number and the words of their name (3 letters or more), longest
    first, each with its lower case when it is ASCII."""
    words = []
    for value in private:
        if not value:
            continue
        words.append(value.strip())
        words += [w for w in re.split(r"[\s,.'-]+", value) if len(w) >= 3 and not w.isdigit()]
    ordered = sorted({w for w in words if w}, key=len, reverse=True)
    return tuple((w, w.lower() if w.isascii() else None) for w in ordered)

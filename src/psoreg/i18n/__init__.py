"""Languages: English (the source language) and Bahasa Malaysia (``ms``), by gettext catalogues.

Every word psoreg shows is written in English in the code, marked with ``_("...")`` (translated
where it is used) or ``N_("...")`` (a module-level constant, translated later with ``_(text)``),
and looked up in ``locale/<lang>/LC_MESSAGES/psoreg.po`` (the catalogues, kept with
``pybabel extract/update/compile``; see the Makefile's ``i18n-*`` targets and docs/glossary.md
for the clinical terms).

The language is a context variable, so a web request, a CLI command or one half of a bilingual
report each sets it for the code it runs (:func:`use_language`), and threads or tasks of other
requests keep theirs. Messages use ``str.format`` names: ``_("{k} of {n}").format(k=1, n=2)``.

Compiled catalogues (``.mo``) are build output (``make i18n-compile``, run by ``make install``),
not committed: when a ``.mo`` is missing or older than its ``.po`` (a source checkout used
without ``make``), the ``.po`` is compiled in memory with Babel, so a stale translation is never
shown.
"""

from __future__ import annotations

import gettext as _gettext
import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache
from pathlib import Path

DOMAIN = "psoreg"
LOCALE_DIR = Path(__file__).resolve().parent / "locale"
#: The languages psoreg speaks: code -> the language's own name (for a language menu).
LANGUAGES: dict[str, str] = {"en": "English", "ms": "Bahasa Malaysia"}
DEFAULT = "en"

_current: ContextVar[str] = ContextVar("psoreg_language", default=DEFAULT)


def check_language(lang: str | None, option: str = "--lang") -> str:
    """``lang`` as a supported code ('ms-MY', 'ms_MY' and 'MS' are 'ms'); else a ValueError."""
    code = (lang or "").strip().replace("_", "-").split("-")[0].lower()
    if code not in LANGUAGES:
        raise ValueError(f"{option}: got {lang!r}; expected one of {', '.join(LANGUAGES)}")
    return code


@cache
def translations(lang: str) -> _gettext.NullTranslations:
    """The catalogue of ``lang`` (cached; English falls back to the message itself)."""
    po = LOCALE_DIR / lang / "LC_MESSAGES" / f"{DOMAIN}.po"
    mo = po.with_suffix(".mo")
    if mo.is_file() and (not po.is_file() or mo.stat().st_mtime >= po.stat().st_mtime):
        with mo.open("rb") as f:
            return _gettext.GNUTranslations(f)
    if not po.is_file():
        return _gettext.NullTranslations()
    from babel.messages.mofile import write_mo
    from babel.messages.pofile import read_po

    with po.open("rb") as f:
        catalog = read_po(f, locale=lang, domain=DOMAIN)
    buf = io.BytesIO()
    write_mo(buf, catalog, use_fuzzy=False)
    buf.seek(0)
    return _gettext.GNUTranslations(buf)


def get_language() -> str:
    return _current.get()


def set_language(lang: str) -> None:
    """Set the language of the current context (a CLI run); prefer :func:`use_language`."""
    _current.set(check_language(lang))


@contextmanager
def use_language(lang: str) -> Iterator[str]:
    """Run a block in ``lang`` (then restore the language before it)."""
    token = _current.set(check_language(lang))
    try:
        yield _current.get()
    finally:
        _current.reset(token)


def gettext(message: str) -> str:
    """``message`` in the current language (the English text when it has no translation)."""
    if not message:
        return message
    return translations(_current.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_current.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    """``message`` in ``context`` (one English word, two meanings: a "Figure" of a table is a
    statistic, *angka*; the "Figure" of a chart is *Rajah*)."""
    return translations(_current.get()).pgettext(context, message)


_ = gettext


def N_(message: str) -> str:  # noqa: N802 - the gettext convention
    """Mark ``message`` for translation without translating it (module-level constants)."""
    return message


def negotiate(accept_language: str | None) -> str:
    """The best supported language for an HTTP ``Accept-Language`` header (RFC 9110 q-values);
    English when nothing matches."""
    best: tuple[float, int, str] | None = None
    for i, part in enumerate((accept_language or "").split(",")):
        tag, _sep, params = part.strip().partition(";")
        q = 1.0
        for p in params.split(";"):
            name, _eq, value = p.strip().partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        try:
            code = check_language(tag)
        except ValueError:
            continue
        if q > 0 and (best is None or (q, -i) > (best[0], best[1])):
            best = (q, -i, code)
    return best[2] if best else DEFAULT

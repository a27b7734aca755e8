"""Turning form or JSON input into typed values, naming the field on every error."""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from psoreg.store.errors import FieldError

Parser = Callable[[str, Any], Any]


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def text(field: str, value: Any) -> str | None:
    if _blank(value):
        return None
    if not isinstance(value, str | int | float):
        raise FieldError({field: f"expected text, got {value!r}"})
    return str(value).strip()


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_CONTROL_LINE = re.compile(r"[\x00-\x1f\x7f]")
ID_PATTERN = re.compile(r"^[A-Z0-9](?:[A-Z0-9._-]*[A-Z0-9])?$")


def limited_text(max_length: int, *, multiline: bool = False) -> Parser:
    """A text parser that refuses more than ``max_length`` characters and control characters
    (line breaks only where ``multiline``)."""
    control = _CONTROL if multiline else _CONTROL_LINE

    def parse(field: str, value: Any) -> str | None:
        out = text(field, value)
        if out is None:
            return None
        out = unicodedata.normalize("NFC", out.replace("\r\n", "\n"))
        if len(out) > max_length:
            raise FieldError({field: f"{len(out)} characters; at most {max_length} allowed"})
        if control.search(out):
            what = "control characters" if multiline else "line breaks or control characters"
            raise FieldError({field: f"{what} are not allowed"})
        return out

    return parse


def identifier(max_length: int) -> Parser:
    """A registry id: letters, digits, '.', '-' and '_', starting and ending with a letter or
    digit, at most ``max_length`` characters; normalised to upper case so that ``eval01`` and
    ``EVAL01`` are one id."""

    def parse(field: str, value: Any) -> str | None:
        out = text(field, value)
        if out is None:
            return None
        out = unicodedata.normalize("NFKC", out).upper()
        if len(out) > max_length:
            raise FieldError({field: f"{len(out)} characters; at most {max_length} allowed"})
        if not ID_PATTERN.match(out):
            raise FieldError(
                {
                    field: f"got {value!r}; use letters A-Z, digits and . - _ "
                    "(starting and ending with a letter or digit)"
                }
            )
        return out

    return parse


def number(field: str, value: Any) -> float | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        raise FieldError({field: f"expected a number, got {value!r}"})
    try:
        x = float(value)
    except (TypeError, ValueError):
        raise FieldError({field: f"expected a number, got {value!r}"}) from None
    if not math.isfinite(x):
        raise FieldError({field: f"expected a finite number, got {value!r}"})
    return x


def integer(field: str, value: Any) -> int | None:
    x = number(field, value)
    if x is None:
        return None
    if x != int(x):
        raise FieldError({field: f"expected a whole number, got {value!r}"})
    return int(x)


def date(field: str, value: Any) -> dt.date | None:
    if _blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    try:
        return dt.date.fromisoformat(str(value).strip())
    except ValueError:
        raise FieldError({field: f"expected a date YYYY-MM-DD, got {value!r}"}) from None


def boolean(field: str, value: Any) -> bool | None:
    if _blank(value):
        return None
    if isinstance(value, bool):
        return value
    key = str(value).strip().lower()
    if key in {"yes", "y", "true", "1", "on"}:
        return True
    if key in {"no", "n", "false", "0", "off"}:
        return False
    raise FieldError({field: f"expected yes or no, got {value!r}"})


def parse_fields(spec: dict[str, Parser], data: dict[str, Any], *, partial: bool) -> dict:
    """Parse the fields of ``spec`` from ``data``; all errors are collected and raised at once.

    With ``partial`` only keys present in ``data`` are returned (an update); otherwise every
    field of ``spec`` is returned, missing ones as ``None`` (a create). Unknown keys are refused.
    """
    unknown = sorted(set(data) - set(spec))
    errors = {k: "unknown field" for k in unknown}
    out: dict[str, Any] = {}
    for name, parser in spec.items():
        if partial and name not in data:
            continue
        try:
            out[name] = parser(name, data.get(name))
        except FieldError as exc:
            errors.update(exc.errors)
    if errors:
        raise FieldError(errors)
    return out

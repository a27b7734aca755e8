"""Turning form or JSON input into typed values, naming the field on every error.

The rules are those of every other input (:mod:`psoreg.io.cells`, one module for all); this
module only attaches the field name, as a :class:`~psoreg.store.errors.FieldError`.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Callable
from typing import Any

from psoreg.io import cells
from psoreg.store.errors import FieldError

Parser = Callable[[str, Any], Any]


def _named(parse: Callable[[Any], Any]) -> Parser:
    def parser(field: str, value: Any) -> Any:
        try:
            return parse(value)
        except ValueError as exc:
            raise FieldError({field: str(exc)}) from None

    parser.__name__ = parse.__name__
    parser.__doc__ = f"``{parse.__name__}`` of :mod:`psoreg.io.cells`, errors naming the field."
    return parser


text: Parser = _named(cells.text)
number: Parser = _named(cells.number)
integer: Parser = _named(cells.integer)
boolean: Parser = _named(cells.boolean)
date: Callable[[str, Any], dt.date | None] = _named(cells.date)

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

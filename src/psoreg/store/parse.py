"""Turning form or JSON input into typed values, naming the field on every error.

The rules are those of every other input (:mod:`psoreg.io.cells`, one module for all); this
module only attaches the field name, as a :class:`~psoreg.store.errors.FieldError`.
"""

from __future__ import annotations

import datetime as dt
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

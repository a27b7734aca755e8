"""Shared input checks for the score calculators (private).

Every check raises :class:`psoreg.errors.InvalidValue` naming the field and the allowed range, so a
clinician entering ``trunk.erythema = 5`` reads ``trunk.erythema: got 5; expected an integer from
0 to 4``. Booleans are always rejected (``True`` is an ``int`` in Python but never a grade).
"""

from __future__ import annotations

import math
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from fractions import Fraction
from numbers import Integral, Real

from psoreg.errors import InvalidValue


def int_range(lo: int, hi: int) -> str:
    """The ``allowed`` text for an integer range."""
    return f"an integer from {lo} to {hi}"


def number_range(lo: float, hi: float) -> str:
    """The ``allowed`` text for a real-number range."""
    return f"a number from {_fmt(lo)} to {_fmt(hi)}"


def _fmt(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)


def check_int(field: str, value: object, lo: int, hi: int) -> int:
    """Return ``value`` as an ``int`` if it is a whole number in ``[lo, hi]``.

    Accepts ``int`` (and integer-like numbers such as NumPy integers) and floats with no
    fractional part (``3.0`` from a spreadsheet); rejects booleans, ``2.5``, NaN, strings.
    """
    allowed = int_range(lo, hi)
    if isinstance(value, bool):
        raise InvalidValue(field, value, allowed)
    if isinstance(value, Integral):
        result = int(value)
    elif isinstance(value, Real):
        f = float(value)
        if not math.isfinite(f) or not f.is_integer():
            raise InvalidValue(field, value, allowed)
        result = int(f)
    else:
        raise InvalidValue(field, value, allowed)
    if not lo <= result <= hi:
        raise InvalidValue(field, value, allowed)
    return result


def check_number(field: str, value: object, lo: float, hi: float) -> float:
    """Return ``value`` as a ``float`` if it is a finite real number in ``[lo, hi]``."""
    allowed = number_range(lo, hi)
    if isinstance(value, bool) or not isinstance(value, Real):
        raise InvalidValue(field, value, allowed)
    f = float(value)
    if math.isnan(f) or not lo <= f <= hi:
        raise InvalidValue(field, value, allowed)
    return f


def exact(x: float) -> Fraction:
    """The decimal a float was written as, exactly (``12.4`` -> ``62/5``, not the binary value).

    Used for threshold comparisons (PASI 75 etc.) so that a 75.0 % improvement computed from
    decimal PASI values is never judged 74.999999 % because of binary rounding.
    """
    return Fraction(repr(float(x)))


@contextmanager
def prefixed(prefix: str) -> Iterator[None]:
    """Re-raise any :class:`InvalidValue` with ``prefix`` added to its field.

    ``with prefixed("trunk."):`` turns field ``erythema`` into ``trunk.erythema``.
    """
    try:
        yield
    except InvalidValue as e:
        raise InvalidValue(f"{prefix}{e.field}", e.value, e.allowed) from None


@contextmanager
def renamed(names: Mapping[str, str]) -> Iterator[None]:
    """Re-raise any :class:`InvalidValue` with its field renamed through ``names``."""
    try:
        yield
    except InvalidValue as e:
        if e.field in names:
            raise InvalidValue(names[e.field], e.value, e.allowed) from None
        raise

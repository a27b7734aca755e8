"""Static Physician's Global Assessment (sPGA), 5-point.

Definitions (clinical-facts.md section 2, "sPGA"):

* **Grades:** 0 clear, 1 almost clear, 2 mild, 3 moderate, 4 severe.
* **Construction:** built from erythema, induration and scaling (0-4 each), averaged.
* **Endpoint:** the usual trial endpoint is PGA 0/1 (:func:`is_clear_or_almost_clear`).
  Secukinumab trials used "IGA mod 2011" with success = clear or almost clear (Cosentyx label
  Table 3).
* **6-point variants:** PGA and IGA versions scored 0-5 also exist (usdermed sPGA page). Their
  grade wording differs between versions, so no labels are given for them here;
  :func:`validate_spga` and :func:`is_clear_or_almost_clear` accept ``points=6`` for the grade
  range only. Do not compare 5-point and 6-point grades above 1.

**Rounding of the averaged grade (our choice; no reachable source states it).** The mean of three
integers is ``k/3``, so its fraction is 0, 1/3 or 2/3 and it is never exactly half-way: rounding
to the nearest integer is unambiguous (x.33 rounds down, x.67 up; 2/3/3 -> 2.67 -> 3). The only
exception we make: grade 0 ("clear") requires all three signs to be 0, so erythema 1 with no
induration or scaling (mean 0.33) is 1 "almost clear", not "clear". This is the rule GPPGA
states explicitly (Burden 2022: 0 only if all zero, then bands at 1.5 / 2.5 / 3.5, which is
nearest-integer rounding), and it keeps "clear" meaning no visible sign. Pass
``clear_requires_all_zero=False`` for plain nearest-integer rounding.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Literal

from psoreg.errors import InvalidValue
from psoreg.scores._validate import check_int

__all__ = [
    "SPGA_LABELS",
    "SPGA_MAX",
    "is_clear_or_almost_clear",
    "spga_from_components",
    "spga_label",
    "validate_spga",
]

SPGA_MAX = 4
SIGN_MAX = 4
SPGA_LABELS: Mapping[int, str] = MappingProxyType(
    {0: "clear", 1: "almost clear", 2: "mild", 3: "moderate", 4: "severe"}
)


def validate_spga(grade: object, *, points: Literal[5, 6] = 5, field: str = "spga") -> int:
    """Check an sPGA grade: 0-4 on the 5-point scale (default) or 0-5 on a 6-point scale."""
    if points not in (5, 6):
        raise InvalidValue("points", points, "5 or 6")
    return check_int(field, grade, 0, points - 1)


def spga_label(grade: int) -> str:
    """Label of a 5-point sPGA grade: ``spga_label(1) == "almost clear"``."""
    return SPGA_LABELS[validate_spga(grade)]


def spga_from_components(
    erythema: int, induration: int, scaling: int, *, clear_requires_all_zero: bool = True
) -> int:
    """5-point sPGA from erythema, induration and scaling (0-4 each), averaged and rounded.

    Rounds the mean to the nearest integer (never a tie, see the module docstring); with
    ``clear_requires_all_zero`` (default) a mean above 0 gives at least 1.
    """
    signs = [
        check_int("spga.erythema", erythema, 0, SIGN_MAX),
        check_int("spga.induration", induration, 0, SIGN_MAX),
        check_int("spga.scaling", scaling, 0, SIGN_MAX),
    ]
    s = sum(signs)
    # nearest integer to s/3 in integer arithmetic: floor(s/3 + 1/2) = (2s + 3) // 6
    grade = (2 * s + 3) // 6
    if clear_requires_all_zero and s > 0:
        grade = max(grade, 1)
    return grade


def is_clear_or_almost_clear(grade: int, *, points: Literal[5, 6] = 5) -> bool:
    """PGA 0/1 success: grade is 0 (clear) or 1 (almost clear)."""
    return validate_spga(grade, points=points) <= 1

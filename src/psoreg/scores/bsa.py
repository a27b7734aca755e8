"""Body surface area (BSA) involvement: validation, palm method, NPF severity band.

Definitions (clinical-facts.md section 2, "BSA"):

* **BSA** is a percentage, 0-100.
* **Palm method:** the patient's palm is about 1 % of body surface area (NPF via Medscape;
  calculators). Sources disagree about the fingers: most define the 1 % "palm" as the palm
  *including* the fingers; the Cambio CDS PASI card says *excluding* the fingers. Neither source
  gives a different percentage for the other convention, so :func:`bsa_from_palms` counts 1 % per
  palm either way; ``includes_fingers`` records which unit the assessor used and selects the
  factor in :data:`PALM_PERCENT`, so a verified factor for palm-without-fingers can be entered in
  one place. Do not mix the two conventions within one patient's series.
* **NPF severity bands:** < 3 % mild, 3-10 % moderate, > 10 % severe. There is no separate
  "clear" band: 0 % falls in ``mild``.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from types import MappingProxyType

from psoreg.errors import InvalidValue
from psoreg.scores._validate import check_number

__all__ = [
    "BSA_MAX",
    "PALM_PERCENT",
    "NpfSeverity",
    "bsa_from_palms",
    "npf_severity",
    "validate_bsa",
]

BSA_MAX = 100

#: Percent of BSA per palm, keyed by ``includes_fingers``. Both 1.0: each convention's source
#: states its own "palm" unit as about 1 % (clinical-facts.md section 2).
PALM_PERCENT: Mapping[bool, float] = MappingProxyType({True: 1.0, False: 1.0})


class NpfSeverity(StrEnum):
    """NPF BSA severity band."""

    MILD = "mild"
    MODERATE = "moderate"
    SEVERE = "severe"


def validate_bsa(percent: float, *, field: str = "bsa") -> float:
    """Check a BSA percentage: a number from 0 to 100. Returns it as a float."""
    return check_number(field, percent, 0, BSA_MAX)


def bsa_from_palms(n_palms: float, includes_fingers: bool = True) -> float:
    """Estimate BSA % from a count of the patient's palms (fractions such as 2.5 allowed).

    ``includes_fingers`` says whether the assessor's palm unit included the fingers (the usual
    convention) or not (Cambio CDS card); see the module docstring. The count must be 0-100
    palms, since the result cannot exceed 100 %.
    """
    if not isinstance(includes_fingers, bool):
        raise InvalidValue("includes_fingers", includes_fingers, "True or False")
    factor = PALM_PERCENT[includes_fingers]
    n = check_number("n_palms", n_palms, 0, BSA_MAX / factor)
    return n * factor


def npf_severity(bsa: float) -> NpfSeverity:
    """NPF band: < 3 % mild, 3-10 % moderate (10 % included), > 10 % severe."""
    b = validate_bsa(bsa)
    if b < 3:
        return NpfSeverity.MILD
    if b <= 10:
        return NpfSeverity.MODERATE
    return NpfSeverity.SEVERE

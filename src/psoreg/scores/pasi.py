"""Psoriasis Area and Severity Index (PASI) and PASI response.

Definitions (clinical-facts.md section 1):

* **Regions and weights:** head/neck 0.1, upper limbs 0.2, trunk (including axillae and genitals)
  0.3, lower limbs (including buttocks) 0.4 -- Feldman & Krueger, *Ann Rheum Dis* 2005, Table 1.
  Region keys here: ``head``, ``upper_limbs``, ``trunk``, ``lower_limbs``.
* **Signs:** erythema, induration (thickness), desquamation (scale), each 0-4 (none ... very
  severe; the wording of grades varies between sources).
* **Area score 0-6:** half-open bands of Feldman & Krueger 2005, 0 only for exactly 0 % -- see
  :mod:`psoreg.scores.area`.
* **Formula:** PASI = sum over regions of weight x area score x (E + I + D); range 0-72, since
  (0.1 + 0.2 + 0.3 + 0.4) x 6 x 12 = 72.
* **Children:** no guideline gives paediatric PASI weights. The "head 0.2, lower limbs 0.3 for age
  <= 7" weights seen in one glossary look like EASI weights and are **UNVERIFIED** for PASI, so
  they are not implemented; NICE notes PASI and BSA are not validated in children.
* **Response:** PASI X = reduction from baseline of at least X %, i.e.
  (PASI_0 - PASI_t) / PASI_0 >= X / 100, giving PASI 50 / 75 / 90 / 100 (clearance). PASI 50 is
  the clinically meaningful response (Carlin, *JAAD* 2004). Undefined when baseline PASI is 0.
  Comparisons use the decimal values exactly (see :func:`response`), so 12.0 -> 3.0 is PASI 75.

Absolute PASI targets (PASI <= 2, <= 3, DERMBIO bands) vary by source and belong to
``psoreg.outcomes``, not here.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any, ClassVar

from psoreg.scores._regional import (
    RegionalResult,
    SignsAndArea,
    coerce_regions,
    frozen_mapping,
    regions_from_flat,
    weighted,
)
from psoreg.scores._validate import check_number, exact
from psoreg.scores.area import area_score

__all__ = [
    "PASI_MAX",
    "PASI_REGIONS",
    "PASI_RESPONSE_THRESHOLDS",
    "PASI_WEIGHTS",
    "PasiResponse",
    "PasiResult",
    "RegionScore",
    "area_score",
    "improvement",
    "pasi",
    "pasi_from_components",
    "response",
    "validate_pasi_total",
]

PASI_MAX = 72
PASI_REGIONS: tuple[str, ...] = ("head", "upper_limbs", "trunk", "lower_limbs")
# Weights in tenths so that arithmetic stays in integers until one final division by 10.
_WEIGHT_TENTHS: dict[str, int] = {"head": 1, "upper_limbs": 2, "trunk": 3, "lower_limbs": 4}
PASI_WEIGHTS: Mapping[str, float] = frozen_mapping({r: t / 10 for r, t in _WEIGHT_TENTHS.items()})
PASI_RESPONSE_THRESHOLDS: tuple[int, ...] = (50, 75, 90, 100)


@dataclass(frozen=True)
class RegionScore(SignsAndArea):
    """One PASI region: erythema, induration, desquamation (0-4 each) and the area.

    Give the area as exactly one of ``area_percent`` (0-100, converted with :func:`area_score`)
    or ``area_score`` (0-6). The resolved area score is in :attr:`area`. Signs must be whole
    numbers: ``2`` and ``2.0`` are accepted, ``2.5`` and ``True`` are rejected.
    """

    SIGNS: ClassVar[tuple[str, str, str]] = ("erythema", "induration", "desquamation")

    erythema: int
    induration: int
    desquamation: int
    area_percent: float | None = None
    area_score: int | None = None
    area: int = field(init=False)


@dataclass(frozen=True)
class PasiResult(RegionalResult):
    """PASI total (0-72) and each region's subtotal (weight x area x sum of signs).

    ``total`` keeps full precision (it is always an exact multiple of 0.1); use :attr:`rounded`
    for display.
    """

    regions: Mapping[str, RegionScore] = field(default_factory=dict, compare=False, repr=False)


def pasi(regions: Mapping[str, RegionScore | Mapping[str, Any]]) -> PasiResult:
    """PASI from the four regions ``head``, ``upper_limbs``, ``trunk``, ``lower_limbs``.

    Each value is a :class:`RegionScore` or a mapping of its fields (then errors name
    ``"<region>.<field>"``). A missing or unknown region is rejected, naming the region.
    """
    checked = coerce_regions(regions, _WEIGHT_TENTHS, RegionScore)
    total, subtotals = weighted(_WEIGHT_TENTHS, checked)
    return PasiResult(total, frozen_mapping(subtotals), frozen_mapping(checked))


def pasi_from_components(**flat: Any) -> PasiResult:
    """PASI from flat keys ``<region>_<field>``, as in a CSV row or web grid.

    Fields are ``erythema``, ``induration``, ``desquamation`` and one of ``area_percent`` or
    ``area_score`` (``None`` counts as not given), e.g.
    ``pasi_from_components(head_erythema=1, head_induration=1, head_desquamation=0,
    head_area_percent=5, ...)``. Errors name the flat key (``"trunk_erythema"``); a region with
    both or neither area form is reported as ``"<region>_area"``.
    """
    return pasi(regions_from_flat(flat, _WEIGHT_TENTHS, RegionScore))


def validate_pasi_total(x: float, *, field: str = "pasi") -> float:
    """Check a PASI total entered directly: a number from 0 to 72. Returns it as a float."""
    return check_number(field, x, 0, PASI_MAX)


def _checked_pair(baseline: float, current: float) -> tuple[Fraction, Fraction]:
    b = validate_pasi_total(baseline, field="baseline")
    c = validate_pasi_total(current, field="current")
    return exact(b), exact(c)


def improvement(baseline: float, current: float) -> float | None:
    """Percent improvement from baseline: 100 x (baseline - current) / baseline.

    ``None`` when baseline is 0 (undefined). Negative when PASI has worsened. Both values must be
    valid PASI totals (0-72). Computed exactly from the decimal values, then rounded once to a
    float, so ``improvement(12, 3) == 75.0`` and ``improvement(12.4, 3.1) == 75.0``.
    """
    b, c = _checked_pair(baseline, current)
    if b == 0:
        return None
    return float((b - c) / b * 100)


@dataclass(frozen=True)
class PasiResponse:
    """PASI 50/75/90/100 flags; all ``None`` (undefined) when baseline PASI is 0."""

    baseline: float
    current: float
    improvement: float | None
    pasi50: bool | None
    pasi75: bool | None
    pasi90: bool | None
    pasi100: bool | None

    def as_dict(self) -> dict[str, float | bool | None]:
        return {
            "baseline": self.baseline,
            "current": self.current,
            "improvement": self.improvement,
            "pasi50": self.pasi50,
            "pasi75": self.pasi75,
            "pasi90": self.pasi90,
            "pasi100": self.pasi100,
        }


def response(baseline: float, current: float) -> PasiResponse:
    """PASI X response flags: ``pasiX`` is true when improvement >= X %.

    The test is done exactly on the decimal values (``100 x (b - c) >= X x b``), so an
    improvement of exactly 75 % counts as PASI 75 regardless of binary rounding. PASI 100 means
    ``current == 0`` with ``baseline > 0``. All flags are ``None`` when baseline is 0.
    """
    b, c = _checked_pair(baseline, current)
    if b == 0:
        flags: dict[str, bool | None] = {f"pasi{x}": None for x in PASI_RESPONSE_THRESHOLDS}
    else:
        flags = {f"pasi{x}": 100 * (b - c) >= x * b for x in PASI_RESPONSE_THRESHOLDS}
    return PasiResponse(
        baseline=float(baseline),
        current=float(current),
        improvement=improvement(baseline, current),
        **flags,
    )

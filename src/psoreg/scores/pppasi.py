"""Palmoplantar Pustulosis Area and Severity Index (PPPASI) and PPP PGA.

Definitions (clinical-facts.md section 2, "PPPASI" and "PPP PGA"):

* **Range** 0-72 (Benzian-Olsson, *JAMA Dermatol* 2020).
* **Regions and weights:** right palm 0.2, left palm 0.2, right sole 0.3, left sole 0.3
  (keys ``right_palm``, ``left_palm``, ``right_sole``, ``left_sole``). Each region =
  weight x area score x (sum of 3 signs, 0-4 each). This structure is confirmed for the
  non-pustular PPASI, whose signs are E, I and D (usdermed).
* **Signs:** erythema, **pustules**, desquamation, each 0-4. The pustules sign (E, P, D, per
  Bhushan 2001) is **UNVERIFIED** in a reachable primary text.
* **Area score** 0-6: same bands as PASI (:func:`psoreg.scores.area.area_score`).
* **PPP PGA:** 0 clear, 1 almost clear, 2 mild, 3 moderate, 4 severe (JAMA Dermatol 2020).

Weights sum to 1.0, so the maximum is 1.0 x 6 x 12 = 72, computed exactly in tenths as for PASI.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, ClassVar

from psoreg.scores._regional import (
    RegionalResult,
    SignsAndArea,
    coerce_regions,
    frozen_mapping,
    regions_from_flat,
    weighted,
)
from psoreg.scores._validate import check_int

__all__ = [
    "PPP_PGA_LABELS",
    "PPPASI_MAX",
    "PPPASI_REGIONS",
    "PPPASI_WEIGHTS",
    "PppasiRegionScore",
    "PppasiResult",
    "ppp_pga_label",
    "pppasi",
    "pppasi_from_components",
    "validate_ppp_pga",
]

PPPASI_MAX = 72
_WEIGHT_TENTHS: dict[str, int] = {"right_palm": 2, "left_palm": 2, "right_sole": 3, "left_sole": 3}
PPPASI_REGIONS: tuple[str, ...] = tuple(_WEIGHT_TENTHS)
PPPASI_WEIGHTS: Mapping[str, float] = frozen_mapping({r: t / 10 for r, t in _WEIGHT_TENTHS.items()})
PPP_PGA_LABELS: Mapping[int, str] = MappingProxyType(
    {0: "clear", 1: "almost clear", 2: "mild", 3: "moderate", 4: "severe"}
)


@dataclass(frozen=True)
class PppasiRegionScore(SignsAndArea):
    """One PPPASI region: erythema, pustules (UNVERIFIED sign), desquamation 0-4, and the area.

    Give the area as exactly one of ``area_percent`` (0-100) or ``area_score`` (0-6).
    """

    SIGNS: ClassVar[tuple[str, str, str]] = ("erythema", "pustules", "desquamation")

    erythema: int
    pustules: int
    desquamation: int
    area_percent: float | None = None
    area_score: int | None = None
    area: int = field(init=False)


@dataclass(frozen=True)
class PppasiResult(RegionalResult):
    """PPPASI total (0-72) and per-region subtotals, full precision; :attr:`rounded` for display."""

    regions: Mapping[str, PppasiRegionScore] = field(
        default_factory=dict, compare=False, repr=False
    )


def pppasi(regions: Mapping[str, PppasiRegionScore | Mapping[str, Any]]) -> PppasiResult:
    """PPPASI from the four regions; values are :class:`PppasiRegionScore` or mappings.

    A missing or unknown region is rejected naming the region; field errors name
    ``"<region>.<field>"``.
    """
    checked = coerce_regions(regions, _WEIGHT_TENTHS, PppasiRegionScore)
    total, subtotals = weighted(_WEIGHT_TENTHS, checked)
    return PppasiResult(total, frozen_mapping(subtotals), frozen_mapping(checked))


def pppasi_from_components(**flat: Any) -> PppasiResult:
    """PPPASI from flat keys such as ``right_palm_pustules`` or ``left_sole_area_percent``.

    Errors name the flat key; both or neither area form is reported as ``"<region>_area"``.
    """
    return pppasi(regions_from_flat(flat, _WEIGHT_TENTHS, PppasiRegionScore))


def validate_ppp_pga(grade: object, *, field: str = "ppp_pga") -> int:
    """Check a PPP PGA grade: an integer from 0 to 4."""
    return check_int(field, grade, 0, 4)


def ppp_pga_label(grade: int) -> str:
    """Label of a PPP PGA grade: ``ppp_pga_label(0) == "clear"``."""
    return PPP_PGA_LABELS[validate_ppp_pga(grade)]

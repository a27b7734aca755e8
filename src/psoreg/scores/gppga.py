"""Generalized Pustular Psoriasis Physician Global Assessment (GPPGA).

Definitions (clinical-facts.md section 2, "GPPGA"; Burden et al., *Am J Clin Dermatol*
2022;23 Suppl 1:39):

* **Signs:** erythema, pustules, scaling/crusting, each 0-4. Mean = (E + P + S) / 3.
* **Total:** 0 if all three are 0; 1 if 0 < mean < 1.5; 2 if 1.5 <= mean < 2.5;
  3 if 2.5 <= mean < 3.5; 4 if mean >= 3.5 (:func:`gppga_grade_from_mean`).
* **Spesolimab trials:** pustulation subscore (the pustules sign) 0 = pustular clearance;
  flare control = GPPGA total 0-1.

Since the mean of three integers is ``k/3``, the edges 1.5 / 2.5 / 3.5 are never hit exactly by
:func:`gppga`; the band test is done on the integer sum (``mean < 1.5`` <=> ``2 * sum < 9``), so
no floating-point rounding is involved.

GPPASI (PASI-like with pustules in place of induration) and the JDA GPP severity score are
**UNVERIFIED** beyond a figure caption (clinical-facts.md) and are not implemented.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from fractions import Fraction

from psoreg.scores._validate import check_int, check_number

__all__ = ["GPPGA_MAX", "GppgaResult", "gppga", "gppga_grade_from_mean"]

GPPGA_MAX = 4
SIGN_MAX = 4


def _grade(mean: Fraction) -> int:
    if mean == 0:
        return 0
    if mean < Fraction(3, 2):
        return 1
    if mean < Fraction(5, 2):
        return 2
    if mean < Fraction(7, 2):
        return 3
    return 4


def gppga_grade_from_mean(mean: float) -> int:
    """GPPGA total from the mean of the three signs (0-4), e.g. a mean recorded directly.

    0 only for a mean of exactly 0; then 1 below 1.5, 2 below 2.5, 3 below 3.5, 4 from 3.5.
    The edges are compared on the decimal value as written (``1.5`` is exactly 1.5).
    """
    m = check_number("gppga.mean", mean, 0, SIGN_MAX)
    return _grade(Fraction(repr(m)))


@dataclass(frozen=True)
class GppgaResult:
    """GPPGA signs, mean and total (0-4)."""

    erythema: int
    pustules: int
    scaling: int
    total: int = field(init=False)

    def __post_init__(self) -> None:
        for name in ("erythema", "pustules", "scaling"):
            value = check_int(f"gppga.{name}", getattr(self, name), 0, SIGN_MAX)
            object.__setattr__(self, name, value)
        object.__setattr__(self, "total", _grade(self._exact_mean))

    @property
    def _exact_mean(self) -> Fraction:
        return Fraction(self.erythema + self.pustules + self.scaling, 3)

    @property
    def mean(self) -> float:
        """(E + P + S) / 3."""
        return float(self._exact_mean)

    @property
    def pustulation_subscore(self) -> int:
        """The pustules sign, 0-4 (spesolimab trials' pustulation subscore)."""
        return self.pustules

    @property
    def flare_controlled(self) -> bool:
        """GPPGA total 0 or 1 (clear or almost clear)."""
        return self.total <= 1

    @property
    def pustular_clearance(self) -> bool:
        """Pustulation subscore 0."""
        return self.pustules == 0


def gppga(erythema: int, pustules: int, scaling: int) -> GppgaResult:
    """Score GPPGA from erythema, pustules and scaling/crusting (0-4 each)."""
    return GppgaResult(erythema, pustules, scaling)

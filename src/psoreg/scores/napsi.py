"""Nail Psoriasis Severity Index (NAPSI), standard and long forms.

Definitions (clinical-facts.md section 2, "NAPSI"; Rich & Scher, *J Am Acad Dermatol* 2003):

* Each nail is divided into 4 quadrants.
* **Matrix score 0-4:** number of quadrants with any of pitting, leukonychia, red spots in the
  lunula, or crumbling.
* **Bed score 0-4:** number of quadrants with any of onycholysis, splinter haemorrhages,
  oil-drop discolouration, or subungual hyperkeratosis.
* **Per nail** 0-8; **fingernails** 0-80 (up to 10 nails); **fingers and toes** 0-160 (up to 20).
* **Long version:** each of the 8 features is scored per quadrant, i.e. 0-4 quadrants per feature,
  giving 0-32 per nail (0-320 fingernails, 0-640 all nails).

A total covers the nails actually assessed (1 to 10, or 1 to 20); :class:`NapsiResult` reports
how many, so totals from different nail counts are not silently compared.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any, Literal

from psoreg.errors import InvalidValue
from psoreg.scores._validate import check_int, prefixed

__all__ = [
    "NAPSI_BED_FEATURES",
    "NAPSI_FEATURES",
    "NAPSI_MATRIX_FEATURES",
    "NAPSI_MAX_NAILS",
    "NailScore",
    "NapsiResult",
    "long_nail_from_quadrants",
    "nail_from_quadrants",
    "napsi",
    "napsi_long",
    "napsi_long_nail",
]

QUADRANTS = 4
NAPSI_MATRIX_FEATURES: tuple[str, ...] = ("pitting", "leukonychia", "red_spots_lunula", "crumbling")
NAPSI_BED_FEATURES: tuple[str, ...] = (
    "onycholysis",
    "splinter_haemorrhages",
    "oil_drop_discolouration",
    "subungual_hyperkeratosis",
)
NAPSI_FEATURES: tuple[str, ...] = NAPSI_MATRIX_FEATURES + NAPSI_BED_FEATURES
#: Maximum number of nails per scope.
NAPSI_MAX_NAILS: Mapping[str, int] = MappingProxyType({"fingernails": 10, "all": 20})

Scope = Literal["fingernails", "all"]


@dataclass(frozen=True)
class NailScore:
    """Standard NAPSI of one nail: matrix quadrants 0-4 plus bed quadrants 0-4."""

    matrix: int
    bed: int

    def __post_init__(self) -> None:
        object.__setattr__(self, "matrix", check_int("matrix", self.matrix, 0, QUADRANTS))
        object.__setattr__(self, "bed", check_int("bed", self.bed, 0, QUADRANTS))

    @property
    def total(self) -> int:
        """0-8."""
        return self.matrix + self.bed


@dataclass(frozen=True)
class NapsiResult:
    """NAPSI total over the nails assessed, with the count and the possible maximum."""

    total: int
    nails: int
    scope: str
    max_total: int  # per-nail maximum x nails assessed
    per_nail: tuple[int, ...] = field(default=(), repr=False)


def _check_scope(scope: object) -> int:
    if scope not in NAPSI_MAX_NAILS:
        raise InvalidValue("scope", scope, "'fingernails' (up to 10 nails) or 'all' (up to 20)")
    return NAPSI_MAX_NAILS[scope]  # type: ignore[index]


def _check_count(nails: object, scope: object) -> Sequence[Any]:
    limit = _check_scope(scope)
    if isinstance(nails, str | bytes | Mapping) or not isinstance(nails, Sequence):
        raise InvalidValue("nails", nails, f"a sequence of 1 to {limit} nail scores")
    if not 1 <= len(nails) <= limit:
        raise InvalidValue("nails", f"{len(nails)} nails", f"1 to {limit} nails for {scope}")
    return nails


def _as_nail(value: object) -> NailScore:
    if isinstance(value, NailScore):
        return value
    if isinstance(value, Mapping):
        extra = set(value) - {"matrix", "bed"}
        if extra:
            key = sorted(map(str, extra))[0]
            raise InvalidValue(key, value, "the keys matrix and bed")
        return NailScore(value.get("matrix"), value.get("bed"))  # type: ignore[arg-type]
    if isinstance(value, tuple | list) and len(value) == 2:
        return NailScore(value[0], value[1])
    raise InvalidValue("nail", value, "a NailScore, a (matrix, bed) pair or a mapping")


def napsi(
    nails: Sequence[NailScore | tuple[int, int] | Mapping[str, int]],
    *,
    scope: Scope = "fingernails",
) -> NapsiResult:
    """Standard NAPSI: sum of per-nail scores (0-8 each).

    ``scope="fingernails"`` allows 1-10 nails (max 80), ``scope="all"`` 1-20 (max 160). Each
    nail is a :class:`NailScore`, a ``(matrix, bed)`` pair or ``{"matrix": m, "bed": b}``.
    Errors name the nail by its 1-based position: ``"nail_3.bed"``.
    """
    seq = _check_count(nails, scope)
    checked = []
    for i, value in enumerate(seq, start=1):
        with prefixed(f"nail_{i}."):
            checked.append(_as_nail(value))
    per_nail = tuple(n.total for n in checked)
    return NapsiResult(sum(per_nail), len(per_nail), scope, 2 * QUADRANTS * len(per_nail), per_nail)


def napsi_long_nail(features: Mapping[str, int]) -> int:
    """Long-form NAPSI of one nail (0-32): for each of the 8 features, quadrants involved (0-4).

    ``features`` must give all 8 keys of :data:`NAPSI_FEATURES` (0 where absent).
    """
    if not isinstance(features, Mapping):
        raise InvalidValue("features", features, f"a mapping of {', '.join(NAPSI_FEATURES)}")
    for key in features:
        if key not in NAPSI_FEATURES:
            raise InvalidValue(str(key), features[key], f"one of {', '.join(NAPSI_FEATURES)}")
    return sum(check_int(f, features.get(f), 0, QUADRANTS) for f in NAPSI_FEATURES)


def napsi_long(nails: Sequence[Mapping[str, int]], *, scope: Scope = "fingernails") -> NapsiResult:
    """Long-form NAPSI over 1-10 fingernails (max 320) or 1-20 nails (max 640)."""
    seq = _check_count(nails, scope)
    per_nail = []
    for i, value in enumerate(seq, start=1):
        with prefixed(f"nail_{i}."):
            per_nail.append(napsi_long_nail(value))
    n = len(per_nail)
    return NapsiResult(
        sum(per_nail), n, scope, len(NAPSI_FEATURES) * QUADRANTS * n, tuple(per_nail)
    )


def _check_quadrants(quadrants: object) -> list[frozenset[str]]:
    allowed = f"{QUADRANTS} collections of feature names from {', '.join(NAPSI_FEATURES)}"
    if isinstance(quadrants, str | bytes) or not isinstance(quadrants, Sequence):
        raise InvalidValue("quadrants", quadrants, allowed)
    if len(quadrants) != QUADRANTS:
        raise InvalidValue("quadrants", quadrants, allowed)
    out = []
    for i, q in enumerate(quadrants, start=1):
        if isinstance(q, str | bytes) or not isinstance(q, Collection):
            raise InvalidValue(f"quadrant_{i}", q, allowed)
        for feature in q:
            if feature not in NAPSI_FEATURES:
                raise InvalidValue(f"quadrant_{i}", feature, allowed)
        out.append(frozenset(q))
    return out


def nail_from_quadrants(quadrants: Sequence[Collection[str]]) -> NailScore:
    """Standard NAPSI of one nail from the features seen in each of its 4 quadrants.

    ``nail_from_quadrants([{"pitting", "onycholysis"}, {"pitting"}, set(), set()])`` gives
    matrix 2 (two quadrants with a matrix feature) and bed 1.
    """
    qs = _check_quadrants(quadrants)
    matrix = sum(1 for q in qs if q & set(NAPSI_MATRIX_FEATURES))
    bed = sum(1 for q in qs if q & set(NAPSI_BED_FEATURES))
    return NailScore(matrix, bed)


def long_nail_from_quadrants(quadrants: Sequence[Collection[str]]) -> int:
    """Long-form NAPSI (0-32) of one nail: total feature-quadrant pairs present."""
    return sum(len(q) for q in _check_quadrants(quadrants))

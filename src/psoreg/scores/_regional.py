"""Machinery shared by the region-weighted indices PASI and PPPASI (private).

Both compute ``sum over regions of weight x area score x (sum of three signs 0-4)``. Weights are
held in tenths (integers), so every subtotal is ``integer / 10`` and the total is the sum of the
integers divided by 10 once: ``0.1 x 2 x 3`` gives ``0.6`` exactly as written, never
``0.6000000000000001``, and the maximum is exactly ``72.0``.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, ClassVar, TypeVar

from psoreg.errors import InvalidValue
from psoreg.scores._validate import check_int, int_range, number_range, prefixed, renamed
from psoreg.scores.area import AREA_SCORE_MAX, area_score

SIGN_MAX = 4
AREA_FIELDS = ("area_percent", "area_score")
AREA_ALLOWED = (
    f"exactly one of area_percent ({number_range(0, 100)}) "
    f"or area_score ({int_range(0, AREA_SCORE_MAX)})"
)


class SignsAndArea:
    """Mixin for a frozen dataclass holding three 0-4 signs and one area form.

    Subclasses declare the sign fields, ``area_percent``, ``area_score`` and
    ``area: int = field(init=False)`` and list the sign names in ``SIGNS``.
    """

    SIGNS: ClassVar[tuple[str, str, str]]
    area_percent: float | None
    area_score: int | None
    area: int

    def __post_init__(self) -> None:
        for sign in self.SIGNS:
            object.__setattr__(self, sign, check_int(sign, getattr(self, sign), 0, SIGN_MAX))
        percent, score = self.area_percent, self.area_score
        if (percent is None) == (score is None):
            raise InvalidValue("area", {"area_percent": percent, "area_score": score}, AREA_ALLOWED)
        if percent is not None:
            resolved = area_score(percent, field="area_percent")
            object.__setattr__(self, "area_percent", float(percent))
        else:
            resolved = check_int("area_score", score, 0, AREA_SCORE_MAX)
            object.__setattr__(self, "area_score", resolved)
        object.__setattr__(self, "area", resolved)

    @property
    def sign_sum(self) -> int:
        """Sum of the three signs, 0-12."""
        return sum(getattr(self, s) for s in self.SIGNS)


R = TypeVar("R", bound=SignsAndArea)


@dataclass(frozen=True)
class RegionalResult:
    """Total and per-region subtotals of a region-weighted index, at full precision.

    Values are exact multiples of 0.1 (see module docstring); :attr:`rounded` and
    :attr:`rounded_subtotals` are for display only.
    """

    total: float
    subtotals: Mapping[str, float]

    @property
    def rounded(self) -> float:
        """Total rounded to 1 decimal place, for display."""
        return round(self.total, 1)

    @property
    def rounded_subtotals(self) -> dict[str, float]:
        """Subtotals rounded to 1 decimal place, for display."""
        return {k: round(v, 1) for k, v in self.subtotals.items()}


def describe_region_input(cls: type[SignsAndArea]) -> str:
    signs = ", ".join(cls.SIGNS)
    return f"a {cls.__name__} or a mapping of {signs} and area_percent or area_score"


def coerce_regions(regions: object, weights: Mapping[str, int], cls: type[R]) -> dict[str, R]:
    """Check that ``regions`` names every region exactly once; build ``cls`` from mappings.

    Errors name the region (``"trunk"``) or the region's field (``"trunk.erythema"``).
    """
    names = ", ".join(weights)
    if not isinstance(regions, Mapping):
        raise InvalidValue("regions", regions, f"a mapping with the regions {names}")
    for name in regions:
        if name not in weights:
            raise InvalidValue(str(name), regions[name], f"a region name, one of {names}")
    out: dict[str, R] = {}
    for name in weights:
        if name not in regions:
            raise InvalidValue(name, None, f"a score for every region: {names}")
        value = regions[name]
        if isinstance(value, cls):
            out[name] = value
        elif isinstance(value, Mapping):
            out[name] = build_region(cls, value, prefix=f"{name}.")
        else:
            raise InvalidValue(name, value, describe_region_input(cls))
    return out


def build_region(cls: type[R], data: Mapping[str, Any], *, prefix: str) -> R:
    """Build ``cls`` from a mapping of its fields; errors name ``prefix + field``."""
    known = (*cls.SIGNS, *AREA_FIELDS)
    for key in data:
        if key not in known:
            raise InvalidValue(f"{prefix}{key}", data[key], f"one of the fields {', '.join(known)}")
    with prefixed(prefix):
        return cls(**{k: data.get(k) for k in known})


def weighted(
    weights: Mapping[str, int], regions: Mapping[str, SignsAndArea]
) -> tuple[float, dict[str, float]]:
    """Total and subtotals, with ``weights`` given in tenths."""
    tenths = {name: weights[name] * regions[name].area * regions[name].sign_sum for name in weights}
    subtotals = {name: t / 10 for name, t in tenths.items()}
    return sum(tenths.values()) / 10, subtotals


def frozen_mapping(d: Mapping[str, Any]) -> Mapping[str, Any]:
    return MappingProxyType(dict(d))


def regions_from_flat(
    flat: Mapping[str, Any], weights: Mapping[str, int], cls: type[R]
) -> dict[str, R]:
    """Group flat keys such as ``head_erythema`` / ``head_area_percent`` into ``cls`` records.

    ``None`` for an area key means "not given", so a grid with both an area-percent and an
    area-score column can leave one blank. Errors name the flat key (``"trunk_erythema"``); a
    region with both or neither area form is reported as ``"<region>_area"``.
    """
    fields = (*cls.SIGNS, *AREA_FIELDS)
    valid_keys = [f"{r}_{f}" for r in weights for f in fields]
    grouped: dict[str, dict[str, Any]] = {r: {} for r in weights}
    for key, value in flat.items():
        for region in weights:
            field_name = key.removeprefix(f"{region}_")
            if field_name != key and field_name in fields:
                grouped[region][field_name] = value
                break
        else:
            raise InvalidValue(
                key, value, f"a flat key <region>_<field>, one of {', '.join(valid_keys)}"
            )
    out: dict[str, R] = {}
    for region, data in grouped.items():
        names = {f: f"{region}_{f}" for f in (*fields, "area")}
        with renamed(names):
            out[region] = cls(**{f: data.get(f) for f in fields})
    return out

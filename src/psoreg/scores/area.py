"""The 0-6 area score shared by PASI and PPPASI.

Source (clinical-facts.md section 1, "Area score"): Feldman & Krueger, *Ann Rheum Dis* 2005,
Table 1, which writes half-open intervals:

====  ====================
0     0 % (exactly)
1     > 0 to < 10 %
2     10 to < 30 %
3     30 to < 50 %
4     50 to < 70 %
5     70 to < 90 %
6     90 to 100 %
====  ====================

Other sources write whole-number bands (1-9 %, 10-29 %, ...) and one copy prints
"6: 90-<100 %"; both agree with the half-open reading at whole percentages, and 100 % must score
something, so 100 % scores 6. A percentage of exactly 0 scores 0; any involvement above 0 (even
0.0001 %) scores 1. PPPASI uses the same bands (Benzian-Olsson, *JAMA Derm* 2020; clinical-facts.md
section 2).
"""

from __future__ import annotations

from psoreg.scores._validate import check_number

__all__ = ["AREA_SCORE_MAX", "area_score"]

AREA_SCORE_MAX = 6

# Lower edges (inclusive) of area scores 2..6; score 1 is anything above 0 and below 10.
_LOWER_EDGES: tuple[tuple[float, int], ...] = ((90, 6), (70, 5), (50, 4), (30, 3), (10, 2))


def area_score(percent: float, *, field: str = "area_percent") -> int:
    """Area score 0-6 for the percentage of a region involved (0-100).

    >>> [area_score(p) for p in (0, 0.5, 10, 29.99, 30, 90, 100)]
    [0, 1, 2, 2, 3, 6, 6]

    Raises :class:`~psoreg.errors.InvalidValue` (naming ``field``) for values below 0, above 100,
    NaN, booleans and non-numbers.
    """
    p = check_number(field, percent, 0, 100)
    if p == 0:
        return 0
    for edge, score in _LOWER_EDGES:
        if p >= edge:
            return score
    return 1

"""PASI/PPPASI area score bands (Feldman & Krueger 2005 half-open intervals)."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psoreg.errors import InvalidValue
from psoreg.scores import area_score
from psoreg.scores.pasi import area_score as pasi_area_score


@pytest.mark.parametrize(
    ("percent", "expected"),
    [
        (0, 0),
        (0.0, 0),
        (0.0001, 1),
        (1, 1),
        (9.999, 1),
        (10, 2),
        (29.99, 2),
        (30, 3),
        (49.99, 3),
        (50, 4),
        (69.99, 4),
        (70, 5),
        (89.99, 5),
        (90, 6),
        (99.9, 6),
        (100, 6),
    ],
)
def test_area_band_edges(percent, expected):
    assert area_score(percent) == expected


@pytest.mark.parametrize("bad", [-0.1, 100.1, math.nan, math.inf, -math.inf, True, False, "10"])
def test_area_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        area_score(bad)
    assert exc.value.field == "area_percent"
    assert "a number from 0 to 100" in str(exc.value)


def test_area_field_name_is_passed_through():
    with pytest.raises(InvalidValue) as exc:
        area_score(120, field="trunk.area_percent")
    assert exc.value.field == "trunk.area_percent"
    assert "trunk.area_percent" in str(exc.value)


def test_pasi_module_reexports_area_score():
    assert pasi_area_score is area_score


@given(st.floats(min_value=0, max_value=100), st.floats(min_value=0, max_value=100))
def test_area_score_monotone(a, b):
    lo, hi = sorted((a, b))
    assert area_score(lo) <= area_score(hi)
    assert 0 <= area_score(lo) <= 6

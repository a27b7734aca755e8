"""sPGA (5-point) and its computation from erythema, induration and scaling."""

import itertools

import pytest

from psoreg.errors import InvalidValue
from psoreg.scores import (
    SPGA_LABELS,
    is_clear_or_almost_clear,
    spga_from_components,
    spga_label,
    validate_spga,
)


def test_labels():
    assert [spga_label(g) for g in range(5)] == [
        "clear",
        "almost clear",
        "mild",
        "moderate",
        "severe",
    ]
    assert dict(SPGA_LABELS)[4] == "severe"


@pytest.mark.parametrize("bad", [5, -1, 1.5, True, None])
def test_grade_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        validate_spga(bad)
    assert exc.value.field == "spga"
    assert "an integer from 0 to 4" in str(exc.value)


def test_six_point_range():
    assert validate_spga(5, points=6) == 5
    with pytest.raises(InvalidValue) as exc:
        validate_spga(6, points=6)
    assert "an integer from 0 to 5" in str(exc.value)
    assert is_clear_or_almost_clear(1, points=6)
    assert not is_clear_or_almost_clear(5, points=6)


def test_clear_or_almost_clear():
    assert [is_clear_or_almost_clear(g) for g in range(5)] == [True, True, False, False, False]
    with pytest.raises(InvalidValue):
        is_clear_or_almost_clear(True)


@pytest.mark.parametrize(
    ("signs", "grade"),
    [
        ((0, 0, 0), 0),  # mean 0
        ((1, 0, 0), 1),  # mean 0.33: "clear" needs all zero -> 1
        ((1, 1, 0), 1),  # mean 0.67 -> 1
        ((1, 1, 1), 1),  # mean 1.00
        ((2, 1, 1), 1),  # mean 1.33 -> 1
        ((2, 2, 1), 2),  # mean 1.67 -> 2
        ((2, 2, 2), 2),
        ((3, 2, 2), 2),  # 2.33 -> 2
        ((3, 3, 2), 3),  # 2.67 -> 3
        ((4, 3, 3), 3),  # 3.33 -> 3
        ((4, 4, 3), 4),  # 3.67 -> 4
        ((4, 4, 4), 4),
    ],
)
def test_from_components(signs, grade):
    assert spga_from_components(*signs) == grade


def test_from_components_plain_rounding():
    assert spga_from_components(1, 0, 0, clear_requires_all_zero=False) == 0  # 0.33 -> 0
    assert spga_from_components(1, 1, 0, clear_requires_all_zero=False) == 1  # 0.67 -> 1


def test_from_components_matches_nearest_rounding():
    for e, i, s in itertools.product(range(5), repeat=3):
        mean = (e + i + s) / 3
        expected = int(mean + 0.5)  # never a tie: fractions are 0, 1/3, 2/3
        if e + i + s > 0:
            expected = max(expected, 1)
        assert spga_from_components(e, i, s) == expected


@pytest.mark.parametrize("name", ["erythema", "induration", "scaling"])
def test_component_rejected(name):
    kwargs = {"erythema": 0, "induration": 0, "scaling": 0, name: 5}
    with pytest.raises(InvalidValue) as exc:
        spga_from_components(**kwargs)
    assert exc.value.field == f"spga.{name}"
    assert "an integer from 0 to 4" in str(exc.value)

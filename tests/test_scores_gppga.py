"""GPPGA (Burden 2022)."""

import pytest

from psoreg.errors import InvalidValue
from psoreg.scores import GppgaResult, gppga, gppga_grade_from_mean


@pytest.mark.parametrize(
    ("signs", "total"),
    [
        ((0, 0, 0), 0),  # all zero
        ((1, 0, 0), 1),  # mean 0.33
        ((2, 1, 1), 1),  # mean 1.33 < 1.5
        ((2, 2, 1), 2),  # mean 1.67 >= 1.5
        ((3, 2, 2), 2),  # mean 2.33 < 2.5
        ((3, 3, 2), 3),  # mean 2.67 >= 2.5
        ((4, 3, 3), 3),  # mean 3.33 < 3.5
        ((4, 4, 3), 4),  # mean 3.67 >= 3.5
        ((4, 4, 4), 4),
    ],
)
def test_total_from_signs(signs, total):
    assert gppga(*signs).total == total


@pytest.mark.parametrize(
    ("mean", "total"),
    [
        (0, 0),
        (0.0001, 1),
        (1.4999, 1),
        (1.5, 2),
        (2.4999, 2),
        (2.5, 3),
        (3.4999, 3),
        (3.5, 4),
        (4, 4),
    ],
)
def test_band_edges_of_mean(mean, total):
    assert gppga_grade_from_mean(mean) == total


def test_mean_rejected():
    with pytest.raises(InvalidValue) as exc:
        gppga_grade_from_mean(4.1)
    assert exc.value.field == "gppga.mean"
    assert "a number from 0 to 4" in str(exc.value)


def test_result_fields():
    r = gppga(3, 0, 2)  # mean 5/3 = 1.67 -> 2
    assert isinstance(r, GppgaResult)
    assert r.mean == pytest.approx(5 / 3, abs=1e-9)
    assert r.total == 2
    assert r.pustulation_subscore == 0
    assert r.pustular_clearance
    assert not r.flare_controlled


def test_flare_controlled():
    assert gppga(0, 0, 0).flare_controlled
    assert gppga(1, 1, 1).flare_controlled  # total 1
    assert gppga(2, 1, 1).flare_controlled  # mean 1.33 -> 1
    assert not gppga(2, 2, 1).flare_controlled  # mean 1.67 -> 2


def test_pustular_clearance():
    assert not gppga(0, 1, 0).pustular_clearance
    assert gppga(0, 1, 0).pustulation_subscore == 1
    assert gppga(4, 0, 4).pustular_clearance


@pytest.mark.parametrize("name", ["erythema", "pustules", "scaling"])
@pytest.mark.parametrize("bad", [5, -1, True, 2.5])
def test_sign_rejected(name, bad):
    kwargs = {"erythema": 0, "pustules": 0, "scaling": 0, name: bad}
    with pytest.raises(InvalidValue) as exc:
        gppga(**kwargs)
    assert exc.value.field == f"gppga.{name}"
    assert "an integer from 0 to 4" in str(exc.value)

"""NAPSI (Rich & Scher 2003), standard and long forms."""

import pytest

from psoreg.errors import InvalidValue
from psoreg.scores import (
    NAPSI_FEATURES,
    NailScore,
    long_nail_from_quadrants,
    nail_from_quadrants,
    napsi,
    napsi_long,
    napsi_long_nail,
)


def test_nail_score():
    n = NailScore(matrix=3, bed=2)
    assert n.total == 5
    assert NailScore(4, 4).total == 8
    assert NailScore(0, 0).total == 0


@pytest.mark.parametrize("bad", [5, -1, True, 1.5])
def test_nail_quadrants_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        NailScore(matrix=bad, bed=0)
    assert exc.value.field == "matrix"
    assert "an integer from 0 to 4" in str(exc.value)


def test_worked_example_fingernails():
    # nails: (2,1)=3, (4,0)=4, (0,3)=3, {matrix 1, bed 1}=2, NailScore(0,0)=0 -> 12
    r = napsi([(2, 1), (4, 0), (0, 3), {"matrix": 1, "bed": 1}, NailScore(0, 0)])
    assert r.total == 12
    assert r.nails == 5
    assert r.max_total == 40
    assert r.per_nail == (3, 4, 3, 2, 0)
    assert r.scope == "fingernails"


def test_fingernail_range():
    assert napsi([(4, 4)] * 10).total == 80
    assert napsi([(0, 0)] * 10).total == 0
    assert napsi([(4, 4)] * 10).max_total == 80


def test_all_nails_range():
    r = napsi([(4, 4)] * 20, scope="all")
    assert r.total == 160
    assert r.max_total == 160


@pytest.mark.parametrize(("count", "scope"), [(0, "fingernails"), (11, "fingernails"), (21, "all")])
def test_nail_count_rejected(count, scope):
    with pytest.raises(InvalidValue) as exc:
        napsi([(0, 0)] * count, scope=scope)
    assert exc.value.field == "nails"
    assert "nails for" in str(exc.value)


def test_bad_scope():
    with pytest.raises(InvalidValue) as exc:
        napsi([(0, 0)], scope="toenails")
    assert exc.value.field == "scope"


def test_bad_quadrant_names_nail():
    with pytest.raises(InvalidValue) as exc:
        napsi([(0, 0), (0, 0), (1, 5)])
    assert exc.value.field == "nail_3.bed"
    assert "an integer from 0 to 4" in str(exc.value)


def test_bad_nail_shape():
    with pytest.raises(InvalidValue) as exc:
        napsi([(1, 2, 3)])
    assert exc.value.field == "nail_1.nail"
    with pytest.raises(InvalidValue) as exc:
        napsi([{"matrix": 1, "bed": 1, "pitting": 1}])
    assert exc.value.field == "nail_1.pitting"


def test_long_nail():
    features = dict.fromkeys(NAPSI_FEATURES, 0) | {"pitting": 3, "onycholysis": 2}
    assert napsi_long_nail(features) == 5
    assert napsi_long_nail(dict.fromkeys(NAPSI_FEATURES, 4)) == 32


def test_long_nail_rejected():
    with pytest.raises(InvalidValue) as exc:
        napsi_long_nail(dict.fromkeys(NAPSI_FEATURES, 0) | {"crumbling": 5})
    assert exc.value.field == "crumbling"
    features = dict.fromkeys(NAPSI_FEATURES, 0)
    del features["leukonychia"]
    with pytest.raises(InvalidValue) as exc:
        napsi_long_nail(features)
    assert exc.value.field == "leukonychia"
    with pytest.raises(InvalidValue) as exc:
        napsi_long_nail(dict.fromkeys(NAPSI_FEATURES, 0) | {"beau_lines": 1})
    assert exc.value.field == "beau_lines"


def test_long_totals():
    full = dict.fromkeys(NAPSI_FEATURES, 4)
    assert napsi_long([full] * 10).total == 320
    assert napsi_long([full] * 20, scope="all").total == 640
    with pytest.raises(InvalidValue) as exc:
        napsi_long([full, dict.fromkeys(NAPSI_FEATURES, 0) | {"pitting": 9}])
    assert exc.value.field == "nail_2.pitting"


def test_from_quadrants():
    quadrants = [
        {"pitting", "onycholysis"},
        {"pitting", "crumbling"},
        set(),
        {"oil_drop_discolouration"},
    ]
    # matrix: quadrants 1 and 2 have a matrix feature -> 2; bed: quadrants 1 and 4 -> 2
    n = nail_from_quadrants(quadrants)
    assert (n.matrix, n.bed, n.total) == (2, 2, 4)
    # long form: 2 + 2 + 0 + 1 = 5 feature-quadrant pairs
    assert long_nail_from_quadrants(quadrants) == 5
    every = [set(NAPSI_FEATURES)] * 4
    assert nail_from_quadrants(every).total == 8
    assert long_nail_from_quadrants(every) == 32


def test_from_quadrants_rejected():
    with pytest.raises(InvalidValue) as exc:
        nail_from_quadrants([set(), set(), set()])
    assert exc.value.field == "quadrants"
    with pytest.raises(InvalidValue) as exc:
        nail_from_quadrants([set(), {"pits"}, set(), set()])
    assert exc.value.field == "quadrant_2"

"""PPPASI (palmoplantar pustulosis) and PPP PGA."""

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psoreg.errors import InvalidValue
from psoreg.scores import (
    PPPASI_REGIONS,
    PPPASI_WEIGHTS,
    PppasiRegionScore,
    ppp_pga_label,
    pppasi,
    pppasi_from_components,
    validate_ppp_pga,
)

ZERO = PppasiRegionScore(0, 0, 0, area_score=0)


def test_regions_and_weights():
    assert PPPASI_REGIONS == ("right_palm", "left_palm", "right_sole", "left_sole")
    assert dict(PPPASI_WEIGHTS) == {
        "right_palm": 0.2,
        "left_palm": 0.2,
        "right_sole": 0.3,
        "left_sole": 0.3,
    }


def test_worked_example():
    # right_palm: E2 P3 D1 = 6, 25 % -> area 2, 0.2 x 2 x 6 = 2.4
    # left_palm:  E1 P1 D1 = 3,  5 % -> area 1, 0.2 x 1 x 3 = 0.6
    # right_sole: E3 P4 D2 = 9, 55 % -> area 4, 0.3 x 4 x 9 = 10.8
    # left_sole:  E0 P0 D0 = 0, area 0,          0
    # total = 2.4 + 0.6 + 10.8 = 13.8
    r = pppasi(
        {
            "right_palm": PppasiRegionScore(2, 3, 1, area_percent=25),
            "left_palm": PppasiRegionScore(1, 1, 1, area_percent=5),
            "right_sole": {"erythema": 3, "pustules": 4, "desquamation": 2, "area_percent": 55},
            "left_sole": ZERO,
        }
    )
    assert r.subtotals["right_palm"] == pytest.approx(2.4, abs=1e-9)
    assert r.subtotals["left_palm"] == pytest.approx(0.6, abs=1e-9)
    assert r.subtotals["right_sole"] == pytest.approx(10.8, abs=1e-9)
    assert r.subtotals["left_sole"] == 0
    assert r.total == pytest.approx(13.8, abs=1e-9)
    assert repr(r.total) == "13.8"
    assert r.rounded == 13.8


def test_max_72_min_0():
    full = PppasiRegionScore(4, 4, 4, area_percent=100)
    # (0.2 + 0.2 + 0.3 + 0.3) x 6 x 12 = 72
    assert pppasi(dict.fromkeys(PPPASI_REGIONS, full)).total == 72.0
    assert pppasi(dict.fromkeys(PPPASI_REGIONS, ZERO)).total == 0.0


def test_missing_region():
    regions = dict.fromkeys(PPPASI_REGIONS, ZERO)
    del regions["left_palm"]
    with pytest.raises(InvalidValue) as exc:
        pppasi(regions)
    assert exc.value.field == "left_palm"


def test_unknown_region():
    regions = dict.fromkeys(PPPASI_REGIONS, ZERO) | {"head": ZERO}
    with pytest.raises(InvalidValue) as exc:
        pppasi(regions)
    assert exc.value.field == "head"


def test_pustules_sign_rejected():
    with pytest.raises(InvalidValue) as exc:
        PppasiRegionScore(0, 5, 0, area_score=1)
    assert exc.value.field == "pustules"
    assert "an integer from 0 to 4" in str(exc.value)
    regions = dict.fromkeys(PPPASI_REGIONS, ZERO) | {
        "left_sole": {"erythema": 0, "pustules": True, "desquamation": 0, "area_score": 1}
    }
    with pytest.raises(InvalidValue) as exc:
        pppasi(regions)
    assert exc.value.field == "left_sole.pustules"


def test_area_forms():
    with pytest.raises(InvalidValue) as exc:
        PppasiRegionScore(1, 1, 1, area_percent=10, area_score=2)
    assert exc.value.field == "area"
    with pytest.raises(InvalidValue) as exc:
        PppasiRegionScore(1, 1, 1, area_percent=120)
    assert exc.value.field == "area_percent"


def test_pasi_region_score_not_accepted():
    from psoreg.scores import RegionScore

    regions = dict.fromkeys(PPPASI_REGIONS, ZERO) | {
        "right_palm": RegionScore(1, 1, 1, area_score=1)
    }
    with pytest.raises(InvalidValue) as exc:
        pppasi(regions)
    assert exc.value.field == "right_palm"


def test_flat_components():
    kwargs = {}
    for region in PPPASI_REGIONS:
        kwargs |= {
            f"{region}_erythema": 0,
            f"{region}_pustules": 0,
            f"{region}_desquamation": 0,
            f"{region}_area_score": 0,
        }
    # left_sole 0.3 x 2 x (1+2+3) = 3.6
    kwargs |= {
        "left_sole_erythema": 1,
        "left_sole_pustules": 2,
        "left_sole_desquamation": 3,
        "left_sole_area_score": 2,
    }
    assert pppasi_from_components(**kwargs).total == pytest.approx(3.6, abs=1e-9)
    with pytest.raises(InvalidValue) as exc:
        pppasi_from_components(**(kwargs | {"right_palm_pustules": 7}))
    assert exc.value.field == "right_palm_pustules"
    with pytest.raises(InvalidValue) as exc:
        pppasi_from_components(**(kwargs | {"right_palm_induration": 1}))
    assert exc.value.field == "right_palm_induration"


def test_ppp_pga():
    assert [ppp_pga_label(g) for g in range(5)] == [
        "clear",
        "almost clear",
        "mild",
        "moderate",
        "severe",
    ]
    for bad in (5, -1, True, 0.5):
        with pytest.raises(InvalidValue) as exc:
            validate_ppp_pga(bad)
        assert exc.value.field == "ppp_pga"
        assert "an integer from 0 to 4" in str(exc.value)


sign = st.integers(min_value=0, max_value=4)
region = st.builds(
    PppasiRegionScore,
    erythema=sign,
    pustules=sign,
    desquamation=sign,
    area_percent=st.floats(min_value=0, max_value=100),
)


@given(st.fixed_dictionaries({name: region for name in PPPASI_REGIONS}))
def test_pppasi_within_range(regions):
    r = pppasi(regions)
    assert 0 <= r.total <= 72
    assert r.total == pytest.approx(sum(r.subtotals.values()), abs=1e-9)

"""PASI: worked examples, limits, rejected input, response."""

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from psoreg.errors import InvalidValue
from psoreg.scores import (
    PASI_REGIONS,
    PASI_WEIGHTS,
    RegionScore,
    improvement,
    pasi,
    pasi_from_components,
    response,
    validate_pasi_total,
)

ZERO = RegionScore(0, 0, 0, area_score=0)


def all_regions(score: RegionScore) -> dict[str, RegionScore]:
    return dict.fromkeys(PASI_REGIONS, score)


# ---------------------------------------------------------------- worked examples


def test_full_worked_example():
    # head:        E2 I1 D1 = 4,  15 % -> area 2,  0.1 x 2 x 4 =  0.8
    # upper_limbs: E3 I2 D2 = 7,  35 % -> area 3,  0.2 x 3 x 7 =  4.2
    # trunk:       E2 I2 D3 = 7,  area score 4,    0.3 x 4 x 7 =  8.4
    # lower_limbs: E3 I3 D2 = 8,  75 % -> area 5,  0.4 x 5 x 8 = 16.0
    # total = 0.8 + 4.2 + 8.4 + 16.0 = 29.4
    result = pasi(
        {
            "head": RegionScore(2, 1, 1, area_percent=15),
            "upper_limbs": RegionScore(3, 2, 2, area_percent=35),
            "trunk": RegionScore(2, 2, 3, area_score=4),
            "lower_limbs": RegionScore(3, 3, 2, area_percent=75),
        }
    )
    assert result.subtotals["head"] == pytest.approx(0.8, abs=1e-9)
    assert result.subtotals["upper_limbs"] == pytest.approx(4.2, abs=1e-9)
    assert result.subtotals["trunk"] == pytest.approx(8.4, abs=1e-9)
    assert result.subtotals["lower_limbs"] == pytest.approx(16.0, abs=1e-9)
    assert result.total == pytest.approx(29.4, abs=1e-9)
    assert repr(result.total) == "29.4"  # exact-looking, no 29.400000000000002
    assert result.rounded == 29.4
    assert list(result.subtotals) == ["head", "upper_limbs", "trunk", "lower_limbs"]
    assert result.regions["head"].area == 2


def test_small_values_are_exact_looking():
    # head 0.1 x 2 x 3 = 0.6 (naively 0.1*2*3 = 0.6000000000000001)
    regions = all_regions(ZERO) | {"head": RegionScore(1, 1, 1, area_score=2)}
    result = pasi(regions)
    assert result.total == pytest.approx(0.6, abs=1e-9)
    assert repr(result.total) == "0.6"
    assert repr(result.subtotals["head"]) == "0.6"


def test_sum_is_exact_looking():
    # head 0.1 x 1 x 1 = 0.1; upper 0.2 x 1 x 1 = 0.2; total 0.3 (naively 0.30000000000000004)
    regions = all_regions(ZERO) | {
        "head": RegionScore(1, 0, 0, area_score=1),
        "upper_limbs": RegionScore(0, 1, 0, area_score=1),
    }
    result = pasi(regions)
    assert repr(result.total) == "0.3"
    assert result.subtotals == {"head": 0.1, "upper_limbs": 0.2, "trunk": 0.0, "lower_limbs": 0.0}


def test_rounded_is_one_decimal():
    regions = all_regions(ZERO) | {"lower_limbs": RegionScore(1, 1, 1, area_percent=5)}
    # 0.4 x 1 x 3 = 1.2
    result = pasi(regions)
    assert result.total == pytest.approx(1.2, abs=1e-9)
    assert result.rounded == 1.2
    assert result.rounded_subtotals["lower_limbs"] == 1.2


def test_max_is_72():
    # (0.1 + 0.2 + 0.3 + 0.4) x 6 x 12 = 72
    result = pasi(all_regions(RegionScore(4, 4, 4, area_percent=100)))
    assert result.total == 72.0
    assert result.subtotals == {
        "head": 7.2,
        "upper_limbs": 14.4,
        "trunk": 21.6,
        "lower_limbs": 28.8,
    }


def test_min_is_0():
    assert pasi(all_regions(ZERO)).total == 0.0
    # signs present but no area: still 0
    assert pasi(all_regions(RegionScore(4, 4, 4, area_percent=0))).total == 0.0
    # area but no signs: 0
    assert pasi(all_regions(RegionScore(0, 0, 0, area_score=6))).total == 0.0


def test_weights():
    assert dict(PASI_WEIGHTS) == {"head": 0.1, "upper_limbs": 0.2, "trunk": 0.3, "lower_limbs": 0.4}


def test_regions_as_mappings():
    # trunk 0.3 x 3 (40 %) x (1+2+3) = 5.4
    result = pasi(
        {
            "head": {"erythema": 0, "induration": 0, "desquamation": 0, "area_score": 0},
            "upper_limbs": ZERO,
            "trunk": {"erythema": 1, "induration": 2, "desquamation": 3, "area_percent": 40},
            "lower_limbs": ZERO,
        }
    )
    assert result.total == pytest.approx(5.4, abs=1e-9)


def test_float_whole_numbers_accepted():
    r = RegionScore(2.0, 3.0, 1.0, area_score=4.0)
    assert (r.erythema, r.induration, r.desquamation, r.area) == (2, 3, 1, 4)
    assert isinstance(r.erythema, int)


# ---------------------------------------------------------------- rejected input


@pytest.mark.parametrize("bad", [5, -1, 2.5, True, False, None, "2", math.nan])
def test_sign_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        RegionScore(bad, 0, 0, area_score=0)
    assert exc.value.field == "erythema"
    assert "an integer from 0 to 4" in str(exc.value)


def test_sign_rejected_named_with_region():
    regions = all_regions(ZERO) | {
        "trunk": {"erythema": 5, "induration": 0, "desquamation": 0, "area_score": 1}
    }
    with pytest.raises(InvalidValue) as exc:
        pasi(regions)
    assert exc.value.field == "trunk.erythema"
    assert "trunk.erythema" in str(exc.value)
    assert "an integer from 0 to 4" in str(exc.value)


def test_bool_as_grade_rejected_in_each_sign():
    for i, name in enumerate(("erythema", "induration", "desquamation")):
        signs = [0, 0, 0]
        signs[i] = True
        with pytest.raises(InvalidValue) as exc:
            RegionScore(*signs, area_score=1)
        assert exc.value.field == name


@pytest.mark.parametrize("bad", [120, -0.1, 100.1, math.nan, True])
def test_area_percent_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        RegionScore(1, 1, 1, area_percent=bad)
    assert exc.value.field == "area_percent"
    assert "a number from 0 to 100" in str(exc.value)


def test_area_percent_rejected_named_with_region():
    regions = all_regions(ZERO) | {
        "head": {"erythema": 1, "induration": 1, "desquamation": 1, "area_percent": 120}
    }
    with pytest.raises(InvalidValue) as exc:
        pasi(regions)
    assert exc.value.field == "head.area_percent"


@pytest.mark.parametrize("bad", [7, -1, 2.5, True])
def test_area_score_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        RegionScore(1, 1, 1, area_score=bad)
    assert exc.value.field == "area_score"
    assert "an integer from 0 to 6" in str(exc.value)


def test_both_area_forms_rejected():
    with pytest.raises(InvalidValue) as exc:
        RegionScore(1, 1, 1, area_percent=20, area_score=2)
    assert exc.value.field == "area"
    assert "exactly one of area_percent" in str(exc.value)


def test_neither_area_form_rejected():
    with pytest.raises(InvalidValue) as exc:
        RegionScore(1, 1, 1)
    assert exc.value.field == "area"
    assert "exactly one of area_percent" in str(exc.value)


def test_missing_region_rejected():
    regions = all_regions(ZERO)
    del regions["lower_limbs"]
    with pytest.raises(InvalidValue) as exc:
        pasi(regions)
    assert exc.value.field == "lower_limbs"
    assert "a score for every region" in str(exc.value)


def test_unknown_region_rejected():
    regions = all_regions(ZERO) | {"neck": ZERO}
    with pytest.raises(InvalidValue) as exc:
        pasi(regions)
    assert exc.value.field == "neck"
    assert "a region name, one of head, upper_limbs, trunk, lower_limbs" in str(exc.value)


def test_unknown_field_in_region_mapping_rejected():
    regions = all_regions(ZERO) | {
        "head": {"erythema": 1, "thickness": 1, "desquamation": 1, "area_score": 1}
    }
    with pytest.raises(InvalidValue) as exc:
        pasi(regions)
    assert exc.value.field == "head.thickness"


def test_wrong_region_type_rejected():
    regions = all_regions(ZERO) | {"trunk": 12}
    with pytest.raises(InvalidValue) as exc:
        pasi(regions)
    assert exc.value.field == "trunk"


def test_region_score_is_frozen():
    r = RegionScore(1, 1, 1, area_score=1)
    with pytest.raises(AttributeError):
        r.erythema = 4


# ---------------------------------------------------------------- flat components


def flat(**overrides):
    base = {}
    for region in PASI_REGIONS:
        base |= {
            f"{region}_erythema": 0,
            f"{region}_induration": 0,
            f"{region}_desquamation": 0,
            f"{region}_area_percent": 0,
        }
    return base | overrides


def test_flat_components_worked_example():
    # same numbers as test_full_worked_example: 0.8 + 4.2 + 8.4 + 16.0 = 29.4
    kwargs = {
        "head_erythema": 2,
        "head_induration": 1,
        "head_desquamation": 1,
        "head_area_percent": 15,
        "upper_limbs_erythema": 3,
        "upper_limbs_induration": 2,
        "upper_limbs_desquamation": 2,
        "upper_limbs_area_percent": 35,
        "trunk_erythema": 2,
        "trunk_induration": 2,
        "trunk_desquamation": 3,
        "trunk_area_score": 4,
        "trunk_area_percent": None,  # blank grid cell: not given
        "lower_limbs_erythema": 3,
        "lower_limbs_induration": 3,
        "lower_limbs_desquamation": 2,
        "lower_limbs_area_percent": 75,
    }
    result = pasi_from_components(**kwargs)
    assert repr(result.total) == "29.4"
    assert result.subtotals["trunk"] == pytest.approx(8.4, abs=1e-9)


def test_flat_bad_value_names_flat_key():
    with pytest.raises(InvalidValue) as exc:
        pasi_from_components(**flat(upper_limbs_induration=5))
    assert exc.value.field == "upper_limbs_induration"
    assert "an integer from 0 to 4" in str(exc.value)


def test_flat_bad_area_names_flat_key():
    with pytest.raises(InvalidValue) as exc:
        pasi_from_components(**flat(lower_limbs_area_percent=120))
    assert exc.value.field == "lower_limbs_area_percent"
    assert "a number from 0 to 100" in str(exc.value)


def test_flat_missing_key_named():
    kwargs = flat()
    del kwargs["trunk_desquamation"]
    with pytest.raises(InvalidValue) as exc:
        pasi_from_components(**kwargs)
    assert exc.value.field == "trunk_desquamation"


def test_flat_unknown_key_named():
    with pytest.raises(InvalidValue) as exc:
        pasi_from_components(**flat(neck_erythema=1))
    assert exc.value.field == "neck_erythema"


def test_flat_both_area_forms():
    with pytest.raises(InvalidValue) as exc:
        pasi_from_components(**flat(head_area_score=1))
    assert exc.value.field == "head_area"
    assert "exactly one of area_percent" in str(exc.value)


# ---------------------------------------------------------------- totals and response


@pytest.mark.parametrize("ok", [0, 0.1, 12.3, 72])
def test_validate_total_ok(ok):
    assert validate_pasi_total(ok) == ok


@pytest.mark.parametrize("bad", [-0.1, 72.1, math.nan, True, "10"])
def test_validate_total_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        validate_pasi_total(bad)
    assert exc.value.field == "pasi"
    assert "a number from 0 to 72" in str(exc.value)


@pytest.mark.parametrize(
    ("baseline", "current", "expected"),
    [
        (20, 10, 50.0),  # 10/20
        (12, 3, 75.0),  # 9/12
        (12.4, 3.1, 75.0),  # 9.3/12.4 exactly 0.75
        (20, 2, 90.0),
        (20, 0, 100.0),
        (10, 15, -50.0),  # worse
        (30, 10, 100 * 2 / 3),
    ],
)
def test_improvement(baseline, current, expected):
    assert improvement(baseline, current) == pytest.approx(expected, abs=1e-9)


def test_improvement_exactly_75_not_below():
    # naive float: (2.8 - 0.7) / 2.8 * 100 == 74.99999999999999; exactly it is 2.1 / 2.8 = 75 %
    assert improvement(2.8, 0.7) == 75.0
    assert improvement(5.6, 1.4) == 75.0
    assert improvement(12.4, 3.1) == 75.0
    assert improvement(0.3, 0.1) == pytest.approx(100 * 2 / 3, abs=1e-9)


def test_improvement_undefined_for_zero_baseline():
    assert improvement(0, 0) is None
    assert improvement(0, 5) is None


def test_improvement_rejects_negative():
    with pytest.raises(InvalidValue) as exc:
        improvement(-1, 0)
    assert exc.value.field == "baseline"
    with pytest.raises(InvalidValue) as exc:
        improvement(10, -1)
    assert exc.value.field == "current"


@pytest.mark.parametrize(
    ("baseline", "current", "flags"),
    [
        # (pasi50, pasi75, pasi90, pasi100)
        (20, 10.1, (False, False, False, False)),  # 49.5 %
        (20, 10, (True, False, False, False)),  # exactly 50 %
        (20, 5.1, (True, False, False, False)),  # 74.5 %
        (20, 5, (True, True, False, False)),  # exactly 75 %
        (12.4, 3.1, (True, True, False, False)),  # exactly 75 %, decimal inputs
        (2.8, 0.7, (True, True, False, False)),  # exactly 75 %; naive float gives 74.99999
        (11.2, 2.8, (True, True, False, False)),  # exactly 75 %; naive float gives 74.99999
        (2.8, 0.28, (True, True, True, False)),  # exactly 90 %
        (20, 2.1, (True, True, False, False)),  # 89.5 %
        (20, 2, (True, True, True, False)),  # exactly 90 %
        (0.3, 0.1, (True, False, False, False)),  # 66.7 %
        (20, 0.1, (True, True, True, False)),  # 99.5 %
        (20, 0, (True, True, True, True)),
        (10, 12, (False, False, False, False)),  # worse
    ],
)
def test_response(baseline, current, flags):
    r = response(baseline, current)
    assert (r.pasi50, r.pasi75, r.pasi90, r.pasi100) == flags


def test_response_undefined_for_zero_baseline():
    r = response(0, 0)
    assert (r.improvement, r.pasi50, r.pasi75, r.pasi90, r.pasi100) == (None,) * 5
    d = r.as_dict()
    assert d["pasi100"] is None
    assert d["baseline"] == 0


def test_response_as_dict():
    d = response(12, 3).as_dict()
    assert d == {
        "baseline": 12.0,
        "current": 3.0,
        "improvement": 75.0,
        "pasi50": True,
        "pasi75": True,
        "pasi90": False,
        "pasi100": False,
    }


# ---------------------------------------------------------------- properties

sign = st.integers(min_value=0, max_value=4)
region = st.builds(
    RegionScore,
    erythema=sign,
    induration=sign,
    desquamation=sign,
    area_score=st.integers(min_value=0, max_value=6),
)
regions_st = st.fixed_dictionaries({name: region for name in PASI_REGIONS})


@given(regions_st)
def test_pasi_within_range_and_consistent(regions):
    result = pasi(regions)
    assert 0 <= result.total <= 72
    assert result.total == pytest.approx(sum(result.subtotals.values()), abs=1e-9)
    # always an exact multiple of 0.1
    assert round(result.total * 10) == pytest.approx(result.total * 10, abs=1e-9)
    expected = sum(
        PASI_WEIGHTS[n] * r.area * (r.erythema + r.induration + r.desquamation)
        for n, r in regions.items()
    )
    assert result.total == pytest.approx(expected, abs=1e-9)


@given(
    regions_st,
    st.sampled_from(PASI_REGIONS),
    st.sampled_from(("erythema", "induration", "desquamation")),
)
def test_pasi_monotone_in_each_sign(regions, name, sign_name):
    before = pasi(regions).total
    r = regions[name]
    if getattr(r, sign_name) == 4:
        return
    fields = {s: getattr(r, s) for s in RegionScore.SIGNS}
    fields[sign_name] += 1
    bumped = regions | {name: RegionScore(**fields, area_score=r.area)}
    after = pasi(bumped).total
    assert after >= before
    if r.area > 0:
        # one sign point adds exactly weight x area
        assert after - before == pytest.approx(PASI_WEIGHTS[name] * r.area, abs=1e-9)
    else:
        assert after == before

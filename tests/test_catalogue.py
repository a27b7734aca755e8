"""Tests of psoreg.catalogue.

Expected values are copied from /work/shared/reference/clinical-facts.md (§3 response weeks,
§4 dosing table, §6 class/target/ATC table) and the ustekinumab case series (UKMMC, Table 2),
not computed by the code under test.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from psoreg.catalogue import (
    DRUG_CLASSES,
    Deviation,
    Drug,
    all_drugs,
    dose_deviations,
    drugs_in_class,
    expected_doses,
    get_drug,
)
from psoreg.errors import InvalidValue

# clinical-facts §6: drug -> (class, target, ATC, verified at a non-DrugBank source)
SECTION_6 = {
    "etanercept": ("TNF inhibitor", "TNF (p75 receptor fusion protein)", "L04AB01", True),
    "infliximab": ("TNF inhibitor", "TNF (chimeric mAb)", "L04AB02", True),
    "adalimumab": ("TNF inhibitor", "TNF (human mAb)", "L04AB04", True),
    "certolizumab pegol": ("TNF inhibitor", "TNF (PEGylated Fab′)", "L04AB05", True),
    "ustekinumab": ("IL-12/23 inhibitor", "IL-12/23 p40", "L04AC05", True),
    "secukinumab": ("IL-17 inhibitor", "IL-17A", "L04AC10", True),
    "brodalumab": ("IL-17 inhibitor", "IL-17RA", "L04AC12", False),
    "ixekizumab": ("IL-17 inhibitor", "IL-17A", "L04AC13", True),
    "guselkumab": ("IL-23 inhibitor", "IL-23 p19", "L04AC16", False),
    "tildrakizumab": ("IL-23 inhibitor", "IL-23 p19", "L04AC17", False),
    "risankizumab": ("IL-23 inhibitor", "IL-23 p19", "L04AC18", False),
    "bimekizumab": ("IL-17 inhibitor", "IL-17A and IL-17F", "L04AC21", False),
    "spesolimab": ("IL-36R inhibitor", "IL-36 receptor", "L04AC22", True),
    "natalizumab": ("integrin inhibitor", "α4-integrin", "L04AG03", True),
}

# clinical-facts §3, MIMS response-assessment week
RESPONSE_WEEK = {
    "infliximab": 10,
    "brodalumab": 12,
    "etanercept": 12,
    "ixekizumab": 12,
    "secukinumab": 12,
    "adalimumab": 16,
    "bimekizumab": 16,
    "certolizumab pegol": 16,
    "guselkumab": 16,
    "risankizumab": 16,
    "ustekinumab": 16,
    "tildrakizumab": 28,
    "spesolimab": None,
    "natalizumab": None,
}


def schedule(drug: str, until: float, weight: float | None = None) -> list[tuple[float, float]]:
    return [(d.week, d.dose) for d in expected_doses(drug, until, weight)]


# ---------------------------------------------------------------- catalogue contents


def test_every_drug_of_section_6_is_present_with_class_target_atc():
    assert {d.name for d in all_drugs()} == set(SECTION_6)
    for name, (drug_class, target, atc, verified) in SECTION_6.items():
        drug = get_drug(name)
        assert (drug.drug_class, drug.target, drug.atc, drug.atc_verified) == (
            drug_class,
            target,
            atc,
            verified,
        ), name


@pytest.mark.parametrize("name,week", sorted(RESPONSE_WEEK.items()))
def test_response_week_from_mims(name, week):
    drug = get_drug(name)
    assert drug.response_week == week
    assert drug.response_week_source


def test_records_are_frozen_and_cited():
    drug = get_drug("ustekinumab")
    with pytest.raises(ValidationError):
        drug.atc = "X"  # type: ignore[misc]
    for d in all_drugs():
        assert d.source and d.regimen.source and d.atc_source
        assert d.name == d.name.lower()
        assert d.indications


def test_routes_and_units():
    assert get_drug("infliximab").route == "IV"
    assert get_drug("natalizumab").route == "IV"
    assert get_drug("spesolimab").route == "IV"
    assert get_drug("ustekinumab").route == "SC"
    assert get_drug("infliximab").regimen.dose_unit == "mg/kg"
    assert {d.regimen.dose_unit for d in all_drugs() if d.name != "infliximab"} == {"mg"}


def test_indications_standard_examples():
    assert "generalized pustular psoriasis" in get_drug("spesolimab").indications
    assert "multiple sclerosis" in get_drug("natalizumab").indications
    assert "psoriasis" not in get_drug("natalizumab").indications
    assert "Crohn's disease" in get_drug("ustekinumab").indications
    assert get_drug("brodalumab").indications == ("psoriasis",)


def test_alternatives_are_recorded_as_notes():
    assert "150 mg" in get_drug("secukinumab").regimen.notes
    assert "120 kg" in get_drug("bimekizumab").regimen.notes
    assert "EU" in get_drug("certolizumab pegol").regimen.notes
    assert "UNVERIFIED" in get_drug("etanercept").regimen.notes
    assert "SC" in get_drug("spesolimab").regimen.notes


def test_drugs_in_class():
    assert {d.name for d in drugs_in_class("IL-23 inhibitor")} == {
        "guselkumab",
        "tildrakizumab",
        "risankizumab",
    }
    assert {d.name for d in drugs_in_class("il-17 inhibitor")} == {
        "secukinumab",
        "brodalumab",
        "ixekizumab",
        "bimekizumab",
    }
    assert sum(len(drugs_in_class(c)) for c in DRUG_CLASSES) == len(all_drugs())
    with pytest.raises(InvalidValue) as exc:
        drugs_in_class("JAK inhibitor")
    assert exc.value.field == "drug_class"
    assert "IL-17 inhibitor" in exc.value.allowed


# ---------------------------------------------------------------- look-up


@pytest.mark.parametrize(
    "alias,name",
    [
        ("stelara", "ustekinumab"),
        ("Humira", "adalimumab"),
        ("COSENTYX", "secukinumab"),
        ("tysabri", "natalizumab"),
        ("remicade", "infliximab"),
        ("enbrel", "etanercept"),
        ("taltz", "ixekizumab"),
        ("skyrizi", "risankizumab"),
        ("tremfya", "guselkumab"),
        ("ilumya", "tildrakizumab"),
        ("bimzelx", "bimekizumab"),
        ("cimzia", "certolizumab pegol"),
        ("certolizumab", "certolizumab pegol"),
        ("siliq", "brodalumab"),
        ("spevigo", "spesolimab"),
        ("  Ustekinumab ", "ustekinumab"),
        ("Stelara®", "ustekinumab"),
        ("ustekinamab", "ustekinumab"),
        ("adalimumab-aaty", "adalimumab"),
    ],
)
def test_alias_lookup(alias, name):
    assert get_drug(alias).name == name


def test_unknown_drug_names_field_and_choices():
    with pytest.raises(InvalidValue) as exc:
        get_drug("ciclosporin")  # not a biologic
    err = exc.value
    assert err.field == "drug"
    assert err.value == "ciclosporin"
    for name in SECTION_6:
        assert name in err.allowed
    assert "drug" in str(err)
    assert err.allowed.index("adalimumab") < err.allowed.index("ustekinumab")  # sorted


def test_aliases_are_unique():
    seen: dict[str, str] = {}
    for d in all_drugs():
        for a in (d.name, *d.aliases):
            assert seen.setdefault(a, d.name) == d.name, a
            assert a == a.lower()


# ---------------------------------------------------------------- schedules (label text)


def test_ustekinumab_to_week_40():
    # Stelara: 45 mg at weeks 0 and 4, then every 12 weeks
    assert schedule("ustekinumab", 40) == [(0, 45), (4, 45), (16, 45), (28, 45), (40, 45)]
    assert {d.unit for d in expected_doses("ustekinumab", 40)} == {"mg"}


def test_ustekinumab_above_100_kg_is_90_mg():
    assert schedule("ustekinumab", 40, 120) == [(0, 90), (4, 90), (16, 90), (28, 90), (40, 90)]
    assert [d for _, d in schedule("ustekinumab", 40, 100)] == [45] * 5  # not above 100 kg


def test_until_week_is_inclusive_and_partial():
    assert schedule("ustekinumab", 15.9) == [(0, 45), (4, 45)]
    assert schedule("ustekinumab", 0) == [(0, 45)]


def test_secukinumab():
    # Cosentyx: 300 mg at weeks 0, 1, 2, 3, 4, then every 4 weeks
    assert schedule("secukinumab", 20) == [
        (0, 300),
        (1, 300),
        (2, 300),
        (3, 300),
        (4, 300),
        (8, 300),
        (12, 300),
        (16, 300),
        (20, 300),
    ]


def test_infliximab_mg_per_kg():
    # 5 mg/kg IV at weeks 0, 2, 6, then every 8 weeks
    doses = expected_doses("infliximab", 22)
    assert [(d.week, d.dose, d.unit) for d in doses] == [
        (0, 5, "mg/kg"),
        (2, 5, "mg/kg"),
        (6, 5, "mg/kg"),
        (14, 5, "mg/kg"),
        (22, 5, "mg/kg"),
    ]
    doses = expected_doses("infliximab", 22, weight_kg=80)
    assert [(d.week, d.dose, d.unit) for d in doses] == [
        (0, 400, "mg"),
        (2, 400, "mg"),
        (6, 400, "mg"),
        (14, 400, "mg"),
        (22, 400, "mg"),
    ]


def test_natalizumab():
    # Tysabri: 300 mg IV every 4 weeks
    assert schedule("natalizumab", 16) == [(0, 300), (4, 300), (8, 300), (12, 300), (16, 300)]


def test_adalimumab():
    # 80 mg at week 0, then 40 mg every other week from week 1
    assert schedule("adalimumab", 9) == [(0, 80), (1, 40), (3, 40), (5, 40), (7, 40), (9, 40)]


def test_bimekizumab():
    # Bimzelx: 320 mg at weeks 0, 4, 8, 12, 16, then every 8 weeks
    assert schedule("bimekizumab", 40) == [
        (0, 320),
        (4, 320),
        (8, 320),
        (12, 320),
        (16, 320),
        (24, 320),
        (32, 320),
        (40, 320),
    ]


def test_etanercept_induction_is_three_months_per_label():
    # Enbrel: 50 mg twice weekly for 3 months (13 weeks: 365.25/4/7 = 13.04), then 50 mg weekly
    doses = schedule("etanercept", 15)
    twice = [(w / 2, 50) for w in range(26)]  # 0, 0.5, ..., 12.5: 26 doses
    assert doses[:26] == twice
    assert doses[26:] == [(13.5, 50), (14.5, 50)]


def test_other_label_schedules():
    # ixekizumab: 160 mg wk 0; 80 mg wk 2-12 every 2 weeks; 80 mg every 4 weeks
    assert schedule("taltz", 20) == [
        (0, 160),
        (2, 80),
        (4, 80),
        (6, 80),
        (8, 80),
        (10, 80),
        (12, 80),
        (16, 80),
        (20, 80),
    ]
    # brodalumab: 210 mg wk 0, 1, 2, then every 2 weeks
    assert schedule("brodalumab", 6) == [(0, 210), (1, 210), (2, 210), (4, 210), (6, 210)]
    # guselkumab: 100 mg wk 0, 4, then every 8 weeks
    assert schedule("guselkumab", 20) == [(0, 100), (4, 100), (12, 100), (20, 100)]
    # risankizumab: 150 mg wk 0, 4, then every 12 weeks
    assert schedule("risankizumab", 28) == [(0, 150), (4, 150), (16, 150), (28, 150)]
    # tildrakizumab: 100 mg wk 0, 4, then every 12 weeks
    assert schedule("tildrakizumab", 28) == [(0, 100), (4, 100), (16, 100), (28, 100)]
    # certolizumab (US default): 400 mg every 2 weeks
    assert schedule("cimzia", 6) == [(0, 400), (2, 400), (4, 400), (6, 400)]
    # spesolimab flare: a single 900 mg IV dose
    assert schedule("spesolimab", 12) == [(0, 900)]


def test_expected_doses_accepts_drug_record():
    drug = get_drug("stelara")
    assert isinstance(drug, Drug)
    assert schedule("ustekinumab", 16) == [(d.week, d.dose) for d in expected_doses(drug, 16)]


@pytest.mark.parametrize(
    "kwargs,field",
    [
        ({"until_week": -1}, "until_week"),
        ({"until_week": float("nan")}, "until_week"),
        ({"until_week": 10, "weight_kg": 0}, "weight_kg"),
        ({"until_week": 10, "weight_kg": -70}, "weight_kg"),
        ({"until_week": 10, "weight_kg": 2000}, "weight_kg"),
    ],
)
def test_expected_doses_bad_input(kwargs, field):
    with pytest.raises(InvalidValue) as exc:
        expected_doses("ustekinumab", **kwargs)
    assert exc.value.field == field


# ---------------------------------------------------------------- deviations


def test_on_label_course_has_no_deviations():
    given = [(0, 45), (4, 45), (16, 45), (28, 45), (40, 45)]
    assert dose_deviations("ustekinumab", given, until_week=40) == []


def test_shift_within_tolerance_is_on_time():
    given = [(0, 45), (5, 45), (17.5, 45), (26.5, 45)]
    assert dose_deviations("ustekinumab", given, until_week=28) == []


def test_case_series_patient_5_flagged_different_dose():
    # UKMMC case series, patient 5: "45 mg x2, 90 mg 12 weekly"; he weighed "almost 100 kg"
    given = [(0, 45), (4, 45), (16, 90), (28, 90), (40, 90)]
    for weight in (None, 99):
        devs = dose_deviations("ustekinumab", given, until_week=40, weight_kg=weight)
        assert [(d.kind, d.week, d.expected_dose, d.given_dose) for d in devs] == [
            ("different dose", 16, 45, 90),
            ("different dose", 28, 45, 90),
            ("different dose", 40, 45, 90),
        ]
        assert devs[0].message == "week 16: expected 45 mg, given 90 mg"
    # above 100 kg the 90 mg doses are on label, the two 45 mg doses are not
    devs = dose_deviations("ustekinumab", given, until_week=40, weight_kg=120)
    assert [(d.kind, d.week, d.expected_dose, d.given_dose) for d in devs] == [
        ("different dose", 0, 90, 45),
        ("different dose", 4, 90, 45),
    ]


def test_missed_dose():
    given = [(0, 45), (4, 45), (28, 45)]
    devs = dose_deviations("ustekinumab", given, until_week=28)
    assert devs == [
        Deviation(
            kind="missed",
            week=16,
            expected_dose=45,
            given_dose=None,
            message="week 16: expected 45 mg, none recorded within ±2 weeks",
        )
    ]


def test_extra_dose():
    given = [(0, 45), (4, 45), (10, 45), (16, 45)]
    devs = dose_deviations("ustekinumab", given, until_week=16)
    assert [(d.kind, d.week, d.expected_dose, d.given_dose) for d in devs] == [
        ("extra", 10, None, 45)
    ]
    assert devs[0].message == "week 10: 45 mg given, no dose expected within ±2 weeks"


def test_missed_and_extra_outside_tolerance():
    # dose of week 16 given at week 19: week 16 missed and week 19 extra
    given = [(0, 45), (4, 45), (19, 45)]
    devs = dose_deviations("ustekinumab", given, until_week=20)
    assert [(d.kind, d.week) for d in devs] == [("missed", 16), ("extra", 19)]


def test_one_given_dose_matches_one_expected_dose():
    # a single dose between two expected secukinumab doses cannot cover both
    given = [(0, 300), (1.5, 300), (3, 300), (4, 300)]
    devs = dose_deviations("secukinumab", given, until_week=4)
    assert [d.kind for d in devs] == ["missed"]
    assert devs[0].week == 2  # the 1.5 dose is equally near weeks 1 and 2; ties go to week 1


def test_missed_dose_in_dense_schedule_is_reported_at_its_week():
    # secukinumab induction with the week-2 dose missing
    given = [(0, 300), (1, 300), (3, 300), (4, 300), (8, 300)]
    devs = dose_deviations("secukinumab", given, until_week=8)
    assert [(d.kind, d.week) for d in devs] == [("missed", 2)]


def test_until_week_none_uses_last_given_dose():
    given = [(0, 45), (4, 45), (16, 45)]
    assert dose_deviations("ustekinumab", given) == []
    assert dose_deviations("ustekinumab", []) == []
    devs = dose_deviations("ustekinumab", [(0, 45), (28, 45)])
    assert [(d.kind, d.week) for d in devs] == [("missed", 4), ("missed", 16)]


def test_dose_just_after_until_week_still_counts():
    given = [(0, 45), (4, 45), (16, 45), (28, 45), (41, 45)]
    assert dose_deviations("ustekinumab", given, until_week=40) == []


def test_infliximab_deviation_with_and_without_weight():
    given = [(0, 400), (2, 400), (6, 300), (14, 400)]
    devs = dose_deviations("infliximab", given, until_week=14, weight_kg=80)
    assert [(d.kind, d.week, d.expected_dose, d.given_dose) for d in devs] == [
        ("different dose", 6, 400, 300)
    ]
    # without weight only timing can be checked
    assert dose_deviations("infliximab", given, until_week=14) == []
    devs = dose_deviations("infliximab", given[:2], until_week=6)
    assert [(d.kind, d.week, d.unit) for d in devs] == [("missed", 6, "mg/kg")]
    assert devs[0].message == "week 6: expected 5 mg/kg, none recorded within ±2 weeks"


def test_tolerance_is_configurable():
    given = [(0, 45), (5, 45)]
    assert dose_deviations("ustekinumab", given, until_week=5, tolerance_weeks=2) == []
    devs = dose_deviations("ustekinumab", given, until_week=5, tolerance_weeks=0.5)
    assert [(d.kind, d.week) for d in devs] == [("missed", 4), ("extra", 5)]
    assert devs[0].message.endswith("within ±0.5 weeks")


@pytest.mark.parametrize(
    "administered,kwargs,field",
    [
        ([(-1, 45)], {}, "administered"),
        ([(0, 0)], {}, "administered"),
        ([(0,)], {}, "administered"),
        ("0,45", {}, "administered"),
        ([(0, 45)], {"tolerance_weeks": -1}, "tolerance_weeks"),
        ([(0, 45)], {"until_week": -2}, "until_week"),
        ([(0, 45)], {"weight_kg": 0}, "weight_kg"),
    ],
)
def test_dose_deviations_bad_input(administered, kwargs, field):
    with pytest.raises(InvalidValue) as exc:
        dose_deviations("ustekinumab", administered, **kwargs)
    assert exc.value.field == field


def test_dose_deviations_unknown_drug():
    with pytest.raises(InvalidValue) as exc:
        dose_deviations("methotrexate", [(0, 15)])
    assert exc.value.field == "drug"

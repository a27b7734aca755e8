"""The starter literature library against the two papers it was transcribed from.

Expected values are copied from the UKMMC ustekinumab case series (Table 3; Patient 6 text;
Discussion) and from Ozarslan et al. 2022 (Case Presentation; Discussion), not from the code.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from psoreg.cases import CaseRecord, add_cases, find_case, load_library, starter_library
from psoreg.cases.vocab import EventType
from psoreg.errors import ImportFailed, InvalidValue

# Table 3: study -> (age, sex, type of psoriasis, onset days, onset unit, area, stopped)
TABLE_3 = {
    "gregoriou-2019": (54, "F", "Ps & PsA", 2, "days", ("trunk", "limbs"), True),
    "wenk-2012": (37, "F", "Ps & PsA", 4, "days", ("generalised",), True),
    "caca-biljanovska-2013": (34, "F", "Ps", 70, "weeks", ("trunk", "limbs"), False),
    "hay-pan-2014": (47, "M", "Ps & PsA", 28, "weeks", ("generalised",), True),
    "suh-2018": (30, "M", "Ps", 42, "weeks", ("palms", "soles"), True),
    "dai-chen-2018": (70, "M", "Ps", 9, "days", ("lower limbs (bilateral)",), False),
    "ukmmc-patient-6": (26, "F", "Ps", 168, "weeks", ("trunk",), False),
}
TREATMENT = {
    "gregoriou-2019": ["systemic methotrexate"],
    "wenk-2012": ["topical corticosteroid", "systemic corticosteroid", "systemic acitretin"],
    "caca-biljanovska-2013": ["topical corticosteroid"],
    "hay-pan-2014": ["switch to adalimumab"],
    "suh-2018": ["topical corticosteroid", "systemic ciclosporin"],
    "dai-chen-2018": ["systemic acitretin"],
    "ukmmc-patient-6": ["topical corticosteroid"],
}


@pytest.fixture(scope="module")
def library() -> list[CaseRecord]:
    return starter_library()


def test_library_holds_eleven_cases(library: list[CaseRecord]) -> None:
    assert [c.case_id for c in library] == [
        *TABLE_3,
        "ozarslan-2022",
        "lambrianides-2018-case-1",
        "lambrianides-2018-case-2",
        "lambrianides-2018-case-3",
    ]


def test_every_case_records_where_it_came_from(library: list[CaseRecord]) -> None:
    for case in library:
        assert case.origin.value == "literature"
        assert case.citation and case.source_location and case.source_text and case.study


@pytest.mark.parametrize("case_id", list(TABLE_3))
def test_table_3_rows(library: list[CaseRecord], case_id: str) -> None:
    age, sex, kind, days, unit, sites, stopped = TABLE_3[case_id]
    case = find_case(library, case_id)
    assert case.age_years == age
    assert case.sex.value == sex
    assert case.drug_names == ("ustekinumab",)
    assert case.indication == "psoriasis"
    assert case.personal_history_psoriasis is True
    assert bool(case.psoriatic_arthritis_history) == ("PsA" in kind)
    assert case.time_to_onset_days == days
    assert case.time_to_onset_unit.value == unit
    assert case.sites == sites
    assert case.drug_stopped is stopped
    assert [str(t) for t in case.management] == TREATMENT[case_id]
    assert "Table 3" in case.source_location
    assert case.doi is None  # the case series gives no DOI for these reports


def test_ukmmc_sex_conflict_resolved_and_noted(library: list[CaseRecord]) -> None:
    case = find_case(library, "ukmmc-patient-6")
    assert case.sex.value == "F"
    assert "26/M" in case.source_text  # Table 3 as printed
    assert "26-year-old female" in case.source_text  # Patient 6 text
    assert any(n.startswith("SEX CONFLICT") for n in case.notes)
    assert case.extent.bsa_percent == 1
    assert case.event_type is EventType.phenotype_change
    assert case.other_triggers == ()  # "There were no other identifiable triggers"
    assert case.primary_drug.route.value == "SC"
    assert case.dechallenge.value == "not done"
    assert case.outcome.value == "improved"


def test_dai_chen_table_text_conflict_noted(library: list[CaseRecord]) -> None:
    case = find_case(library, "dai-chen-2018")
    assert case.drug_stopped is False  # Table 3 followed
    assert any("golimumab" in n and n.startswith("CONFLICT") for n in case.notes)


def test_ozarslan_case(library: list[CaseRecord]) -> None:
    case = find_case(library, "ozarslan-2022")
    assert case.doi == "10.5826/dpc.1202a88"
    assert (case.age_years, case.sex.value) == (50, "F")
    assert case.drug_names == ("natalizumab",)
    assert case.indication == "multiple sclerosis"
    assert [m.value for m in case.morphology] == ["palmoplantar pustular"]
    assert case.sites == ("palms", "soles")
    assert case.time_to_onset_unit.value == "months"
    assert case.time_to_onset_days == pytest.approx(6 * 365.25 / 12)
    assert case.time_to_onset_approximate is True
    assert case.event_type is EventType.new_onset
    assert case.personal_history_psoriasis is False
    assert case.family_history_psoriasis is False
    assert "yellow globules" in case.dermoscopy and "crusts" in case.dermoscopy
    assert "dotted vessels" in case.dermoscopy
    # not reported by the paper: stays unknown
    assert case.histology is None and case.drug_stopped is None and case.management == ()
    assert case.primary_drug.dose is None and case.primary_drug.route is None
    assert case.outcome.value == "unknown"


def test_lambrianides_cases_hold_only_what_the_summary_gives(library: list[CaseRecord]) -> None:
    cases = [c for c in library if c.case_id.startswith("lambrianides-2018")]
    assert len(cases) == 3
    for case in cases:
        assert case.doi == "10.1159/000492891"
        assert case.family_history_psoriasis is True  # "positive in all patients"
        assert case.drug_names == ("natalizumab",)
        assert case.age_years is None and case.sex.value == "unknown"
        assert case.time_to_onset_days is None and case.indication is None
        assert "Ozarslan 2022, Discussion" in case.source_location
    plaque = [c for c in cases if [m.value for m in c.morphology] == ["plaque"]]
    assert len(plaque) == 2
    arthritis = [c for c in cases if c.event_psoriatic_arthritis]
    assert len(arthritis) == 1 and arthritis[0].event_type is EventType.new_onset
    flare = find_case(cases, "lambrianides-2018-case-2")
    assert flare.event_type is EventType.worsening
    assert flare.time_to_onset_text == "after several natalizumab infusions"


def test_find_case_unknown_id_names_field(library: list[CaseRecord]) -> None:
    with pytest.raises(InvalidValue) as info:
        find_case(library, "nobody-1999")
    assert info.value.field == "case"
    assert find_case(library, "SUH-2018").case_id == "suh-2018"


def _clinic_case(case_id: str = "clinic-1") -> CaseRecord:
    return CaseRecord(case_id=case_id, suspect_drugs=["secukinumab"], time_to_onset="18 weeks")


def test_user_library_adds_to_starter(tmp_path: Path) -> None:
    path = tmp_path / "lib.json"
    add_cases([_clinic_case()], path)
    cases = load_library(path)
    assert len(cases) == 12 and cases[-1].case_id == "clinic-1"
    assert [c.case_id for c in load_library(path, include_starter=False)] == ["clinic-1"]
    assert len(load_library(tmp_path / "missing.json")) == 11


def test_user_library_refuses_duplicate_ids(tmp_path: Path) -> None:
    path = tmp_path / "lib.csv"
    add_cases([_clinic_case()], path)
    with pytest.raises(ImportFailed) as info:
        add_cases([_clinic_case()], path)
    assert "already in the library" in str(info.value)
    add_cases([_clinic_case()], path, replace=True)
    with pytest.raises(ImportFailed):
        add_cases([_clinic_case("suh-2018")], path, replace=True)  # starter ids are fixed
    assert [c.case_id for c in load_library(path, include_starter=False)] == ["clinic-1"]

"""The case record: impossible values refused with the field named; unknown stays unknown."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from psoreg.cases import CaseRecord, EventType, Outcome, TimeUnit, format_onset, parse_onset
from psoreg.cases.validation import field_errors, one_line
from psoreg.errors import InvalidValue
from psoreg.model.vocab import Morphology, Sex


def make(**changes: Any) -> CaseRecord:
    data: dict[str, Any] = {"case_id": "clinic-1", "suspect_drugs": ["ustekinumab"]}
    data.update(changes)
    return CaseRecord(**data)


def refused_fields(**changes: Any) -> list[str]:
    with pytest.raises(ValidationError) as info:
        make(**changes)
    return [field for field, _ in field_errors(info.value)]


def test_minimal_case_is_all_unknown() -> None:
    case = make()
    assert case.sex is Sex.unknown
    assert case.age_years is None
    assert case.event_type is EventType.unknown
    assert case.outcome is Outcome.unknown
    assert case.dechallenge.value == "unknown" and case.rechallenge.value == "unknown"
    assert case.morphology == () and case.sites == ()
    assert case.time_to_onset_days is None and case.time_to_onset_unit is None
    assert case.family_history_psoriasis is None and case.drug_stopped is None
    assert case.other_triggers is None and case.concomitant_drugs is None
    assert case.naranjo is None and case.who_umc is None


def test_stand_alone_case_for_another_disease() -> None:
    case = make(
        case_id="clinic-ms-1",
        age_years=41,
        sex="female",
        suspect_drugs=[{"drug": "Tysabri", "dose": "300 mg every 4 weeks", "route": "iv"}],
        indication="MS",
        time_to_onset="3 months",
        event_type="new-onset",
        morphology="palmoplantar pustulosis; nail",
        sites="palms; soles; fingernails",
        extent={"pppasi": 12.4},
        dermoscopy="yellow globules, dotted vessels",
        histology="spongiform pustules of Kogoj",
        personal_history_psoriasis="no",
        family_history_psoriasis="yes",
        other_triggers="none",
        concomitant_drugs=["vitamin D"],
        management="topical: clobetasol; systemic: acitretin",
        drug_stopped="yes",
        dechallenge="positive",
        rechallenge="not done",
        outcome="resolved",
    )
    assert case.primary_drug.drug == "natalizumab"
    assert case.primary_drug.route.value == "IV"
    assert case.drug_classes == ("integrin inhibitor",)
    assert case.indication == "multiple sclerosis"
    assert case.time_to_onset_days == pytest.approx(3 * 365.25 / 12)
    assert case.time_to_onset_unit is TimeUnit.months
    assert case.morphology == (Morphology.palmoplantar_pustular, Morphology.nail)
    assert case.sites == ("palms", "soles", "fingernails")
    assert case.other_triggers == ()
    assert [str(t) for t in case.management] == ["topical clobetasol", "systemic acitretin"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"age_years": 130}, "age_years"),
        ({"age_years": -1}, "age_years"),
        ({"sex": "X"}, "sex"),
        ({"suspect_drugs": ["aspirin"]}, "suspect_drugs.0.drug"),
        ({"suspect_drugs": []}, "suspect_drugs"),
        ({"suspect_drugs": [{"drug": "ustekinumab", "route": "nasal"}]}, "suspect_drugs.0.route"),
        ({"indication": "influenza"}, "indication"),
        ({"morphology": "spotty"}, "morphology"),
        ({"time_to_onset_days": -3}, "time_to_onset_days"),
        ({"time_to_onset_days": 40000}, "time_to_onset_days"),
        ({"time_to_onset": "soon"}, "time_to_onset"),
        ({"time_to_onset": "3 fortnights"}, "time_to_onset"),
        ({"time_to_onset_unit": "weeks"}, "time_to_onset_unit"),
        ({"extent": {"bsa_percent": 120}}, "extent.bsa_percent"),
        ({"extent": {"pasi": 80}}, "extent.pasi"),
        ({"extent": {"gppga": 5}, "morphology": "GPP"}, "extent.gppga"),
        ({"extent": {"pppasi": 10}, "morphology": "plaque"}, "extent.pppasi"),
        ({"extent": {"gppga": 2}, "morphology": "plaque"}, "extent.gppga"),
        ({"drug_stopped": False, "dechallenge": "positive"}, "dechallenge"),
        ({"drug_stopped": False, "rechallenge": "negative"}, "rechallenge"),
        ({"personal_history_psoriasis": False, "event_type": "worsening"}, "event_type"),
        ({"personal_history_psoriasis": True, "event_type": "new-onset"}, "event_type"),
        (
            {"personal_history_psoriasis": False, "pre_existing_phenotype": "plaque"},
            "pre_existing_phenotype",
        ),
        ({"event_type": "sudden"}, "event_type"),
        ({"outcome": "great"}, "outcome"),
        ({"family_history_psoriasis": "perhaps"}, "family_history_psoriasis"),
        ({"doi": "doi.org/10.1/x"}, "doi"),
        ({"case_id": "has space"}, "case_id"),
        ({"management": "cream"}, "management.0.kind"),
        ({"origin": "literature"}, "study"),
        ({"favourite_colour": "blue"}, "favourite_colour"),
        ({"naranjo": {"after_drug": "perhaps"}}, "naranjo.after_drug"),
        ({"who_umc": {"time_relationship": "soon"}}, "who_umc.time_relationship"),
    ],
)
def test_impossible_values_refused_with_field_named(changes: dict[str, Any], field: str) -> None:
    assert field in refused_fields(**changes)


def test_error_message_is_one_line_naming_field_and_value() -> None:
    with pytest.raises(ValidationError) as info:
        make(age_years=130)
    assert one_line(info.value) == (
        "age_years: Input should be less than or equal to 120 (got 130)"
    )


def test_literature_case_needs_its_source() -> None:
    fields = refused_fields(origin="literature", study="X 2020")
    assert fields == ["source_location"]
    case = make(origin="literature", study="X 2020", source_location="Table 1", source_text="row")
    assert case.label == "X 2020"


def test_new_onset_arthritis_allowed_with_psoriasis() -> None:
    case = make(
        personal_history_psoriasis=True, event_type="new-onset", event_psoriatic_arthritis=True
    )
    assert case.event_type is EventType.new_onset


@pytest.mark.parametrize(
    ("text", "days", "unit", "shown"),
    [
        ("2 days", 2, "days", "2 days"),
        ("4 days", 4, "days", "4 days"),
        ("10 weeks", 70, "weeks", "10 weeks"),
        ("4 weeks", 28, "weeks", "4 weeks"),
        ("6 weeks", 42, "weeks", "6 weeks"),
        ("9 days", 9, "days", "9 days"),
        ("24 weeks", 168, "weeks", "24 weeks"),
        ("6 months", 182.625, "months", "6 months"),
        ("1 year", 365.25, "years", "1 year"),
        ("12", 12, "days", "12 days"),
        ("1 wk", 7, "weeks", "1 week"),
    ],
)
def test_onset_stored_in_days_shown_as_reported(
    text: str, days: float, unit: str, shown: str
) -> None:
    got_days, got_unit = parse_onset(text)
    assert got_days == pytest.approx(days)
    assert got_unit.value == unit
    assert format_onset(got_days, got_unit) == shown
    case = make(time_to_onset=text)
    assert case.time_to_onset_days == pytest.approx(days)
    assert case.time_to_onset_unit.value == unit


def test_approximate_onset() -> None:
    case = make(time_to_onset="~6 months")
    assert case.time_to_onset_approximate is True
    assert format_onset(case.time_to_onset_days, case.time_to_onset_unit, True) == "~6 months"


def test_onset_given_twice_refused() -> None:
    assert "time_to_onset" in refused_fields(time_to_onset="2 days", time_to_onset_days=2)


def test_unknown_onset_shown_as_unknown() -> None:
    assert format_onset(None, None) == "unknown"


def test_parse_onset_refuses_negative() -> None:
    with pytest.raises(InvalidValue) as info:
        parse_onset("-2 days")
    assert info.value.field == "time_to_onset"


def test_other_triggers_none_differs_from_unknown() -> None:
    assert make(other_triggers="none").other_triggers == ()
    assert make(other_triggers="unknown").other_triggers is None
    assert make(other_triggers="URTI; stress").other_triggers == ("URTI", "stress")


def test_record_is_frozen() -> None:
    case = make()
    with pytest.raises(ValidationError):
        case.age_years = 30  # type: ignore[misc]

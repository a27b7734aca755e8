"""WHO-UMC causality: one worked example per category, with the criteria in the reason.

Criteria wording from clinical-facts §5 (UMC document, PMC6039921 Box 2).
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from psoreg.cases.who_umc import WhoUmcAssessment, WhoUmcCategory


def test_certain() -> None:
    a = WhoUmcAssessment(
        time_relationship="plausible",
        alternative_explanation="excluded",
        withdrawal="positive",
        definitive="yes",
        rechallenge="positive",
    )
    assert a.category is WhoUmcCategory.certain
    assert a.reason == (
        "certain: reasonable time relationship to drug intake; cannot be explained by disease "
        "or other drugs; clinically reasonable response to withdrawal; event definitive "
        "pharmacologically or phenomenologically; rechallenge positive"
    )


def test_probable() -> None:
    # Suspect drug stopped, eruption cleared; no other cause likely; not re-exposed.
    a = WhoUmcAssessment(
        time_relationship="plausible",
        alternative_explanation="unlikely",
        withdrawal="positive",
        rechallenge="not done",
    )
    assert a.category is WhoUmcCategory.probable
    assert a.reason == (
        "probable/likely: reasonable time relationship to drug intake; unlikely to be due to "
        "disease or other drugs; clinically reasonable response to withdrawal; rechallenge not "
        "required"
    )


def test_possible_drug_continued() -> None:
    # The UKMMC case: pustules at week 24, controlled with topical steroid, drug continued.
    a = WhoUmcAssessment(
        time_relationship="plausible", alternative_explanation="possible", withdrawal="not done"
    )
    assert a.category is WhoUmcCategory.possible
    assert a.reason == (
        "possible: reasonable time relationship to drug intake; could also be explained by "
        "disease or other drugs; information on withdrawal lacking (drug not withdrawn)"
    )


def test_unlikely() -> None:
    a = WhoUmcAssessment(time_relationship="improbable", alternative_explanation="plausible")
    assert a.category is WhoUmcCategory.unlikely
    assert a.reason == (
        "unlikely: time to drug intake makes a relationship improbable (but not impossible); "
        "disease or other drugs provide plausible explanations"
    )


def test_conditional() -> None:
    a = WhoUmcAssessment(information="pending", time_relationship="plausible")
    assert a.category is WhoUmcCategory.conditional
    assert a.reason.startswith("conditional/unclassified: more data are essential")


def test_unassessable() -> None:
    a = WhoUmcAssessment(information="insufficient")
    assert a.category is WhoUmcCategory.unassessable
    assert a.reason == (
        "unassessable/unclassifiable: information insufficient or contradictory, and cannot "
        "be supplemented or verified"
    )


def test_unknown_time_relationship_is_unassessable() -> None:
    assert WhoUmcAssessment().category is WhoUmcCategory.unassessable


def test_plausible_alternative_alone_makes_unlikely() -> None:
    a = WhoUmcAssessment(time_relationship="plausible", alternative_explanation="plausible")
    assert a.category is WhoUmcCategory.unlikely


def test_negative_rechallenge_keeps_possible() -> None:
    a = WhoUmcAssessment(
        time_relationship="plausible",
        alternative_explanation="excluded",
        withdrawal="positive",
        definitive="yes",
        rechallenge="negative",
    )
    assert a.category is WhoUmcCategory.possible
    assert "rechallenge negative" in a.reason


def test_definitive_event_without_rechallenge_is_certain() -> None:
    a = WhoUmcAssessment(
        time_relationship="yes",
        alternative_explanation="none",
        withdrawal="positive",
        definitive="yes",
        rechallenge="not done",
    )
    assert a.category is WhoUmcCategory.certain


def test_bad_answer_refused_with_field_named() -> None:
    with pytest.raises(ValidationError) as info:
        WhoUmcAssessment(withdrawal="sometimes")
    assert "who_umc.withdrawal" in str(info.value)


def test_recorded_category_checked() -> None:
    base = {"time_relationship": "plausible", "alternative_explanation": "possible"}
    assert WhoUmcAssessment(**base, category="possible").category is WhoUmcCategory.possible
    assert WhoUmcAssessment(**base, category="POSSIBLE").category is WhoUmcCategory.possible
    with pytest.raises(ValidationError) as info:
        WhoUmcAssessment(**base, category="certain")
    assert "who_umc.category" in str(info.value)


def test_probable_accepts_either_half_of_its_name() -> None:
    base = {
        "time_relationship": "plausible",
        "alternative_explanation": "unlikely",
        "withdrawal": "positive",
    }
    assert WhoUmcAssessment(**base, category="likely").category is WhoUmcCategory.probable
    assert WhoUmcAssessment(**base, category="probable/likely").category.value == "probable/likely"

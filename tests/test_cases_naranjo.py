"""Naranjo scale: every item's points and every band edge.

Expected points and bands are copied from clinical-facts §5 (Naranjo et al., Clin Pharmacol
Ther 1981;30:239, table in PMC5774610), not computed by the code under test.
"""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from psoreg.cases.naranjo import (
    NARANJO_ITEMS,
    NaranjoAssessment,
    NaranjoCategory,
    naranjo_category,
)
from psoreg.cases.validation import field_errors
from psoreg.errors import InvalidValue

# item number -> (field, points for yes, no, don't know), clinical-facts §5
POINTS = {
    1: ("previous_reports", 1, 0, 0),
    2: ("after_drug", 2, -1, 0),
    3: ("improved_on_withdrawal", 1, 0, 0),
    4: ("reappeared_on_readministration", 2, -1, 0),
    5: ("alternative_causes", -1, 2, 0),
    6: ("placebo_reaction", -1, 1, 0),
    7: ("toxic_concentration", 1, 0, 0),
    8: ("dose_response", 1, 0, 0),
    9: ("previous_similar_reaction", 1, 0, 0),
    10: ("objective_evidence", 1, 0, 0),
}


def test_ten_items_in_order() -> None:
    assert [(i.number, i.key) for i in NARANJO_ITEMS] == [(n, POINTS[n][0]) for n in POINTS]


@pytest.mark.parametrize("number", list(POINTS))
@pytest.mark.parametrize(("answer", "column"), [("yes", 1), ("no", 2), ("unknown", 3)])
def test_each_item_scores_its_points(number: int, answer: str, column: int) -> None:
    field = POINTS[number][0]
    expected = POINTS[number][column]
    assessment = NaranjoAssessment(**{field: answer})  # every other item unknown = 0
    assert assessment.score == expected
    assert dict((i.number, p) for i, _, p in assessment.item_points())[number] == expected


def test_unanswered_items_are_unknown_and_score_zero() -> None:
    empty = NaranjoAssessment()
    assert all(a.value == "unknown" for a in empty.answers().values())
    assert empty.score == 0
    assert empty.category is NaranjoCategory.doubtful
    assert not empty.answered


def test_minimum_is_minus_4_doubtful() -> None:
    worst = NaranjoAssessment(
        after_drug="no",  # -1
        reappeared_on_readministration="no",  # -1
        alternative_causes="yes",  # -1
        placebo_reaction="yes",  # -1
    )
    assert worst.score == -4
    assert worst.category is NaranjoCategory.doubtful


def test_maximum_is_13_definite() -> None:
    best = NaranjoAssessment(
        previous_reports="yes",
        after_drug="yes",
        improved_on_withdrawal="yes",
        reappeared_on_readministration="yes",
        alternative_causes="no",
        placebo_reaction="no",
        toxic_concentration="yes",
        dose_response="yes",
        previous_similar_reaction="yes",
        objective_evidence="yes",
    )
    assert best.score == 13
    assert best.category is NaranjoCategory.definite


# Worked examples at each band edge: (answers, score, category)
EDGES = [
    # 0: appeared after the drug (+2), alternative causes yes (-1), no reappearance on
    # re-administration (-1)
    (
        {"after_drug": "yes", "alternative_causes": "yes", "reappeared_on_readministration": "no"},
        0,
        "doubtful",
    ),
    ({"previous_reports": "yes"}, 1, "possible"),
    ({"after_drug": "yes", "alternative_causes": "no"}, 4, "possible"),
    ({"after_drug": "yes", "alternative_causes": "no", "previous_reports": "yes"}, 5, "probable"),
    (
        {
            "previous_reports": "yes",
            "after_drug": "yes",
            "improved_on_withdrawal": "yes",
            "alternative_causes": "no",
            "previous_similar_reaction": "yes",
            "objective_evidence": "yes",
        },
        8,
        "probable",
    ),
    (
        {
            "previous_reports": "yes",
            "after_drug": "yes",
            "improved_on_withdrawal": "yes",
            "alternative_causes": "no",
            "previous_similar_reaction": "yes",
            "objective_evidence": "yes",
            "dose_response": "yes",
        },
        9,
        "definite",
    ),
]


@pytest.mark.parametrize(("answers", "score", "category"), EDGES)
def test_band_edges(answers: dict[str, str], score: int, category: str) -> None:
    assessment = NaranjoAssessment(**answers)
    assert assessment.score == score
    assert assessment.category.value == category
    assert assessment.reason.startswith(f"{category} (score {score}): ")


@pytest.mark.parametrize(
    ("score", "category"),
    [(s, "doubtful") for s in range(-4, 1)]
    + [(s, "possible") for s in range(1, 5)]
    + [(s, "probable") for s in range(5, 9)]
    + [(s, "definite") for s in range(9, 14)],
)
def test_category_of_every_possible_score(score: int, category: str) -> None:
    assert naranjo_category(score).value == category


@pytest.mark.parametrize("score", [-5, 14, 2.5, True, "5"])
def test_impossible_score_refused(score: object) -> None:
    with pytest.raises(InvalidValue) as info:
        naranjo_category(score)  # type: ignore[arg-type]
    assert info.value.field == "naranjo.score"


def test_reason_lists_points_per_answer() -> None:
    a = NaranjoAssessment(after_drug="yes", alternative_causes="no", previous_reports="yes")
    assert a.reason == (
        "probable (score 5): previous conclusive reports (+1); appeared after the drug was "
        "given (+2); no alternative causes (+2); unknown: items 3, 4, 6, 7, 8, 9, 10 (0)"
    )


@pytest.mark.parametrize(
    ("given", "expected"),
    [("Y", "yes"), ("No", "no"), ("don't know", "unknown"), ("DK", "unknown"), (True, "yes")],
)
def test_answer_spellings(given: object, expected: str) -> None:
    assert NaranjoAssessment(after_drug=given).after_drug.value == expected


def test_bad_answer_refused_with_field_named() -> None:
    with pytest.raises(ValidationError) as info:
        NaranjoAssessment(after_drug="maybe")
    assert field_errors(info.value)[0][0] == "after_drug"
    assert "naranjo.after_drug" in str(info.value)


def test_unknown_item_refused() -> None:
    with pytest.raises(ValidationError) as info:
        NaranjoAssessment(q11="yes")
    assert field_errors(info.value)[0][0] == "q11"


def test_recorded_score_checked_against_answers() -> None:
    ok = NaranjoAssessment(after_drug="yes", score=2, category="possible")
    assert ok.score == 2
    with pytest.raises(ValidationError) as info:
        NaranjoAssessment(after_drug="yes", score=7)
    assert "naranjo.score" in str(info.value)
    with pytest.raises(ValidationError) as info:
        NaranjoAssessment(after_drug="yes", category="definite")
    assert "naranjo.category" in str(info.value)


def test_dump_keeps_answers_and_shows_score() -> None:
    a = NaranjoAssessment(after_drug="yes", alternative_causes="no")
    dumped = a.model_dump(mode="json")
    assert dumped["after_drug"] == "yes" and dumped["score"] == 4
    assert dumped["category"] == "possible"
    assert NaranjoAssessment(**dumped) == a

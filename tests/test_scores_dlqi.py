"""DLQI with the Cardiff scoring rules."""

import pytest

from psoreg.errors import InvalidValue
from psoreg.scores import DLQI_MCID, DlqiBand, dlqi, dlqi_band, dlqi_improved, validate_dlqi_total

ALL_ZERO = ["not_at_all"] * 10


def test_worked_example():
    # q1 very_much 3, q2 a_lot 2, q3 a_little 1, q4 not_at_all 0, q5 not_relevant 0,
    # q6 a_lot 2, q7 "yes" 3, q8 a_little 1, q9 0 (int), q10 3 (int)
    # total 3+2+1+0+0+2+3+1+0+3 = 15
    # subscales: symptoms 3+2=5, daily 1+0=1, leisure 0+2=2, work 3, relationships 1+0=1,
    # treatment 3
    answers = [
        "very_much",
        "a_lot",
        "a_little",
        "not_at_all",
        "not_relevant",
        "a_lot",
        "yes",
        "a_little",
        0,
        3,
    ]
    r = dlqi(answers)
    assert r.total == 15
    assert r.scored
    assert r.reason is None
    assert r.unanswered == ()
    assert r.items == (3, 2, 1, 0, 0, 2, 3, 1, 0, 3)
    assert dict(r.subscales) == {
        "symptoms_feelings": 5,
        "daily_activities": 1,
        "leisure": 2,
        "work_school": 3,
        "personal_relationships": 1,
        "treatment": 3,
    }
    assert r.band == DlqiBand.VERY_LARGE


def test_max_30_and_min_0():
    r = dlqi(["very_much"] * 6 + ["yes"] + ["very_much"] * 3)
    assert r.total == 30
    assert r.band == DlqiBand.EXTREMELY_LARGE
    assert dlqi(ALL_ZERO).total == 0
    assert dlqi(["not_relevant"] * 10).total == 0


def test_friendly_spelling():
    r = dlqi(["Very much", "A LOT", "a-little", " not at all "] + ["not_at_all"] * 6)
    assert r.items[:4] == (3, 2, 1, 0)


@pytest.mark.parametrize(
    ("answer", "score"),
    [("yes", 3), ("a_lot", 2), ("a_little", 1), ("not_at_all", 0), ("not_relevant", 0), (3, 3)],
)
def test_item7_paths(answer, score):
    answers = ["a_little"] * 10
    answers[6] = answer
    r = dlqi(answers)
    assert r.items[6] == score
    assert r.subscales["work_school"] == score
    assert r.total == 9 + score  # nine other items at 1 each


@pytest.mark.parametrize("bad", ["no", "very_much", "maybe"])
def test_item7_rejected(bad):
    answers = list(ALL_ZERO)
    answers[6] = bad
    with pytest.raises(InvalidValue) as exc:
        dlqi(answers)
    assert exc.value.field == "dlqi.q7"
    assert "'yes'" in str(exc.value)
    assert "sub-answer" in str(exc.value)


def test_yes_rejected_outside_item7():
    answers = list(ALL_ZERO)
    answers[0] = "yes"
    with pytest.raises(InvalidValue) as exc:
        dlqi(answers)
    assert exc.value.field == "dlqi.q1"


@pytest.mark.parametrize("bad", [4, -1, 1.5, True, "lots"])
def test_item_value_rejected(bad):
    answers = list(ALL_ZERO)
    answers[3] = bad
    with pytest.raises(InvalidValue) as exc:
        dlqi(answers)
    assert exc.value.field == "dlqi.q4"
    assert "an integer from 0 to 3" in str(exc.value)


def test_one_missing_scores_zero():
    answers = ["a_lot"] * 10
    answers[4] = None
    r = dlqi(answers)
    # 9 items x 2 = 18, the missing one counts 0
    assert r.total == 18
    assert r.unanswered == (5,)
    assert r.items[4] is None
    assert r.subscales["leisure"] == 2
    assert r.band == DlqiBand.VERY_LARGE


def test_two_missing_not_scored():
    answers = ["a_lot"] * 10
    answers[1] = None
    answers[8] = None
    r = dlqi(answers)
    assert r.total is None
    assert not r.scored
    assert r.subscales is None
    assert r.band is None
    assert r.unanswered == (2, 9)
    assert "2 items unanswered" in r.reason


def test_all_missing_not_scored():
    r = dlqi([None] * 10)
    assert r.total is None
    assert len(r.unanswered) == 10


def test_mapping_input_missing_keys_unanswered():
    r = dlqi({n: 1 for n in range(1, 10)})  # item 10 missing
    assert r.total == 9
    assert r.unanswered == (10,)
    r2 = dlqi({1: 3, 2: 3})
    assert r2.total is None


def test_mapping_bad_key():
    with pytest.raises(InvalidValue) as exc:
        dlqi({11: 1})
    assert exc.value.field == "dlqi.11"


@pytest.mark.parametrize("bad", [["a_lot"] * 9, ["a_lot"] * 11, "a_lot", 5])
def test_wrong_shape(bad):
    with pytest.raises(InvalidValue) as exc:
        dlqi(bad)
    assert exc.value.field == "dlqi"
    assert "10 answers" in str(exc.value)


@pytest.mark.parametrize(
    ("total", "band"),
    [
        (0, DlqiBand.NO_EFFECT),
        (1, DlqiBand.NO_EFFECT),
        (2, DlqiBand.SMALL),
        (5, DlqiBand.SMALL),
        (6, DlqiBand.MODERATE),
        (10, DlqiBand.MODERATE),
        (11, DlqiBand.VERY_LARGE),
        (20, DlqiBand.VERY_LARGE),
        (21, DlqiBand.EXTREMELY_LARGE),
        (30, DlqiBand.EXTREMELY_LARGE),
    ],
)
def test_band_edges(total, band):
    assert dlqi_band(total) == band


def test_band_text():
    assert dlqi_band(0) == "no effect"
    assert dlqi_band(25) == "extremely large effect"


@pytest.mark.parametrize("bad", [-1, 31, 2.5, True])
def test_total_rejected(bad):
    with pytest.raises(InvalidValue) as exc:
        validate_dlqi_total(bad)
    assert exc.value.field == "dlqi"
    assert "an integer from 0 to 30" in str(exc.value)
    with pytest.raises(InvalidValue):
        dlqi_band(bad)


def test_mcid():
    assert DLQI_MCID == 4
    assert dlqi_improved(12, 8)  # 4-point drop
    assert not dlqi_improved(12, 9)  # 3-point drop
    assert not dlqi_improved(12, 8, mcid=5)  # NICE TA180 threshold
    assert dlqi_improved(12, 7, mcid=5)
    assert not dlqi_improved(5, 10)  # worse


def test_mcid_rejects_bad_totals():
    with pytest.raises(InvalidValue) as exc:
        dlqi_improved(31, 0)
    assert exc.value.field == "baseline"

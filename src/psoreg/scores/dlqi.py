"""Dermatology Life Quality Index (DLQI), scored by the Cardiff rules.

Definitions (clinical-facts.md section 2, "DLQI"):

* **Instrument:** Finlay & Khan, *Clin Exp Dermatol* 1994;19:210. Adults >= 16 years; children
  use the CDLQI (not implemented here).
* **Scoring** (Cardiff rules, as quoted in awell-health/awell-score ``todo/dlqi/README.md``):
  10 items, each 0-3 -- very much 3, a lot 2, a little 1, not at all 0, **not relevant 0**;
  total 0-30.
* **Item 7:** "Yes" (skin prevented work or study) = 3. "No" leads to a sub-question: a lot 2,
  a little 1, not at all 0. Not relevant = 0. Here item 7 is given as ``"yes"``,
  ``"not_relevant"`` or the sub-answer itself (``"a_lot"``, ``"a_little"``, ``"not_at_all"``).
  A bare ``"no"`` is rejected: the Cardiff text does not say how to score "No" with the
  sub-question left blank, so the caller must decide (pass the sub-answer, or ``None`` to count
  the item as unanswered).
* **Missing data:** one unanswered item scores 0 and the total is summed as usual; two or more
  unanswered items -> the questionnaire is not scored (``total`` is ``None`` with a ``reason``).
  Subscales and band are likewise ``None`` when not scored.
* **Subscales:** Q1-2 symptoms and feelings (max 6); Q3-4 daily activities (6); Q5-6 leisure (6);
  Q7 work and school (3); Q8-9 personal relationships (6); Q10 treatment (3).
* **Bands** (Hongbo et al., *J Invest Dermatol* 2005;125:659): 0-1 no effect; 2-5 small;
  6-10 moderate; 11-20 very large; 21-30 extremely large effect on the patient's life.
* **MCID:** 4 points (Basra et al. 2015), :data:`DLQI_MCID`. Other estimates range 3-5; an
  apremilast paper used 5, and NICE TA180 requires a DLQI reduction of >= 5 (clinical-facts.md
  section 3), so :func:`dlqi_improved` takes the threshold as a parameter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from types import MappingProxyType

from psoreg.errors import InvalidValue
from psoreg.scores._validate import check_int, int_range

__all__ = [
    "DLQI_ANSWERS",
    "DLQI_ITEM7_ANSWERS",
    "DLQI_ITEMS",
    "DLQI_MAX",
    "DLQI_MCID",
    "DLQI_SUBSCALES",
    "DlqiAnswer",
    "DlqiBand",
    "DlqiResult",
    "dlqi",
    "dlqi_band",
    "dlqi_improved",
    "validate_dlqi_total",
]

DLQI_ITEMS = 10
DLQI_MAX = 30
DLQI_MCID = 4
ITEM_MAX = 3
WORK_ITEM = 7

DLQI_ANSWERS: Mapping[str, int] = MappingProxyType(
    {"very_much": 3, "a_lot": 2, "a_little": 1, "not_at_all": 0, "not_relevant": 0}
)
DLQI_ITEM7_ANSWERS: Mapping[str, int] = MappingProxyType(
    {"yes": 3, "a_lot": 2, "a_little": 1, "not_at_all": 0, "not_relevant": 0}
)
DLQI_SUBSCALES: Mapping[str, tuple[int, ...]] = MappingProxyType(
    {
        "symptoms_feelings": (1, 2),
        "daily_activities": (3, 4),
        "leisure": (5, 6),
        "work_school": (7,),
        "personal_relationships": (8, 9),
        "treatment": (10,),
    }
)

#: One item's answer: a response string, an item score 0-3, or ``None`` (unanswered).
DlqiAnswer = str | int | None


class DlqiBand(StrEnum):
    """Effect on the patient's life (Hongbo et al. 2005)."""

    NO_EFFECT = "no effect"
    SMALL = "small effect"
    MODERATE = "moderate effect"
    VERY_LARGE = "very large effect"
    EXTREMELY_LARGE = "extremely large effect"


# Upper bound (inclusive) of each band.
_BANDS: tuple[tuple[int, DlqiBand], ...] = (
    (1, DlqiBand.NO_EFFECT),
    (5, DlqiBand.SMALL),
    (10, DlqiBand.MODERATE),
    (20, DlqiBand.VERY_LARGE),
    (30, DlqiBand.EXTREMELY_LARGE),
)


@dataclass(frozen=True)
class DlqiResult:
    """Scored DLQI.

    ``items`` holds the 10 item scores (``None`` = unanswered) and ``unanswered`` their 1-based
    numbers. When two or more items are unanswered ``total``, ``subscales`` and ``band`` are
    ``None`` and ``reason`` says why.
    """

    items: tuple[int | None, ...]
    unanswered: tuple[int, ...]
    total: int | None
    subscales: Mapping[str, int] | None
    band: DlqiBand | None
    reason: str | None = None

    @property
    def scored(self) -> bool:
        return self.total is not None


def _normalise(text: str) -> str:
    return "_".join(text.strip().lower().replace("-", " ").split())


def _item_score(number: int, answer: object) -> int | None:
    field = f"dlqi.q{number}"
    table = DLQI_ITEM7_ANSWERS if number == WORK_ITEM else DLQI_ANSWERS
    allowed = (
        "one of " + ", ".join(repr(k) for k in table) + f", {int_range(0, ITEM_MAX)}, "
        "or None if unanswered"
    )
    if number == WORK_ITEM:
        allowed += " (after 'no', give the sub-answer: 'a_lot', 'a_little' or 'not_at_all')"
    if answer is None:
        return None
    if isinstance(answer, str):
        key = _normalise(answer)
        if key not in table:
            raise InvalidValue(field, answer, allowed)
        return table[key]
    try:
        return check_int(field, answer, 0, ITEM_MAX)
    except InvalidValue:
        raise InvalidValue(field, answer, allowed) from None


def _as_items(answers: object) -> list[object]:
    shape = f"{DLQI_ITEMS} answers (a sequence for items 1-{DLQI_ITEMS} or a mapping keyed 1-10)"
    if isinstance(answers, Mapping):
        for key in answers:
            if isinstance(key, bool) or not isinstance(key, int) or not 1 <= key <= DLQI_ITEMS:
                raise InvalidValue(f"dlqi.{key}", answers[key], f"an item number 1-{DLQI_ITEMS}")
        return [answers.get(n) for n in range(1, DLQI_ITEMS + 1)]
    if isinstance(answers, str | bytes) or not isinstance(answers, Sequence):
        raise InvalidValue("dlqi", answers, shape)
    if len(answers) != DLQI_ITEMS:
        raise InvalidValue("dlqi", answers, shape)
    return list(answers)


def dlqi(answers: Sequence[DlqiAnswer] | Mapping[int, DlqiAnswer]) -> DlqiResult:
    """Score a DLQI questionnaire.

    ``answers`` is a sequence of 10 answers (item 1 first) or a mapping from item number (1-10)
    to answer, where a missing key means unanswered. Each answer is ``"very_much"``,
    ``"a_lot"``, ``"a_little"``, ``"not_at_all"``, ``"not_relevant"`` (case, spaces and hyphens
    are forgiven: ``"Not at all"`` works), an item score 0-3, or ``None``. Item 7 takes ``"yes"``
    in place of ``"very_much"``.
    """
    raw = _as_items(answers)
    items = tuple(_item_score(n, a) for n, a in enumerate(raw, start=1))
    unanswered = tuple(n for n, s in enumerate(items, start=1) if s is None)
    if len(unanswered) >= 2:
        listed = ", ".join(str(n) for n in unanswered)
        return DlqiResult(
            items=items,
            unanswered=unanswered,
            total=None,
            subscales=None,
            band=None,
            reason=f"not scored: {len(unanswered)} items unanswered ({listed}); "
            "the Cardiff rules allow at most one",
        )
    scores = [s or 0 for s in items]
    total = sum(scores)
    subscales = {name: sum(scores[n - 1] for n in nums) for name, nums in DLQI_SUBSCALES.items()}
    return DlqiResult(
        items=items,
        unanswered=unanswered,
        total=total,
        subscales=MappingProxyType(subscales),
        band=dlqi_band(total),
    )


def validate_dlqi_total(x: object, *, field: str = "dlqi") -> int:
    """Check a DLQI total entered directly: an integer from 0 to 30."""
    return check_int(field, x, 0, DLQI_MAX)


def dlqi_band(total: int) -> DlqiBand:
    """Hongbo 2005 band: 0-1 no effect, 2-5 small, 6-10 moderate, 11-20 very large, 21-30
    extremely large."""
    t = validate_dlqi_total(total)
    for upper, band in _BANDS:
        if t <= upper:
            return band
    raise AssertionError("unreachable")  # pragma: no cover


def dlqi_improved(baseline: int, current: int, *, mcid: int = DLQI_MCID) -> bool:
    """True when DLQI fell by at least ``mcid`` points (default 4, Basra 2015; NICE TA180: 5)."""
    b = validate_dlqi_total(baseline, field="baseline")
    c = validate_dlqi_total(current, field="current")
    m = check_int("mcid", mcid, 1, DLQI_MAX)
    return b - c >= m

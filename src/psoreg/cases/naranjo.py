"""The Naranjo adverse drug reaction probability scale, answered item by item.

Source: Naranjo et al., *Clin Pharmacol Ther* 1981;30:239 (table reproduced in PMC5774610), as
transcribed in ``clinical-facts.md`` §5. Ten questions, each answered yes / no / don't know,
with the points below; the total runs from -4 to +13 and is banded **>=9 definite, 5-8
probable, 1-4 possible, <=0 doubtful**. Balak (*Psoriasis Targets Ther* 2017) suggests Naranjo
for drug-induced psoriasis (clinical-facts §5).

The answers are stored; the score, category and the reason (which answers gave which points)
are always computed from them, so a stored assessment cannot disagree with itself. On input,
a ``score`` or ``category`` given next to the answers is checked against them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field, field_validator, model_validator

from psoreg.errors import InvalidValue

__all__ = [
    "NARANJO_ITEMS",
    "Answer",
    "NaranjoAssessment",
    "NaranjoCategory",
    "NaranjoItem",
    "naranjo_category",
    "parse_answer",
]


class Answer(StrEnum):
    yes = "yes"
    no = "no"
    unknown = "unknown"  # "don't know"


_ANSWER_WORDS = {
    "yes": Answer.yes, "y": Answer.yes, "true": Answer.yes,
    "no": Answer.no, "n": Answer.no, "false": Answer.no,
    "unknown": Answer.unknown, "don't know": Answer.unknown, "dont know": Answer.unknown,
    "do not know": Answer.unknown, "dk": Answer.unknown, "not known": Answer.unknown,
    "?": Answer.unknown,
}  # fmt: skip


def parse_answer(value: object, field: str) -> Answer:
    """yes / no / unknown (also y, n, true/false, "don't know", dk)."""
    if isinstance(value, Answer):
        return value
    if isinstance(value, bool):
        return Answer.yes if value else Answer.no
    if isinstance(value, str) and value.strip().lower().replace("’", "'") in _ANSWER_WORDS:
        return _ANSWER_WORDS[value.strip().lower().replace("’", "'")]
    raise InvalidValue(field, value, "yes, no or unknown (don't know)")


@dataclass(frozen=True)
class NaranjoItem:
    """One question: its number, field name, wording and the points for each answer."""

    number: int
    key: str
    question: str
    yes: int
    no: int
    unknown: int = 0
    #: Short phrases used in the reason, for a yes and a no answer.
    said_yes: str = ""
    said_no: str = ""

    def points(self, answer: Answer) -> int:
        return {Answer.yes: self.yes, Answer.no: self.no, Answer.unknown: self.unknown}[answer]


#: The ten questions with their points (clinical-facts §5).
NARANJO_ITEMS: tuple[NaranjoItem, ...] = (
    NaranjoItem(1, "previous_reports", "Are there previous conclusive reports on this reaction?",
                1, 0, said_yes="previous conclusive reports",
                said_no="no previous conclusive reports"),
    NaranjoItem(2, "after_drug", "Did the adverse event appear after the suspected drug was "
                "given?", 2, -1, said_yes="appeared after the drug was given",
                said_no="did not appear after the drug was given"),
    NaranjoItem(3, "improved_on_withdrawal", "Did the adverse reaction improve when the drug "
                "was discontinued or a specific antagonist was given?", 1, 0,
                said_yes="improved on withdrawal", said_no="did not improve on withdrawal"),
    NaranjoItem(4, "reappeared_on_readministration", "Did the adverse reaction reappear when "
                "the drug was re-administered?", 2, -1,
                said_yes="reappeared on re-administration",
                said_no="did not reappear on re-administration"),
    NaranjoItem(5, "alternative_causes", "Are there alternative causes (other than the drug) "
                "that could on their own have caused the reaction?", -1, 2,
                said_yes="alternative causes could explain it",
                said_no="no alternative causes"),
    NaranjoItem(6, "placebo_reaction", "Did the reaction reappear when a placebo was given?",
                -1, 1, said_yes="reappeared on placebo", said_no="did not reappear on placebo"),
    NaranjoItem(7, "toxic_concentration", "Was the drug detected in the blood (or other "
                "fluids) in concentrations known to be toxic?", 1, 0,
                said_yes="toxic drug concentration", said_no="no toxic drug concentration"),
    NaranjoItem(8, "dose_response", "Was the reaction more severe when the dose was increased, "
                "or less severe when the dose was decreased?", 1, 0,
                said_yes="dose-related severity", said_no="no dose relationship"),
    NaranjoItem(9, "previous_similar_reaction", "Did the patient have a similar reaction to the "
                "same or similar drugs in any previous exposure?", 1, 0,
                said_yes="similar reaction on previous exposure",
                said_no="no similar reaction on previous exposure"),
    NaranjoItem(10, "objective_evidence", "Was the adverse event confirmed by any objective "
                "evidence?", 1, 0, said_yes="confirmed by objective evidence",
                said_no="no objective evidence"),
)  # fmt: skip

MIN_SCORE = sum(min(i.yes, i.no, i.unknown) for i in NARANJO_ITEMS)  # -4
MAX_SCORE = sum(max(i.yes, i.no, i.unknown) for i in NARANJO_ITEMS)  # 13


class NaranjoCategory(StrEnum):
    definite = "definite"
    probable = "probable"
    possible = "possible"
    doubtful = "doubtful"


def naranjo_category(score: int) -> NaranjoCategory:
    """>=9 definite; 5-8 probable; 1-4 possible; <=0 doubtful (Naranjo 1981)."""
    if isinstance(score, bool) or not isinstance(score, int) or not MIN_SCORE <= score <= MAX_SCORE:
        raise InvalidValue("naranjo.score", score, f"an integer from {MIN_SCORE} to {MAX_SCORE}")
    if score >= 9:
        return NaranjoCategory.definite
    if score >= 5:
        return NaranjoCategory.probable
    if score >= 1:
        return NaranjoCategory.possible
    return NaranjoCategory.doubtful


class NaranjoAssessment(BaseModel):
    """The ten answers (unanswered = unknown, 0 points) and what they add up to."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    previous_reports: Answer = Answer.unknown
    after_drug: Answer = Answer.unknown
    improved_on_withdrawal: Answer = Answer.unknown
    reappeared_on_readministration: Answer = Answer.unknown
    alternative_causes: Answer = Answer.unknown
    placebo_reaction: Answer = Answer.unknown
    toxic_concentration: Answer = Answer.unknown
    dose_response: Answer = Answer.unknown
    previous_similar_reaction: Answer = Answer.unknown
    objective_evidence: Answer = Answer.unknown

    @field_validator("*", mode="before")
    @classmethod
    def _answer(cls, value: object, info: Any) -> Answer:
        if value is None:
            return Answer.unknown
        return parse_answer(value, f"naranjo.{info.field_name}")

    @model_validator(mode="before")
    @classmethod
    def _check_recorded(cls, data: Any) -> Any:
        """Drop a recorded score/category/reason after checking it against the answers."""
        if not isinstance(data, dict) or not ({"score", "category", "reason"} & data.keys()):
            return data
        data = dict(data)
        recorded = {k: data.pop(k) for k in ("score", "category", "reason") if k in data}
        answers = cls(**data)
        if (
            "score" in recorded
            and recorded["score"] not in (None, "")
            and (_as_int(recorded["score"]) != answers.score)
        ):
            raise InvalidValue(
                "naranjo.score", recorded["score"], f"{answers.score}, the sum of the answers"
            )
        category = recorded.get("category")
        if category not in (None, "") and str(category).strip().lower() != answers.category:
            raise InvalidValue(
                "naranjo.category", category, f"{answers.category.value}, from the answers"
            )
        return data

    def answers(self) -> dict[str, Answer]:
        """Answers by item key, in questionnaire order."""
        return {item.key: getattr(self, item.key) for item in NARANJO_ITEMS}

    def item_points(self) -> list[tuple[NaranjoItem, Answer, int]]:
        """(item, answer, points) for each of the ten questions."""
        return [(i, getattr(self, i.key), i.points(getattr(self, i.key))) for i in NARANJO_ITEMS]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def score(self) -> int:
        return sum(points for _, _, points in self.item_points())

    @computed_field  # type: ignore[prop-decorator]
    @property
    def category(self) -> NaranjoCategory:
        return naranjo_category(self.score)

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason(self) -> str:
        """E.g. ``"probable (score 6): appeared after the drug was given (+2); ..."``."""
        parts = []
        for item, answer, points in self.item_points():
            if answer is Answer.unknown:
                continue
            phrase = item.said_yes if answer is Answer.yes else item.said_no
            parts.append(f"{phrase} ({points:+d})")
        unknown = [str(i.number) for i, a, _ in self.item_points() if a is Answer.unknown]
        if unknown:
            parts.append(f"unknown: item{'s' if len(unknown) > 1 else ''} {', '.join(unknown)} (0)")
        return f"{self.category.value} (score {self.score}): " + "; ".join(parts)

    @property
    def answered(self) -> bool:
        """True if at least one item is answered yes or no."""
        return any(a is not Answer.unknown for a in self.answers().values())


def _as_int(value: object) -> int | None:
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return int(number) if number.is_integer() else None

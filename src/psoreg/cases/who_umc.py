"""The WHO-UMC system for standardised case causality assessment, answered item by item.

Source: the Uppsala Monitoring Centre document, reproduced in PMC6039921 Box 2 and transcribed in
``clinical-facts.md`` §5:

* **Certain** - plausible time relationship; cannot be explained by disease or other drugs;
  plausible response to withdrawal; event definitive pharmacologically or phenomenologically;
  rechallenge satisfactory, if necessary.
* **Probable/Likely** - reasonable time relationship; unlikely to be due to disease or other
  drugs; clinically reasonable response to withdrawal; rechallenge not required.
* **Possible** - reasonable time relationship; could also be explained by disease or other
  drugs; information on withdrawal may be lacking or unclear.
* **Unlikely** - time relationship makes a causal link improbable (but not impossible); disease
  or other drugs provide plausible explanations.
* **Conditional/Unclassified** - more data needed, or additional data under examination.
* **Unassessable/Unclassifiable** - information insufficient or contradictory, and cannot be
  supplemented or verified.

The UMC text lists criteria, not an algorithm. :meth:`WhoUmcAssessment.evaluate` applies them
from the bottom of the table up (information first, then time, then alternative explanations,
then withdrawal, then the "certain" extras), and returns the category with the criteria that
put the case there. Two points the UMC text does not settle are decided here and stated in the
reason: an unknown time relationship makes the case *unassessable*; a negative rechallenge or
no improvement on withdrawal keeps the case at *possible*.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, computed_field, field_validator, model_validator

from psoreg.cases.naranjo import Answer, parse_answer
from psoreg.cases.vocab import ChallengeResult, parse_choice
from psoreg.errors import InvalidValue

__all__ = [
    "AlternativeExplanation",
    "Information",
    "TimeRelationship",
    "WHO_UMC_QUESTIONS",
    "WhoUmcAssessment",
    "WhoUmcCategory",
]


class WhoUmcCategory(StrEnum):
    certain = "certain"
    probable = "probable/likely"
    possible = "possible"
    unlikely = "unlikely"
    conditional = "conditional/unclassified"
    unassessable = "unassessable/unclassifiable"


class TimeRelationship(StrEnum):
    plausible = "plausible"  # plausible / reasonable time relationship to drug intake
    improbable = "improbable"  # makes a relationship improbable (but not impossible)
    unknown = "unknown"


class AlternativeExplanation(StrEnum):
    """Can the event be explained by the disease or other drugs?"""

    excluded = "excluded"  # cannot be explained by disease or other drugs
    unlikely = "unlikely"  # unlikely to be due to disease or other drugs
    possible = "possible"  # could also be explained by disease or other drugs
    plausible = "plausible"  # disease or other drugs provide plausible explanations
    unknown = "unknown"


class Information(StrEnum):
    sufficient = "sufficient"
    pending = "pending"  # more data needed, or additional data under examination
    insufficient = "insufficient"  # insufficient or contradictory; cannot be supplemented


#: field -> (question, allowed answers), for forms and the case-report draft.
WHO_UMC_QUESTIONS: dict[str, tuple[str, str]] = {
    "information": (
        "Is the information sufficient and consistent?",
        "sufficient; pending (more data needed or under examination); insufficient "
        "(insufficient or contradictory, cannot be supplemented or verified)",
    ),
    "time_relationship": (
        "Is the time from drug intake to the event plausible?",
        "plausible; improbable; unknown",
    ),
    "alternative_explanation": (
        "Can the event be explained by the disease or other drugs?",
        "excluded; unlikely; possible; plausible; unknown",
    ),
    "withdrawal": (
        "Response to withdrawal (dechallenge)?",
        "positive (clinically reasonable improvement); negative; not done; unknown",
    ),
    "definitive": (
        "Is the event definitive pharmacologically or phenomenologically?",
        "yes; no; unknown",
    ),
    "rechallenge": (
        "Rechallenge result?",
        "positive; negative; not done; unknown",
    ),
}

_TIME_WORDS = {"yes": "plausible", "reasonable": "plausible", "no": "improbable"}
_ALT_WORDS = {"none": "excluded", "no": "excluded", "could": "possible", "likely": "plausible"}


class WhoUmcAssessment(BaseModel):
    """The answers to the WHO-UMC criteria; ``category`` and ``reason`` follow from them."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    information: Information = Information.sufficient
    time_relationship: TimeRelationship = TimeRelationship.unknown
    alternative_explanation: AlternativeExplanation = AlternativeExplanation.unknown
    withdrawal: ChallengeResult = ChallengeResult.unknown
    definitive: Answer = Answer.unknown
    rechallenge: ChallengeResult = ChallengeResult.unknown

    @field_validator("*", mode="before")
    @classmethod
    def _parse(cls, value: object, info: Any) -> object:
        name = info.field_name
        field = f"who_umc.{name}"
        if value is None:
            return cls.model_fields[name].default
        if name == "definitive":
            return parse_answer(value, field)
        if isinstance(value, str):
            key = value.strip().lower()
            if name == "time_relationship":
                value = _TIME_WORDS.get(key, value)
            elif name == "alternative_explanation":
                value = _ALT_WORDS.get(key, value)
        enum = {
            "information": Information,
            "time_relationship": TimeRelationship,
            "alternative_explanation": AlternativeExplanation,
            "withdrawal": ChallengeResult,
            "rechallenge": ChallengeResult,
        }[name]
        return parse_choice(enum, field, value)

    @model_validator(mode="before")
    @classmethod
    def _check_recorded(cls, data: Any) -> Any:
        """Drop a recorded category/reason after checking the category against the answers."""
        if not isinstance(data, dict) or not ({"category", "reason"} & data.keys()):
            return data
        data = dict(data)
        category = data.pop("category", None)
        data.pop("reason", None)
        answers = cls(**data)
        if category not in (None, ""):
            given = str(category).strip().lower()
            expected = answers.category
            if given not in {expected.value, *expected.value.split("/")}:
                raise InvalidValue(
                    "who_umc.category", category, f"{expected.value}, from the answers"
                )
        return data

    def evaluate(self) -> tuple[WhoUmcCategory, list[str]]:
        """The category and the criteria (in the UMC's words) that place the case there."""
        c = WhoUmcCategory
        if self.information is Information.insufficient:
            return c.unassessable, [
                "information insufficient or contradictory, and cannot be supplemented or verified"
            ]
        if self.information is Information.pending:
            return c.conditional, [
                "more data are essential for a proper assessment, or additional data are "
                "under examination"
            ]
        if self.time_relationship is TimeRelationship.unknown:
            return c.unassessable, [
                "time relationship to drug intake unknown: information insufficient to assess"
            ]
        alt = self.alternative_explanation
        if self.time_relationship is TimeRelationship.improbable:
            why = ["time to drug intake makes a relationship improbable (but not impossible)"]
            if alt is AlternativeExplanation.plausible:
                why.append("disease or other drugs provide plausible explanations")
            return c.unlikely, why
        if alt is AlternativeExplanation.plausible:
            return c.unlikely, ["disease or other drugs provide plausible explanations"]

        reasons = ["reasonable time relationship to drug intake"]
        if alt in (AlternativeExplanation.possible, AlternativeExplanation.unknown):
            reasons.append(
                "could also be explained by disease or other drugs"
                if alt is AlternativeExplanation.possible
                else "explanation by disease or other drugs not excluded (unknown)"
            )
            reasons.append(self._withdrawal_phrase())
            return c.possible, reasons

        if alt is AlternativeExplanation.excluded:
            reasons.append("cannot be explained by disease or other drugs")
        else:
            reasons.append("unlikely to be due to disease or other drugs")
        if self.withdrawal is not ChallengeResult.positive:
            reasons.append(self._withdrawal_phrase())
            return c.possible, reasons
        reasons.append("clinically reasonable response to withdrawal")
        if self.rechallenge is ChallengeResult.negative:
            reasons.append("but rechallenge negative (the reaction did not recur)")
            return c.possible, reasons
        if (
            alt is AlternativeExplanation.excluded
            and self.definitive is Answer.yes
            and self.rechallenge in (ChallengeResult.positive, ChallengeResult.not_done)
        ):
            reasons.append("event definitive pharmacologically or phenomenologically")
            reasons.append(
                "rechallenge positive"
                if self.rechallenge is ChallengeResult.positive
                else "rechallenge not done (not necessary for a definitive event)"
            )
            return c.certain, reasons
        reasons.append(
            "rechallenge positive"
            if self.rechallenge is ChallengeResult.positive
            else "rechallenge not required"
        )
        return c.probable, reasons

    def _withdrawal_phrase(self) -> str:
        if self.withdrawal is ChallengeResult.negative:
            return "no improvement on withdrawal"
        if self.withdrawal is ChallengeResult.positive:
            return "clinically reasonable response to withdrawal"
        if self.withdrawal is ChallengeResult.not_done:
            return "information on withdrawal lacking (drug not withdrawn)"
        return "information on withdrawal lacking or unclear"

    @computed_field  # type: ignore[prop-decorator]
    @property
    def category(self) -> WhoUmcCategory:
        return self.evaluate()[0]

    @computed_field  # type: ignore[prop-decorator]
    @property
    def reason(self) -> str:
        """E.g. ``"probable/likely: reasonable time relationship to drug intake; ..."``."""
        category, reasons = self.evaluate()
        return f"{category.value}: " + "; ".join(reasons)

"""The case record of a drug-induced or paradoxical psoriasis event.

One model serves a registry patient (built by :func:`psoreg.cases.registry.cases_from_cohort`),
a stand-alone clinic case (a patient treated elsewhere, for another disease) and a published
case of the literature library, so all three can be compared.

Rules:

* **Unknown stays unknown.** Every field the source may not give is optional: ``None`` for a
  value, ``"unknown"`` for a choice (sex, event type, outcome, dechallenge), an empty tuple for a
  list nobody recorded. ``other_triggers`` and ``concomitant_drugs`` tell "none" (``()``) from
  "not known" (``None``).
* **Impossible values are refused with the field named** (pydantic ``ValidationError`` whose
  location is the field; :func:`psoreg.cases.validation.field_errors` turns it into
  ``"field: message"`` lines).
* Suspect drugs come from the catalogue (:func:`psoreg.catalogue.get_drug`; brand names and
  misspellings are normalised). ``drug_stopped``, ``dechallenge`` and ``rechallenge`` concern
  the first (primary) suspect drug.
* Time to onset is stored in days with the unit as reported (:mod:`psoreg.cases.onset`).
* Extent: BSA or the score that fits the morphology - PASI (0-72; plaque), PPPASI (0-72;
  palmoplantar pustulosis), GPPGA (0-4; generalised pustular psoriasis). Ranges from
  clinical-facts §1-2.
* A literature case must say where it came from: ``source_location`` (table/section) and
  ``source_text`` (the sentence or table row, verbatim).
"""

from __future__ import annotations

from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from psoreg.cases.naranjo import NaranjoAssessment
from psoreg.cases.onset import MAX_ONSET_DAYS, TimeUnit, parse_onset, parse_unit
from psoreg.cases.vocab import (
    ChallengeResult,
    EventType,
    ManagementKind,
    Origin,
    Outcome,
    Route,
    parse_choice,
    parse_indication,
)
from psoreg.cases.who_umc import WhoUmcAssessment
from psoreg.catalogue import Drug, get_drug
from psoreg.errors import InvalidValue
from psoreg.model.vocab import (
    PUSTULAR_MORPHOLOGIES,
    Morphology,
    Sex,
    parse_morphology,
    parse_sex,
)

__all__ = ["CaseRecord", "Extent", "SuspectDrug", "Treatment"]

ShortText = Annotated[str, Field(min_length=1, max_length=300)]
LongText = Annotated[str, Field(min_length=1, max_length=4000)]
CaseId = Annotated[str, Field(min_length=1, max_length=80, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")]


class _Record(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _text_tuple(value: object) -> object:
    """A list given as ``"a; b"`` becomes ``("a", "b")``; blanks are dropped."""
    if isinstance(value, str):
        return tuple(x.strip() for x in value.split(";") if x.strip())
    if isinstance(value, list | tuple):
        return tuple(str(x).strip() for x in value if x is not None and str(x).strip())
    return value


class SuspectDrug(_Record):
    """A suspect drug: catalogue name, dose and route as reported (``None`` = not reported)."""

    drug: str
    dose: ShortText | None = None
    route: Route | None = None

    @field_validator("drug", mode="before")
    @classmethod
    def _drug(cls, value: object) -> str:
        if isinstance(value, Drug):
            return value.name
        return get_drug(value).name  # type: ignore[arg-type]

    @field_validator("route", mode="before")
    @classmethod
    def _route(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, str) and value.strip().lower() in {"subcutaneous", "s.c.", "sc"}:
            return Route.subcutaneous
        if isinstance(value, str) and value.strip().lower() in {"intravenous", "i.v.", "iv"}:
            return Route.intravenous
        return parse_choice(Route, "route", value)

    @property
    def catalogue(self) -> Drug:
        """The catalogue entry (class, target, ATC)."""
        return get_drug(self.drug)


def _treatment_fields(text: str) -> dict[str, str | None]:
    kind, _, agent = text.partition(":")
    return {"kind": kind.strip(), "agent": agent.strip() or None}


class Treatment(_Record):
    """One management step for the event: its kind and the agent (e.g. topical corticosteroid)."""

    kind: ManagementKind
    agent: ShortText | None = None

    @field_validator("kind", mode="before")
    @classmethod
    def _kind(cls, value: object) -> ManagementKind:
        return parse_choice(ManagementKind, "management.kind", value)

    @classmethod
    def parse(cls, text: str) -> Treatment:
        """``"topical: corticosteroid"`` -> ``Treatment(kind=topical, agent="corticosteroid")``."""
        return cls(**_treatment_fields(text))

    def __str__(self) -> str:
        if self.agent is None:
            return self.kind.value
        if self.kind is ManagementKind.switch:
            return f"switch to {self.agent}"
        if self.kind in (ManagementKind.topical, ManagementKind.systemic):
            return f"{self.kind.value} {self.agent}"
        return self.agent


class Extent(_Record):
    """How much skin: BSA %, or the score that fits the morphology, or words ("generalised")."""

    bsa_percent: Annotated[float, Field(ge=0, le=100)] | None = None
    pasi: Annotated[float, Field(ge=0, le=72)] | None = None
    pppasi: Annotated[float, Field(ge=0, le=72)] | None = None
    gppga: Annotated[int, Field(ge=0, le=4)] | None = None
    description: ShortText | None = None

    @property
    def known(self) -> bool:
        return any(v is not None for v in self.model_dump().values())

    def __str__(self) -> str:
        parts = []
        if self.bsa_percent is not None:
            parts.append(f"BSA {self.bsa_percent:g}%")
        for name, label in (("pasi", "PASI"), ("pppasi", "PPPASI"), ("gppga", "GPPGA")):
            value = getattr(self, name)
            if value is not None:
                parts.append(f"{label} {value:g}")
        if self.description:
            parts.append(self.description)
        return ", ".join(parts) or "unknown"


def _optional_bool(value: object, field: str) -> object:
    if isinstance(value, str):
        key = value.strip().lower()
        if key in {"", "unknown", "not known", "?"}:
            return None
        if key in {"yes", "y", "true"}:
            return True
        if key in {"no", "n", "false"}:
            return False
        raise InvalidValue(field, value, "yes, no or unknown")
    return value


class CaseRecord(_Record):
    """A drug-induced or paradoxical psoriasis event, with its provenance and causality."""

    # --- identity and provenance -------------------------------------------------------------
    case_id: CaseId
    origin: Origin = Origin.clinic
    study: ShortText | None = None  # display label, e.g. "Gregoriou et al. 2019"
    year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    citation: LongText | None = None
    doi: Annotated[str, Field(pattern=r"^10\.\d{4,9}/\S+$", max_length=200)] | None = None
    source_location: ShortText | None = None  # e.g. "UKMMC case series, Table 3, row 1"
    source_text: LongText | None = None  # the sentence(s) or table row, verbatim
    notes: tuple[LongText, ...] = ()  # transcription notes, conflicts and how they were resolved
    registry_patient_id: ShortText | None = None
    registry_course_id: ShortText | None = None

    # --- patient -----------------------------------------------------------------------------
    age_years: Annotated[float, Field(ge=0, le=120)] | None = None
    sex: Sex = Sex.unknown

    # --- exposure ----------------------------------------------------------------------------
    suspect_drugs: Annotated[tuple[SuspectDrug, ...], Field(min_length=1)]
    indication: str | None = None
    concomitant_drugs: tuple[ShortText, ...] | None = None

    # --- the event ---------------------------------------------------------------------------
    time_to_onset_days: Annotated[float, Field(ge=0, le=MAX_ONSET_DAYS)] | None = None
    time_to_onset_unit: TimeUnit | None = None
    time_to_onset_approximate: bool = False
    time_to_onset_text: ShortText | None = None  # as reported when not a number
    event_type: EventType = EventType.unknown
    morphology: tuple[Morphology, ...] = ()
    event_psoriatic_arthritis: bool | None = None  # the event includes (new/worse) arthritis
    sites: tuple[ShortText, ...] = ()
    presentation: LongText | None = None
    extent: Extent = Extent()
    dermoscopy: LongText | None = None
    histology: LongText | None = None

    # --- history -----------------------------------------------------------------------------
    personal_history_psoriasis: bool | None = None
    pre_existing_phenotype: tuple[Morphology, ...] = ()
    psoriatic_arthritis_history: bool | None = None
    family_history_psoriasis: bool | None = None
    other_triggers: tuple[ShortText, ...] | None = None  # () = none identified

    # --- management and course ---------------------------------------------------------------
    management: tuple[Treatment, ...] = ()
    drug_stopped: bool | None = None
    dechallenge: ChallengeResult = ChallengeResult.unknown
    rechallenge: ChallengeResult = ChallengeResult.unknown
    outcome: Outcome = Outcome.unknown
    outcome_text: LongText | None = None

    # --- causality ---------------------------------------------------------------------------
    naranjo: NaranjoAssessment | None = None
    who_umc: WhoUmcAssessment | None = None

    # ------------------------------------------------------------------------------------------
    @model_validator(mode="before")
    @classmethod
    def _onset_text(cls, data: Any) -> Any:
        """Accept ``time_to_onset: "10 weeks"`` as a shorthand for days + unit."""
        if isinstance(data, dict) and "time_to_onset" in data:
            data = dict(data)
            text = data.pop("time_to_onset")
            if text not in (None, ""):
                if data.get("time_to_onset_days") is not None:
                    raise InvalidValue(
                        "time_to_onset", text, "either time_to_onset or time_to_onset_days"
                    )
                days, unit = parse_onset(str(text))
                data["time_to_onset_days"] = days
                data["time_to_onset_unit"] = unit
                data.setdefault("time_to_onset_approximate", str(text).strip().startswith("~"))
        return data

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, value: object) -> object:
        if value is None:
            return Sex.unknown
        return parse_sex(value) if isinstance(value, str) else value

    @field_validator("indication", mode="before")
    @classmethod
    def _indication(cls, value: object) -> object:
        if value is None or (isinstance(value, str) and value.strip().lower() in {"", "unknown"}):
            return None
        return parse_indication(value)

    @field_validator("time_to_onset_unit", mode="before")
    @classmethod
    def _unit(cls, value: object) -> object:
        if value is None or value == "":
            return None
        return parse_unit(value)

    @field_validator("morphology", "pre_existing_phenotype", mode="before")
    @classmethod
    def _morphology(cls, value: object, info: Any) -> object:
        if value is None:
            return ()
        items = value.split(";") if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            return value
        out = []
        for item in items:
            if isinstance(item, Morphology):
                out.append(item)
            elif str(item).strip():
                try:
                    out.append(parse_morphology(str(item)))
                except ValueError:
                    allowed = "one or more of: " + ", ".join(m.value for m in Morphology)
                    raise InvalidValue(info.field_name, item, allowed) from None
        return tuple(dict.fromkeys(out))

    @field_validator("sites", "notes", mode="before")
    @classmethod
    def _texts(cls, value: object) -> object:
        return () if value is None else _text_tuple(value)

    @field_validator("other_triggers", "concomitant_drugs", mode="before")
    @classmethod
    def _optional_texts(cls, value: object) -> object:
        if isinstance(value, str) and value.strip().lower() in {"none", "none identified"}:
            return ()
        if isinstance(value, str) and value.strip().lower() in {"", "unknown"}:
            return None
        return _text_tuple(value)

    @field_validator("event_type", "dechallenge", "rechallenge", "outcome", "origin", mode="before")
    @classmethod
    def _choice(cls, value: object, info: Any) -> object:
        enum = cls.model_fields[info.field_name].annotation
        if value is None:
            return cls.model_fields[info.field_name].default
        return parse_choice(enum, info.field_name, value)  # type: ignore[arg-type]

    @field_validator(
        "personal_history_psoriasis",
        "psoriatic_arthritis_history",
        "family_history_psoriasis",
        "drug_stopped",
        "event_psoriatic_arthritis",
        mode="before",
    )
    @classmethod
    def _bool(cls, value: object, info: Any) -> object:
        return _optional_bool(value, info.field_name)

    @field_validator("management", mode="before")
    @classmethod
    def _management(cls, value: object) -> object:
        if value is None:
            return ()
        if isinstance(value, str):
            value = [x for x in value.split(";") if x.strip()]
        if isinstance(value, list | tuple):
            return tuple(_treatment_fields(v) if isinstance(v, str) else v for v in value)
        return value

    @field_validator("suspect_drugs", mode="before")
    @classmethod
    def _drugs(cls, value: object) -> object:
        if isinstance(value, str):
            value = [x for x in value.split(";") if x.strip()]
        if isinstance(value, list | tuple):
            return tuple({"drug": v} if isinstance(v, str | Drug) else v for v in value)
        return value

    @model_validator(mode="after")
    def _consistent(self) -> Self:
        if self.time_to_onset_unit is not None and self.time_to_onset_days is None:
            raise ValueError("time_to_onset_unit: given without time_to_onset_days")
        if self.time_to_onset_approximate and self.time_to_onset_days is None:
            raise ValueError("time_to_onset_approximate: given without time_to_onset_days")
        challenged = (ChallengeResult.positive, ChallengeResult.negative)
        if self.drug_stopped is False and self.dechallenge in challenged:
            raise ValueError(
                f"dechallenge: {self.dechallenge.value} needs the drug to have been stopped, "
                "but drug_stopped is no"
            )
        if self.drug_stopped is False and self.rechallenge in challenged:
            raise ValueError(
                f"rechallenge: {self.rechallenge.value} needs the drug to have been stopped "
                "and restarted, but drug_stopped is no"
            )
        if self.personal_history_psoriasis is False and self.event_type in (
            EventType.worsening,
            EventType.phenotype_change,
            EventType.exacerbation,
        ):
            raise ValueError(
                f"event_type: {self.event_type.value} needs pre-existing psoriasis, but "
                "personal_history_psoriasis is no"
            )
        if self.personal_history_psoriasis is False and self.pre_existing_phenotype:
            raise ValueError("pre_existing_phenotype: given, but personal_history_psoriasis is no")
        if (
            self.event_type is EventType.new_onset
            and self.personal_history_psoriasis is True
            and not self.event_psoriatic_arthritis
        ):
            raise ValueError(
                "event_type: new-onset psoriasis, but personal_history_psoriasis is yes"
            )
        morph = set(self.morphology)
        if self.extent.pppasi is not None and Morphology.palmoplantar_pustular not in morph:
            raise ValueError(
                "extent.pppasi: PPPASI scores palmoplantar pustulosis; add 'palmoplantar "
                "pustular' to morphology or give BSA instead"
            )
        if self.extent.gppga is not None and Morphology.generalised_pustular not in morph:
            raise ValueError(
                "extent.gppga: GPPGA grades generalised pustular psoriasis; add 'generalised "
                "pustular' to morphology or give BSA instead"
            )
        if self.origin is Origin.literature:
            for name in ("study", "source_location", "source_text"):
                if getattr(self, name) is None:
                    raise ValueError(f"{name}: required for a literature case (where it came from)")
        return self

    # ------------------------------------------------------------------------------------------
    @property
    def primary_drug(self) -> SuspectDrug:
        """The first suspect drug (the one ``drug_stopped`` and the challenges refer to)."""
        return self.suspect_drugs[0]

    @property
    def drug_names(self) -> tuple[str, ...]:
        return tuple(d.drug for d in self.suspect_drugs)

    @property
    def drug_classes(self) -> tuple[str, ...]:
        return tuple(dict.fromkeys(d.catalogue.drug_class for d in self.suspect_drugs))

    @property
    def pustular(self) -> bool:
        return any(m in PUSTULAR_MORPHOLOGIES for m in self.morphology)

    @property
    def label(self) -> str:
        """The study name for a table, else the case id."""
        return self.study or self.case_id

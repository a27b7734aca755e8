"""Validated domain records: what a clinic records about a patient on biologic therapy.

Every record is a pydantic model; impossible values are rejected at construction with the field
named and the allowed range given (pydantic's own messages: ``"week: Input should be greater
than or equal to 0"``). Weeks are weeks from the first dose of the course (week 0); a date may be
given instead where the record has one, and is converted to weeks by the import layer.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Self

from pydantic import (
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    field_validator,
    model_validator,
)

from psoreg.model.vocab import (
    EventKind,
    Morphology,
    Sex,
    StopReason,
    parse_morphology,
    parse_sex,
)

Week = Annotated[float, Field(ge=0, le=5200, description="weeks from the first dose (0–5200)")]
Percent = Annotated[float, Field(ge=0, le=100)]
PasiTotal = Annotated[float, Field(ge=0, le=72, description="PASI total, 0–72")]
Text = Annotated[str, Field(min_length=1, max_length=2000)]


class Record(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, frozen=True)


def _drug_name(value: str) -> str:
    from psoreg.catalogue import get_drug  # the catalogue names the allowed drugs

    return get_drug(value).name


def _morphologies(value: object) -> tuple[Morphology, ...]:
    if value is None:
        return ()
    items = value.split(";") if isinstance(value, str) else list(value)  # type: ignore[arg-type]
    return tuple(
        m if isinstance(m, Morphology) else parse_morphology(str(m))
        for m in items
        if str(m).strip()
    )


#: Morphologies from a ';'-separated string or a list, aliases such as GPP resolved.
Morphologies = Annotated[tuple[Morphology, ...], BeforeValidator(_morphologies)]


class PriorTherapy(Record):
    """A therapy before the course: phototherapy or a conventional systemic, and why it stopped."""

    agent: Text
    stop_reason: StopReason | None = None
    detail: str | None = None


class Patient(Record):
    """A patient, known only by a pseudonymous id."""

    patient_id: Annotated[str, Field(min_length=1, max_length=64, pattern=r"^\S(.*\S)?$")]
    #: the registry's site (centre) the patient belongs to, for grouping by site
    site: Annotated[str, Field(min_length=1, max_length=64)] | None = None
    sex: Sex = Sex.unknown
    birth_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    age_years: Annotated[float, Field(ge=0, le=120)] | None = None
    ethnicity: str | None = None
    weight_kg: Annotated[float, Field(gt=0, le=400)] | None = None
    phenotypes: Morphologies = ()
    phenotype_history: str | None = None  # e.g. "pustular then plaque"
    onset_year: Annotated[int, Field(ge=1900, le=2100)] | None = None
    disease_duration_years: Annotated[float, Field(ge=0, le=120)] | None = None
    psoriatic_arthritis: bool | None = None
    comorbidities: tuple[str, ...] = ()
    biologic_naive: bool | None = None
    prior_phototherapy: tuple[PriorTherapy, ...] = ()
    prior_systemics: tuple[PriorTherapy, ...] = ()
    had_prior_phototherapy: bool | None = None

    @field_validator("sex", mode="before")
    @classmethod
    def _sex(cls, v: object) -> object:
        return parse_sex(v) if isinstance(v, str) else v

    @model_validator(mode="after")
    def _onset_after_birth(self) -> Self:
        if self.birth_year and self.onset_year and self.onset_year < self.birth_year:
            raise ValueError(
                f"onset_year: {self.onset_year} is before birth_year {self.birth_year}"
            )
        age, years = self.age_years, self.disease_duration_years
        if age is not None and years is not None and years > age:
            raise ValueError(
                f"disease_duration_years: {years:g} years is longer than the patient's age "
                f"({age:g} years)"
            )
        return self


class Course(Record):
    """One course of a biologic: drug, regimen, start, stop and why it stopped.

    ``stop_week``/``stop_date`` empty means the course is ongoing; ``followup_week`` is the last
    time the patient's status is known (the data-collection date for an ongoing course).
    """

    course_id: Annotated[str, Field(min_length=1, max_length=64)]
    patient_id: Annotated[str, Field(min_length=1, max_length=64)]
    drug: str
    regimen: str | None = None
    start_date: dt.date | None = None
    stop_date: dt.date | None = None
    stop_week: Week | None = None
    stop_reason: StopReason | None = None
    followup_week: Week | None = None
    baseline_pasi: PasiTotal | None = None
    baseline_dlqi: Annotated[int, Field(ge=0, le=30)] | None = None
    next_treatment: str | None = None

    @field_validator("drug")
    @classmethod
    def _drug(cls, v: str) -> str:
        return _drug_name(v)

    @model_validator(mode="after")
    def _stop_consistent(self) -> Self:
        if self.start_date and self.stop_date and self.stop_date < self.start_date:
            raise ValueError(f"stop_date: {self.stop_date} is before start_date {self.start_date}")
        if self.stop_reason is not None and self.stop_week is None and self.stop_date is None:
            raise ValueError("stop_reason: given for a course with no stop_week or stop_date")
        if (
            self.followup_week is not None
            and self.stop_week is not None
            and self.followup_week < self.stop_week
        ):
            raise ValueError(
                f"followup_week: {self.followup_week} is before stop_week {self.stop_week}"
            )
        return self

    @property
    def ongoing(self) -> bool:
        return self.stop_week is None and self.stop_date is None


class DoseAdministration(Record):
    course_id: str
    week: Week | None = None
    date: dt.date | None = None
    dose_mg: Annotated[float, Field(gt=0, le=10000)]

    @model_validator(mode="after")
    def _when(self) -> Self:
        if self.week is None and self.date is None:
            raise ValueError("week: give the week or the date of the dose")
        return self


class Assessment(Record):
    """A visit: PASI (total, or derived from components by :mod:`psoreg.scores`), BSA, DLQI, PGA."""

    course_id: str | None = None
    patient_id: str | None = None
    week: Week | None = None
    date: dt.date | None = None
    pasi: PasiTotal | None = None
    bsa: Percent | None = None
    dlqi: Annotated[int, Field(ge=0, le=30)] | None = None
    pga: Annotated[int, Field(ge=0, le=5)] | None = None

    @model_validator(mode="after")
    def _when(self) -> Self:
        if self.week is None and self.date is None:
            raise ValueError("week: give the week or the date of the visit")
        if self.course_id is None and self.patient_id is None:
            raise ValueError("course_id: give the course (or the patient, to match by date)")
        if self.course_id is None and self.date is None:
            raise ValueError("date: a visit matched to its course by patient needs a date")
        return self


class Event(Record):
    """An adverse or paradoxical event during a course (onset week from the first dose)."""

    course_id: str
    kind: EventKind
    week: Week | None = None
    date: dt.date | None = None
    morphology: Morphologies = ()
    sites: str | None = None
    bsa: Percent | None = None
    management: str | None = None
    drug_continued: bool | None = None
    description: str | None = None

    @model_validator(mode="after")
    def _when(self) -> Self:
        if self.week is None and self.date is None:
            raise ValueError("week: give the onset week or date of the event")
        return self


class RelapseEpisode(Record):
    """A relapse after stopping, as the clinician recorded it, with its morphology."""

    course_id: str
    weeks_after_stop: Week | None = None
    date: dt.date | None = None
    morphology: Morphologies = ()
    treatment: str | None = None

    @model_validator(mode="after")
    def _when(self) -> Self:
        if self.weeks_after_stop is None and self.date is None:
            raise ValueError("weeks_after_stop: give the weeks after stopping or the date")
        return self

"""Validation of each record at the boundary, with the domain model and the score calculators.

Each ``check_<table>`` takes the merged, typed values of a record (and its parents) and returns
the values to store, or raises :class:`~psoreg.store.errors.FieldError` naming every offending
field. The domain records of :mod:`psoreg.model` do the range checks; dates are checked against
the patient's birth, the course's start and stop, and today.
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from pydantic import BaseModel, ValidationError

from psoreg.cases.naranjo import NARANJO_ITEMS, NaranjoAssessment
from psoreg.cases.who_umc import WHO_UMC_QUESTIONS, WhoUmcAssessment
from psoreg.errors import InvalidValue
from psoreg.model import (
    Assessment,
    Course,
    DoseAdministration,
    Event,
    Patient,
    RelapseEpisode,
    StopReason,
)
from psoreg.model.vocab import EventKind, Morphology
from psoreg.scores import dlqi, pasi_from_components
from psoreg.store.errors import FieldError
from psoreg.store.models import CourseRow, PatientRow

REGIONS = ("head", "upper_limbs", "trunk", "lower_limbs")
SIGNS = ("erythema", "induration", "desquamation")
PASI_FIELDS = tuple(f"{r}_{f}" for r in REGIONS for f in (*SIGNS, "area_percent"))
DLQI_FIELDS = tuple(f"dlqi_{n}" for n in range(1, 11))
EVENT_COLUMNS = (
    "kind",
    "date",
    "morphology",
    "sites",
    "bsa",
    "management",
    "drug_continued",
    "description",
)
#: causality answers of an event, item by item (psoreg.cases.naranjo / psoreg.cases.who_umc)
NARANJO_FIELDS = tuple(f"naranjo_{i.key}" for i in NARANJO_ITEMS)
WHO_UMC_FIELDS = tuple(f"who_umc_{k}" for k in WHO_UMC_QUESTIONS)

_PREFIX = re.compile(r"^(?:Value error, )?([a-z_]+): (.*)$", re.S)


def model_errors(exc: ValidationError, rename: dict[str, str] | None = None) -> FieldError:
    """A pydantic error as a :class:`FieldError` keyed by the field the user knows."""
    rename = rename or {}
    errors: dict[str, str] = {}
    for e in exc.errors():
        msg = str(e["msg"])
        field = str(e["loc"][0]) if e["loc"] else ""
        if m := _PREFIX.match(msg):
            field, msg = m.group(1), m.group(2)
        elif msg.startswith("Value error, "):
            msg = msg.removeprefix("Value error, ")
        field = rename.get(field, field) or "record"
        errors.setdefault(field, msg)
    return FieldError(errors)


def build(model: type[BaseModel], values: dict[str, Any], rename: dict | None = None) -> Any:
    """Construct ``model`` from the non-empty ``values``, converting errors to FieldError."""
    try:
        return model(**{k: v for k, v in values.items() if v is not None})
    except ValidationError as exc:
        raise model_errors(exc, rename) from None
    except InvalidValue as exc:
        raise FieldError({exc.field: f"got {exc.value!r}; expected {exc.allowed}"}) from None


def weeks_between(start: dt.date, when: dt.date) -> float:
    """Weeks from ``start`` to ``when`` (negative before it)."""
    return (when - start).days / 7


def _not_future(field: str, d: dt.date | None, errors: dict[str, str]) -> None:
    if d is not None and d > dt.date.today():
        errors.setdefault(field, f"{d} is in the future")


def _after_birth(field: str, d: dt.date | None, patient: PatientRow, errors: dict) -> None:
    if d is None:
        return
    if patient.birth_date is not None and d < patient.birth_date:
        errors.setdefault(field, f"{d} is before the patient's birth ({patient.birth_date})")
    elif patient.birth_year is not None and d.year < patient.birth_year:
        errors.setdefault(field, f"{d} is before the patient's birth year {patient.birth_year}")


def _raise(errors: dict[str, str]) -> None:
    if errors:
        raise FieldError(errors)


def _enum(field: str, value: Any, enum: type, errors: dict[str, str]) -> None:
    if value is None:
        return
    try:
        enum(value)
    except ValueError:
        allowed = ", ".join(m.value for m in enum)
        errors.setdefault(field, f"got {value!r}; expected one of: {allowed}")


def _morphology(field: str, value: str | None, errors: dict[str, str]) -> None:
    if value is None:
        return
    for part in value.split(";"):
        if part.strip():
            try:
                build(Event, {"course_id": "x", "kind": "adverse", "week": 0, "morphology": part})
            except FieldError:
                allowed = ", ".join(m.value for m in Morphology)
                errors.setdefault(field, f"unknown morphology {part.strip()!r}; one of: {allowed}")


def check_patient(v: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not v.get("patient_id"):
        errors["patient_id"] = "required"
    _not_future("birth_date", v.get("birth_date"), errors)
    if v.get("birth_date") is not None:
        v["birth_year"] = v["birth_date"].year
    _raise(errors)
    p = build(
        Patient,
        {
            "patient_id": v["patient_id"],
            "sex": v.get("sex") or "unknown",
            "birth_year": v.get("birth_year"),
            "ethnicity": v.get("ethnicity"),
            "weight_kg": v.get("weight_kg"),
            "phenotypes": v.get("phenotypes"),
            "phenotype_history": v.get("phenotype_history"),
            "onset_year": v.get("onset_year"),
            "psoriatic_arthritis": v.get("psoriatic_arthritis"),
            "biologic_naive": v.get("biologic_naive"),
            "had_prior_phototherapy": v.get("prior_phototherapy"),
        },
        {"had_prior_phototherapy": "prior_phototherapy"},
    )
    v["sex"] = p.sex.value
    if p.phenotypes:
        v["phenotypes"] = ";".join(m.value for m in p.phenotypes)
    return v


def check_course(v: dict[str, Any], patient: PatientRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("start_date") is None:
        errors["start_date"] = "required"
    if not v.get("drug"):
        errors["drug"] = "required"
    for f in ("start_date", "stop_date", "followup_date"):
        _after_birth(f, v.get(f), patient, errors)
        _not_future(f, v.get(f), errors)
    _enum("stop_reason", v.get("stop_reason"), StopReason, errors)
    if v.get("stop_date") is not None and not v.get("stop_reason"):
        errors.setdefault("stop_reason", "give the reason the course stopped")
    _raise(errors)
    c = build(
        Course,
        {
            "course_id": v["course_id"],
            "patient_id": patient.patient_id,
            "drug": v["drug"],
            "regimen": v.get("regimen"),
            "start_date": v["start_date"],
            "stop_date": v.get("stop_date"),
            "stop_reason": v.get("stop_reason"),
            "baseline_pasi": v.get("baseline_pasi"),
            "baseline_dlqi": v.get("baseline_dlqi"),
            "next_treatment": v.get("next_treatment"),
        },
    )
    fu = v.get("followup_date")
    if fu is not None and fu < v["start_date"]:
        raise FieldError({"followup_date": f"{fu} is before start_date {v['start_date']}"})
    v["drug"] = c.drug
    return v


def _in_course(field: str, d: dt.date | None, course: CourseRow, errors: dict) -> None:
    _after_birth(field, d, course.patient, errors)
    _not_future(field, d, errors)


def check_dose(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = "required"
    if v.get("dose_mg") is None:
        errors["dose_mg"] = "required"
    _in_course("date", v.get("date"), course, errors)
    if v.get("date") and v["date"] < course.start_date:
        errors.setdefault("date", f"{v['date']} is before the course start {course.start_date}")
    if v.get("date") and course.stop_date and v["date"] > course.stop_date:
        errors.setdefault("date", f"{v['date']} is after the course stopped ({course.stop_date})")
    _raise(errors)
    build(
        DoseAdministration,
        {"course_id": course.course_id, "date": v["date"], "dose_mg": v["dose_mg"]},
    )
    return v


def pasi_total(components: dict[str, Any]) -> float:
    """PASI from the grid's 16 fields (errors name the field, e.g. ``trunk_erythema``).

    Values out of range are reported first; then any field left blank.
    """
    flat: dict[str, Any] = {}
    for k in PASI_FIELDS:
        val = components.get(k)
        if val is not None and not k.endswith("percent") and float(val) == int(val):
            val = int(val)
        flat[k] = val
    try:
        total = pasi_from_components(**{k: 0 if x is None else x for k, x in flat.items()}).total
    except InvalidValue as exc:
        raise FieldError({exc.field: f"got {exc.value!r}; expected {exc.allowed}"}) from None
    missing = [k for k, x in flat.items() if x is None]
    if missing:
        raise FieldError({missing[0]: "required when the PASI grid is used"})
    return float(total)


def dlqi_total(answers: list[Any]) -> int:
    """DLQI total from 10 answers (Cardiff rules); refused when two or more are unanswered."""
    try:
        result = dlqi(answers)
    except InvalidValue as exc:
        field = exc.field.replace("dlqi.", "dlqi_") if exc.field.startswith("dlqi.") else "dlqi"
        raise FieldError({field: f"got {exc.value!r}; expected {exc.allowed}"}) from None
    if result.total is None:
        raise FieldError({"dlqi": result.reason or "not scored"})
    return result.total


def check_visit(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = "required"
    _in_course("date", v.get("date"), course, errors)
    _raise(errors)
    comps = v.get("pasi_components")
    if comps:
        total = pasi_total(comps)
        if v.get("pasi") is not None and abs(v["pasi"] - total) > 0.05:
            raise FieldError({"pasi": f"total {v['pasi']:g} differs from the grid's {total:.1f}"})
        v["pasi"] = round(total, 1)
    answers = v.get("dlqi_answers")
    if answers:
        v["dlqi"] = dlqi_total(answers)
    week = weeks_between(course.start_date, v["date"])
    build(
        Assessment,
        {
            "course_id": course.course_id,
            "date": v["date"],
            "week": week if week >= 0 else None,
            "pasi": v.get("pasi"),
            "bsa": v.get("bsa"),
            "dlqi": v.get("dlqi"),
            "pga": v.get("pga"),
        },
    )
    return v


def check_event(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = "required"
    if not v.get("kind"):
        errors["kind"] = "required (adverse or paradoxical)"
    _enum("kind", v.get("kind"), EventKind, errors)
    _in_course("date", v.get("date"), course, errors)
    if v.get("date") and v["date"] < course.start_date:
        errors.setdefault("date", f"{v['date']} is before the course start {course.start_date}")
    _morphology("morphology", v.get("morphology"), errors)
    _raise(errors)
    e = build(
        Event,
        {
            "course_id": course.course_id,
            "kind": v["kind"],
            "date": v["date"],
            "week": weeks_between(course.start_date, v["date"]),
            "morphology": v.get("morphology"),
            "sites": v.get("sites"),
            "bsa": v.get("bsa"),
            "management": v.get("management"),
            "drug_continued": v.get("drug_continued"),
            "description": v.get("description"),
        },
    )
    v["morphology"] = ";".join(m.value for m in e.morphology) or None
    for column, model in (("naranjo", NaranjoAssessment), ("who_umc", WhoUmcAssessment)):
        if v.get(column):
            v[column] = causality(column, model, v[column])
    return v


def causality(column: str, model: type[BaseModel], answers: dict[str, Any]) -> dict[str, str]:
    """Answers checked with the causality model, stored by key as their canonical words."""
    try:
        checked = model(**answers)
    except InvalidValue as exc:  # field "naranjo.after_drug" -> "naranjo_after_drug"
        raise FieldError(
            {exc.field.replace(".", "_"): f"got {exc.value!r}; expected {exc.allowed}"}
        ) from None
    except ValidationError as exc:
        raise model_errors(exc, {k: f"{column}_{k}" for k in answers}) from None
    return {k: str(getattr(checked, k).value) for k in answers}


def check_relapse(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = "required"
    if course.stop_date is None:
        errors["course"] = "the course has not stopped: stop it before recording a relapse"
    _in_course("date", v.get("date"), course, errors)
    if v.get("date") and course.stop_date and v["date"] < course.stop_date:
        errors.setdefault("date", f"{v['date']} is before the course stopped ({course.stop_date})")
    _morphology("morphology", v.get("morphology"), errors)
    _raise(errors)
    r = build(
        RelapseEpisode,
        {
            "course_id": course.course_id,
            "date": v["date"],
            "weeks_after_stop": weeks_between(course.stop_date, v["date"]),  # type: ignore[arg-type]
            "morphology": v.get("morphology"),
            "treatment": v.get("treatment"),
        },
    )
    v["morphology"] = ";".join(m.value for m in r.morphology) or None
    return v

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
from psoreg.i18n import _
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
from psoreg.scores._validate import check_int, check_number
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
        raise FieldError(
            {
                exc.field: _("got {value}; expected {allowed}").format(
                    value=repr(exc.value), allowed=exc.allowed
                )
            }
        ) from None


def weeks_between(start: dt.date, when: dt.date) -> float:
    """Weeks from ``start`` to ``when`` (negative before it)."""
    return (when - start).days / 7


def _not_future(field: str, d: dt.date | None, errors: dict[str, str]) -> None:
    if d is not None and d > dt.date.today():
        errors.setdefault(field, _("{date} is in the future").format(date=d))


def _after_birth(field: str, d: dt.date | None, patient: PatientRow, errors: dict) -> None:
    if d is None:
        return
    if patient.birth_date is not None and d < patient.birth_date:
        errors.setdefault(
            field,
            _("{date} is before the patient's birth ({birth})").format(
                date=d, birth=patient.birth_date
            ),
        )
    elif patient.birth_year is not None and d.year < patient.birth_year:
        errors.setdefault(
            field,
            _("{date} is before the patient's birth year {year}").format(
                date=d, year=patient.birth_year
            ),
        )


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
        errors.setdefault(
            field,
            _("got {value}; expected one of: {allowed}").format(value=repr(value), allowed=allowed),
        )


def _morphology(field: str, value: str | None, errors: dict[str, str]) -> None:
    if value is None:
        return
    for part in value.split(";"):
        if part.strip():
            try:
                build(Event, {"course_id": "x", "kind": "adverse", "week": 0, "morphology": part})
            except FieldError:
                allowed = ", ".join(m.value for m in Morphology)
                errors.setdefault(
                    field,
                    _("unknown morphology {value}; one of: {allowed}").format(
                        value=repr(part.strip()), allowed=allowed
                    ),
                )


#: what a patient's consent covers: the code stored, and how forms and exports show it
CONSENT_SCOPES = {
    "research": "Registry and research (analyses, pseudonymised exports)",
    "registry": "Registry only: no research use",
}


def _check_consent(v: dict[str, Any], errors: dict[str, str]) -> None:
    given, withdrawn = v.get("consent_date"), v.get("consent_withdrawn_date")
    _not_future("consent_date", given, errors)
    _not_future("consent_withdrawn_date", withdrawn, errors)
    scope = v.get("consent_scope")
    if scope is not None:
        key = scope.strip().lower()
        match = next((k for k, label in CONSENT_SCOPES.items() if key in (k, label.lower())), None)
        if match is None:
            errors.setdefault(
                "consent_scope",
                _("got {value}; expected one of: {allowed}").format(
                    value=repr(scope), allowed=", ".join(CONSENT_SCOPES)
                ),
            )
        else:
            v["consent_scope"] = match
    if given and withdrawn and withdrawn < given:
        errors.setdefault(
            "consent_withdrawn_date",
            _("{date} is before consent was given ({given})").format(date=withdrawn, given=given),
        )
    born = v.get("birth_date")
    if given and born and given < born:
        errors.setdefault(
            "consent_date",
            _("{date} is before the patient's birth ({birth})").format(date=given, birth=born),
        )


def _collect(errors: dict[str, str], fn: Any, *args: Any, **kw: Any) -> Any:
    """Run a check; its problems join ``errors`` (so every problem is reported at once)."""
    try:
        return fn(*args, **kw)
    except FieldError as exc:
        for k, msg in exc.errors.items():
            errors.setdefault(k, msg)
        return None


def check_patient(v: dict[str, Any]) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if not v.get("patient_id"):
        errors["patient_id"] = _("required")
    _not_future("birth_date", v.get("birth_date"), errors)
    if v.get("birth_date") is not None:
        year = v.get("birth_year")
        if year is not None and year != v["birth_date"].year:
            errors.setdefault(
                "birth_year", _("{year} differs from the date of birth").format(year=year)
            )
        v["birth_year"] = v["birth_date"].year
    elif v.get("birth_year") is not None and v["birth_year"] > dt.date.today().year:
        errors.setdefault("birth_year", _("{date} is in the future").format(date=v["birth_year"]))
    _check_consent(v, errors)
    p = _collect(
        errors,
        build,
        Patient,
        {
            "patient_id": v.get("patient_id") or "?",
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
    _raise(errors)
    v["sex"] = p.sex.value
    if p.phenotypes:
        v["phenotypes"] = ";".join(m.value for m in p.phenotypes)
    return v


def check_course(v: dict[str, Any], patient: PatientRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("start_date") is None:
        errors["start_date"] = _("required")
    if not v.get("drug"):
        errors["drug"] = _("required")
    for f in ("start_date", "stop_date", "followup_date"):
        _after_birth(f, v.get(f), patient, errors)
        _not_future(f, v.get(f), errors)
    _enum("stop_reason", v.get("stop_reason"), StopReason, errors)
    if v.get("stop_date") is not None and not v.get("stop_reason"):
        errors.setdefault("stop_reason", _("give the reason the course stopped"))
    if v.get("stop_reason") and v.get("stop_date") is None:
        errors.setdefault("stop_date", _("give the date the course stopped (or clear the reason)"))
    fu, start = v.get("followup_date"), v.get("start_date")
    if fu is not None and start is not None and fu < start:
        errors.setdefault(
            "followup_date", _("{date} is before start_date {start}").format(date=fu, start=start)
        )
    given = {
        "course_id": v.get("course_id") or "?",
        "patient_id": patient.patient_id,
        "drug": v.get("drug"),
        "regimen": v.get("regimen"),
        "start_date": start,
        "stop_date": v.get("stop_date"),
        "stop_reason": v.get("stop_reason") if "stop_reason" not in errors else None,
        "baseline_pasi": v.get("baseline_pasi"),
        "baseline_dlqi": v.get("baseline_dlqi"),
        "next_treatment": v.get("next_treatment"),
    }
    c = _collect(errors, build, Course, {k: x for k, x in given.items() if k not in errors})
    _raise(errors)
    v["drug"] = c.drug
    return v


def _in_course(field: str, d: dt.date | None, course: CourseRow, errors: dict) -> None:
    _after_birth(field, d, course.patient, errors)
    _not_future(field, d, errors)


def check_dose(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = _("required")
    if v.get("dose_mg") is None:
        errors["dose_mg"] = _("required")
    _in_course("date", v.get("date"), course, errors)
    if v.get("date") and v["date"] < course.start_date:
        errors.setdefault(
            "date",
            _("{date} is before the course start {start}").format(
                date=v["date"], start=course.start_date
            ),
        )
    if v.get("date") and course.stop_date and v["date"] > course.stop_date:
        errors.setdefault(
            "date",
            _("{date} is after the course stopped ({stop})").format(
                date=v["date"], stop=course.stop_date
            ),
        )
    if v.get("dose_mg") is not None:
        _collect(
            errors,
            build,
            DoseAdministration,
            {"course_id": course.course_id, "date": course.start_date, "dose_mg": v["dose_mg"]},
        )
    _raise(errors)
    return v


def _pasi_component(field: str, value: Any) -> float:
    """One cell of the grid: a sign an integer 0-4, an area a percentage 0-100."""
    try:
        if field.endswith("_area_percent"):
            return check_number(field, value, 0, 100)
        return float(check_int(field, value, 0, 4))
    except InvalidValue as exc:
        raise FieldError(
            {
                field: _("got {value}; expected {allowed}").format(
                    value=_plain_number(value), allowed=exc.allowed
                )
            }
        ) from None


def _plain_number(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def pasi_total(components: dict[str, Any]) -> float:
    """PASI from the grid's 16 fields; every cell out of range and every cell left blank is
    reported at once, each under its own field (e.g. ``trunk_erythema``)."""
    errors: dict[str, str] = {}
    flat: dict[str, Any] = {}
    for k in PASI_FIELDS:
        val = components.get(k)
        if val is None:
            errors[k] = _("required when the PASI grid is used")
            continue
        flat[k] = _collect(errors, _pasi_component, k, val)
    _raise(errors)
    ints = {k: (x if k.endswith("percent") else int(x)) for k, x in flat.items()}
    return float(pasi_from_components(**ints).total)


def dlqi_total(answers: list[Any]) -> int:
    """DLQI total from 10 answers (Cardiff rules); refused when two or more are unanswered.
    Every answer that is not a DLQI answer is reported at once."""
    errors: dict[str, str] = {}
    for i, a in enumerate(answers, start=1):
        if a is None:
            continue
        try:
            dlqi([a if j == i else None for j in range(1, 11)])
        except InvalidValue as exc:
            errors[f"dlqi_{i}"] = _("got {value}; expected {allowed}").format(
                value=repr(exc.value), allowed=exc.allowed
            )
    _raise(errors)
    result = dlqi(answers)
    if result.total is None:
        raise FieldError({"dlqi": result.reason or _("not scored")})
    return result.total


def check_visit(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = _("required")
    _in_course("date", v.get("date"), course, errors)
    comps = v.get("pasi_components")
    if comps:
        total = _collect(errors, pasi_total, comps)
        if total is not None:
            if v.get("pasi") is not None and abs(v["pasi"] - total) > 0.05:
                errors.setdefault(
                    "pasi",
                    _("total {total} differs from the grid's {grid}").format(
                        total=f"{v['pasi']:g}", grid=f"{total:.1f}"
                    ),
                )
            v["pasi"] = round(total, 1)
    answers = v.get("dlqi_answers")
    if answers:
        score = _collect(errors, dlqi_total, answers)
        if score is not None:
            v["dlqi"] = score
    measured = ("pasi", "pasi_components", "bsa", "dlqi", "dlqi_answers", "pga")
    if not errors and all(v.get(k) in (None, {}, []) for k in measured):
        errors["record"] = _(
            "a visit needs at least one measurement: the PASI (grid or total), BSA, sPGA or DLQI"
        )
    week = weeks_between(course.start_date, v["date"]) if v.get("date") else None
    _collect(
        errors,
        build,
        Assessment,
        {
            k: x
            for k, x in {
                "course_id": course.course_id,
                "date": v.get("date"),
                "week": week if week is not None and week >= 0 else None,
                "pasi": v.get("pasi"),
                "bsa": v.get("bsa"),
                "dlqi": v.get("dlqi"),
                "pga": v.get("pga"),
            }.items()
            if k not in errors
        },
    )
    _raise(errors)
    return v


def check_event(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = _("required")
    if not v.get("kind"):
        errors["kind"] = _("required (adverse or paradoxical)")
    _enum("kind", v.get("kind"), EventKind, errors)
    _in_course("date", v.get("date"), course, errors)
    if v.get("date") and v["date"] < course.start_date:
        errors.setdefault(
            "date",
            _("{date} is before the course start {start}").format(
                date=v["date"], start=course.start_date
            ),
        )
    _morphology("morphology", v.get("morphology"), errors)
    when = v.get("date") or course.start_date
    e = _collect(
        errors,
        build,
        Event,
        {
            "course_id": course.course_id,
            "kind": v.get("kind") if "kind" not in errors else "adverse",
            "date": when,
            "week": weeks_between(course.start_date, when),
            "morphology": v.get("morphology") if "morphology" not in errors else None,
            "sites": v.get("sites"),
            "bsa": v.get("bsa"),
            "management": v.get("management"),
            "drug_continued": v.get("drug_continued"),
            "description": v.get("description"),
        },
    )
    for column, model in (("naranjo", NaranjoAssessment), ("who_umc", WhoUmcAssessment)):
        if v.get(column):
            checked = _collect(errors, causality, column, model, v[column])
            if checked is not None:
                v[column] = checked
    _raise(errors)
    v["morphology"] = ";".join(m.value for m in e.morphology) or None
    return v


def causality(column: str, model: type[BaseModel], answers: dict[str, Any]) -> dict[str, str]:
    """Answers checked with the causality model, stored by key as their canonical words."""
    try:
        checked = model(**answers)
    except InvalidValue as exc:  # field "naranjo.after_drug" -> "naranjo_after_drug"
        raise FieldError(
            {
                exc.field.replace(".", "_"): _("got {value}; expected {allowed}").format(
                    value=repr(exc.value), allowed=exc.allowed
                )
            }
        ) from None
    except ValidationError as exc:
        raise model_errors(exc, {k: f"{column}_{k}" for k in answers}) from None
    return {k: str(getattr(checked, k).value) for k in answers}


def check_relapse(v: dict[str, Any], course: CourseRow) -> dict[str, Any]:
    errors: dict[str, str] = {}
    if v.get("date") is None:
        errors["date"] = _("required")
    if course.stop_date is None:
        errors["course"] = _("the course has not stopped: stop it before recording a relapse")
    _in_course("date", v.get("date"), course, errors)
    if v.get("date") and course.stop_date and v["date"] < course.stop_date:
        errors.setdefault(
            "date",
            _("{date} is before the course stopped ({stop})").format(
                date=v["date"], stop=course.stop_date
            ),
        )
    _morphology("morphology", v.get("morphology"), errors)
    if errors:
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

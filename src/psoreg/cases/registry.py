"""Case records from the registry: every paradoxical event entered on a course flows in.

A :class:`~psoreg.cohort.Cohort` holds paradoxical events as rows of ``events`` with
``kind == "paradoxical"``, ``week`` = weeks from the first dose of the course and
``morphology`` ';'-joined. Each becomes a :class:`CaseRecord` (origin ``registry``) with:

* age and sex from ``patients`` (age at the start of the course, as the registry records it);
* the course's drug and regimen as the suspect drug; indication psoriasis (psoreg follows
  patients treated for psoriasis), personal history of psoriasis yes;
* time to onset = ``week`` x 7 days, shown in weeks;
* event type: *phenotype change* if the event has a morphology the patient's recorded phenotype
  history lacks, *worsening* if all its morphologies are already in it, unknown otherwise;
* ``drug_stopped``: yes if the course stopped for a paradoxical event; no if the course went on
  past the event (or is ongoing) and stopped for another reason; unknown otherwise;
* the event's description as the presentation.

Sites, BSA, management and outcome are not columns of the cohort's ``events`` table, so they
stay unknown unless a future schema adds them (``sites``, ``bsa``, ``management`` are read if
present).
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd

from psoreg.cases.coding import code_event_type
from psoreg.cases.record import CaseRecord
from psoreg.cases.vocab import ChallengeResult, EventType, Origin  # noqa: F401
from psoreg.cohort import Cohort
from psoreg.model.vocab import Morphology, parse_morphology

__all__ = ["cases_from_cohort"]


def _value(row: pd.Series | dict[str, Any] | None, key: str) -> Any:
    if row is None or key not in row:
        return None
    value = row[key]
    if value is None or value is pd.NA:
        return None
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def _morphologies(text: Any) -> tuple[Morphology, ...]:
    if not isinstance(text, str):
        return ()
    out = []
    for word in text.replace(" then ", ";").replace("→", ";").split(";"):
        try:
            out.append(parse_morphology(word))
        except ValueError:
            continue
    return tuple(dict.fromkeys(out))


def _event_type(event: tuple[Morphology, ...], history: tuple[Morphology, ...]) -> EventType:
    return code_event_type(event, history)


def _stopped(course: pd.Series | None, week: float | None) -> bool | None:
    stop_week = _value(course, "stop_week")
    reason = _value(course, "stop_reason")
    if reason == "paradoxical event":
        return True
    if course is not None and stop_week is None:
        return False  # ongoing: the drug was continued
    if stop_week is not None and week is not None and stop_week > week:
        return False
    return None


def cases_from_cohort(cohort: Cohort) -> list[CaseRecord]:
    """One :class:`CaseRecord` per paradoxical event of the cohort, in event order."""
    courses = cohort.courses.set_index("course_id", drop=False)
    patients = cohort.patients.set_index("patient_id", drop=False)
    events = cohort.events[cohort.events["kind"] == "paradoxical"]
    out: list[CaseRecord] = []
    counter: dict[str, int] = {}
    for _, event in events.iterrows():
        course_id = str(event["course_id"])
        course = courses.loc[course_id] if course_id in courses.index else None
        pid = _value(course, "patient_id")
        patient = patients.loc[pid] if pid is not None and pid in patients.index else None
        week = _value(event, "week")
        morph = _morphologies(_value(event, "morphology"))
        history = _morphologies(_value(patient, "phenotype_history"))
        continued = _value(event, "drug_continued")
        stopped = (not bool(continued)) if continued is not None else _stopped(course, week)
        counter[course_id] = counter.get(course_id, 0) + 1
        drug: dict[str, Any] = {"drug": _value(course, "drug")}
        if _value(course, "regimen"):
            drug["dose"] = str(_value(course, "regimen"))
        notes = ["From the registry: age is the age at the start of the course."]
        if stopped is False:
            stop_week = _value(course, "stop_week")
            notes.append(
                "The drug was not stopped for the event: the course "
                + ("was ongoing" if stop_week is None else f"continued to week {stop_week:g}")
                + "."
            )
        sites = _value(event, "sites")
        bsa = _value(event, "bsa")
        out.append(
            CaseRecord(
                case_id=f"registry-{course_id}-{counter[course_id]}",
                origin=Origin.registry,
                registry_patient_id=None if pid is None else str(pid),
                registry_course_id=course_id,
                notes=notes,
                age_years=_value(patient, "age_years"),
                sex=_value(patient, "sex"),
                suspect_drugs=[drug],
                indication="psoriasis",
                time_to_onset_days=None if week is None else float(week) * 7,
                time_to_onset_unit=None if week is None else "weeks",
                event_type=_event_type(morph, history),
                morphology=morph,
                sites=sites,
                presentation=_value(event, "description"),
                extent={"bsa_percent": bsa} if bsa is not None else {},
                personal_history_psoriasis=True,
                pre_existing_phenotype=history,
                psoriatic_arthritis_history=_value(patient, "psoriatic_arthritis"),
                management=_value(event, "management"),
                drug_stopped=stopped,
                dechallenge=ChallengeResult.not_done if stopped is False else None,
            )
        )
    return out

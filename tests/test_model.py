"""Domain records refuse impossible values, naming the field."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic import ValidationError

from psoreg.model import Assessment, Course, Event, Patient, RelapseEpisode


def fields(exc: pytest.ExceptionInfo) -> str:
    return str(exc.value)


def test_course_stop_before_start() -> None:
    with pytest.raises(ValidationError) as exc:
        Course(course_id="c", patient_id="p", drug="ustekinumab",
               start_date=dt.date(2024, 1, 1), stop_date=dt.date(2023, 1, 1))  # fmt: skip
    assert "stop_date" in fields(exc) and "before start_date" in fields(exc)


def test_course_drug_must_be_known_and_aliases_resolve() -> None:
    assert Course(course_id="c", patient_id="p", drug="Stelara").drug == "ustekinumab"
    with pytest.raises(ValueError, match="drug"):
        Course(course_id="c", patient_id="p", drug="aspirin")


def test_stop_reason_needs_a_stop_and_followup_not_before_stop() -> None:
    with pytest.raises(ValidationError, match="stop_reason"):
        Course(course_id="c", patient_id="p", drug="adalimumab", stop_reason="inefficacy")
    with pytest.raises(ValidationError, match="followup_week"):
        Course(course_id="c", patient_id="p", drug="adalimumab", stop_week=10, followup_week=5)


@pytest.mark.parametrize(
    ("kw", "field"),
    [({"week": -1}, "week"), ({"week": 4, "pasi": 72.5}, "pasi"), ({"week": 4, "bsa": 101}, "bsa"),
     ({"week": 4, "dlqi": 31}, "dlqi"), ({}, "week")],
)  # fmt: skip
def test_assessment_ranges(kw: dict, field: str) -> None:
    with pytest.raises(ValidationError) as exc:
        Assessment(course_id="c", **kw)
    assert field in fields(exc)


def test_patient_checks() -> None:
    with pytest.raises(ValidationError, match="onset_year"):
        Patient(patient_id="p", birth_year=1990, onset_year=1980)
    with pytest.raises(ValidationError, match="sex"):
        Patient(patient_id="p", sex="robot")
    assert Patient(patient_id="p", sex="female", phenotypes="plaque;GPP").phenotypes[1].value == (
        "generalised pustular")  # fmt: skip


def test_event_and_relapse_need_a_time_and_known_morphology() -> None:
    with pytest.raises(ValidationError, match="week"):
        Event(course_id="c", kind="paradoxical")
    with pytest.raises(ValidationError, match="morphology"):
        Event(course_id="c", kind="paradoxical", week=3, morphology="sparkly")
    with pytest.raises(ValidationError, match="weeks_after_stop"):
        RelapseEpisode(course_id="c")

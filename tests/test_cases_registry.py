"""Paradoxical events entered on registry courses flow into case records."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from psoreg.cases import cases_from_cohort, compare, starter_library
from psoreg.cases.vocab import EventType
from psoreg.cohort import Cohort
from psoreg.io.abstracted import read_abstracted

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "ukmmc-ustekinumab-case-series.csv"


def test_case_series_patient_6_flows_in() -> None:
    cases = cases_from_cohort(read_abstracted(EXAMPLE))
    assert len(cases) == 1  # "Paradoxical event ... was observed in 1 (12.5%) patient"
    case = cases[0]
    assert case.origin.value == "registry"
    assert case.registry_patient_id == "6" and case.registry_course_id == "6-1"
    assert (case.age_years, case.sex.value) == (26, "F")
    assert case.drug_names == ("ustekinumab",)
    assert case.primary_drug.dose == "45 mg weeks 0 and 4 then every 12 weeks"
    assert case.indication == "psoriasis"
    assert case.time_to_onset_days == 168 and case.time_to_onset_unit.value == "weeks"
    assert {m.value for m in case.morphology} == {"pustular", "plaque"}
    assert case.event_type is EventType.phenotype_change  # plaque history, pustules new
    assert case.personal_history_psoriasis is True
    assert [m.value for m in case.pre_existing_phenotype] == ["plaque"]
    assert case.drug_stopped is False  # ustekinumab continued to week 77
    assert case.dechallenge.value == "not done"
    assert "pustules and plaques on trunk" in case.presentation
    # not in the cohort's events table: unknown, not guessed
    assert case.sites == () and case.extent.bsa_percent is None and case.management == ()


def test_registry_case_compares_with_literature() -> None:
    case = cases_from_cohort(read_abstracted(EXAMPLE))[0]
    comp = compare(case, starter_library())
    assert comp.rows[0].time_to_onset == "24 weeks"
    assert len(comp.literature) == 7  # the library's UKMMC entry is a separate record


def _cohort(events: list[dict], courses: list[dict], patients: list[dict]) -> Cohort:
    return Cohort(
        patients=pd.DataFrame(patients),
        courses=pd.DataFrame(courses),
        events=pd.DataFrame(events),
    )


def test_stopped_ongoing_and_adverse_events() -> None:
    cohort = _cohort(
        events=[
            {"course_id": "A-1", "kind": "paradoxical", "week": 10.0, "morphology": "plaque"},
            {"course_id": "A-1", "kind": "adverse", "week": 12.0, "morphology": None},
            {"course_id": "B-1", "kind": "paradoxical", "week": 3.0, "morphology": "guttate"},
            {"course_id": "C-1", "kind": "paradoxical", "week": 20.0, "morphology": None},
        ],
        courses=[
            {
                "course_id": "A-1",
                "patient_id": "A",
                "drug": "secukinumab",
                "stop_week": 11.0,
                "stop_reason": "paradoxical event",
            },
            {"course_id": "B-1", "patient_id": "B", "drug": "adalimumab", "stop_week": None},
            {
                "course_id": "C-1",
                "patient_id": "C",
                "drug": "risankizumab",
                "stop_week": 15.0,
                "stop_reason": "inefficacy",
            },
        ],  # fmt: skip
        patients=[
            {"patient_id": "A", "sex": "M", "age_years": 50.0, "phenotype_history": "plaque"},
            {"patient_id": "B", "sex": "F", "age_years": 30.0, "phenotype_history": None},
            {"patient_id": "C", "sex": "unknown", "age_years": None},
        ],
    )
    a, b, c = cases_from_cohort(cohort)
    assert a.case_id == "registry-A-1-1" and a.drug_stopped is True
    assert a.event_type is EventType.worsening  # plaque in a plaque patient
    assert a.dechallenge.value == "unknown"
    assert b.drug_stopped is False and b.event_type is EventType.unknown  # history unknown
    assert b.time_to_onset_days == 21
    assert c.drug_stopped is None  # stopped before the recorded event week: not derivable
    assert c.age_years is None and c.sex.value == "unknown"


def test_no_events_no_cases() -> None:
    assert cases_from_cohort(Cohort()) == []

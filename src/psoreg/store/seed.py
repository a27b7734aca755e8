"""Seeding a demo database from ``examples/visit-cohort`` (through the validated service layer).

The example gives weeks from the first dose; the demo turns them into dates from each course's
``start_date``. Names are invented ("Demo Patient P01") so the pages have something to hide
from analysts.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from psoreg.store import service
from psoreg.store.models import PatientRow

SEED_ACTOR = service.Actor("seed", "admin")


def examples_dir() -> Path | None:
    """``examples/visit-cohort`` of a source checkout, if there is one."""
    here = Path(__file__).resolve()
    for parent in here.parents:
        candidate = parent / "examples" / "visit-cohort"
        if (candidate / "patients.csv").exists():
            return candidate
    return None


def _csv(folder: Path, name: str) -> list[dict[str, Any]]:
    """The rows of ``<name>.csv`` (through psoreg's reading layer), blank cells as ``None``."""
    from psoreg.io.source import open_table

    path = folder / f"{name}.csv"
    if not path.exists():
        return []
    sheet = open_table(path)
    header = sheet.columns
    return [{k: (rec.get(k) or "").strip() or None for k in header} for _, rec in sheet.rows()]


def _plus_weeks(d: dt.date, weeks: str | float | None) -> dt.date | None:
    if weeks is None:
        return None
    return d + dt.timedelta(days=round(float(weeks) * 7))


def is_empty(session: Session) -> bool:
    return not session.scalar(select(func.count()).select_from(PatientRow))


def seed_visit_cohort(session: Session, folder: Path | None = None) -> int:
    """Load the example visit cohort; returns the number of patients added."""
    folder = folder or examples_dir()
    if folder is None:
        return 0
    a = SEED_ACTOR
    patients: dict[str, PatientRow] = {}
    first_start: dict[str, str] = {}
    for r in _csv(folder, "courses"):
        if r.get("start_date"):
            first_start[r["patient"]] = min(first_start.get(r["patient"], "9999"), r["start_date"])
    for r in _csv(folder, "patients"):
        pid = r["patient"]
        year = r.get("birth_year")
        kind = r.get("psoriasis_type") or ""
        data = {
            "patient_id": pid,
            "name": f"Demo Patient {pid}",
            "birth_date": f"{year}-07-01" if year else None,
            "sex": r.get("sex"),
            "ethnicity": r.get("ethnicity"),
            "weight_kg": r.get("weight_kg"),
            "phenotypes": None if " then " in kind else kind or None,
            "phenotype_history": kind if " then " in kind else None,
            "onset_year": r.get("onset_year"),
            "psoriatic_arthritis": r.get("psoriatic_arthritis"),
            "comorbidities": r.get("comorbidities"),
            "biologic_naive": r.get("biologic_naive"),
            "prior_phototherapy": r.get("prior_phototherapy"),
            "prior_systemics": r.get("prior_systemics"),
            # consent to the registry (information sheet version 1.0) before the first course
            "consent_date": first_start.get(pid),
            "consent_version": "1.0" if pid in first_start else None,
            "consent_scope": "research" if pid in first_start else None,
        }
        patients[pid] = service.create(session, a, "patients", data, reason="demo seed")
    courses = {}
    for r in _csv(folder, "courses"):
        start = dt.date.fromisoformat(r["start_date"])
        stop = r.get("stop_date") or _plus_weeks(start, r.get("stop_week"))
        data = {
            "course_id": r["course"],
            "drug": r["drug"],
            "regimen": r.get("regimen"),
            "start_date": start,
            "stop_date": stop,
            "stop_reason": r.get("stop_reason"),
            "followup_date": _plus_weeks(start, r.get("followup_week")),
            "baseline_pasi": r.get("baseline_pasi"),
            "next_treatment": r.get("next_treatment"),
        }
        row = service.create(
            session, a, "courses", data, parent_pk=patients[r["patient"]].id, reason="demo seed"
        )
        courses[r["course"]] = row
    for r in _csv(folder, "assessments"):
        if r.get("course"):
            course = courses[r["course"]]
            when = r.get("date") or _plus_weeks(course.start_date, r.get("week"))
        else:
            when = dt.date.fromisoformat(r["date"])
            own = sorted(
                (c for c in courses.values() if c.patient.patient_id == r["patient"]),
                key=lambda c: c.start_date,
            )
            started = [c for c in own if c.start_date <= when]
            course = started[-1] if started else own[0]
        data = {k: r.get(k) for k in service.VISIT_FIELDS if k in r}
        data["date"] = when
        if any(r.get(k) for k in service.v.PASI_FIELDS):
            data["pasi"] = None  # computed from the grid
        service.create(session, a, "visits", data, parent_pk=course.id, reason="demo seed")
    for r in _csv(folder, "events"):
        course = courses[r["course"]]
        data = {k: r.get(k) for k in service.EVENT_FIELDS if k in r}
        data["date"] = r.get("date") or _plus_weeks(course.start_date, r.get("week"))
        service.create(session, a, "events", data, parent_pk=course.id, reason="demo seed")
    for r in _csv(folder, "relapses"):
        course = courses[r["course"]]
        data = {
            "date": r.get("date") or _plus_weeks(course.stop_date, r.get("weeks_after_stop")),
            "morphology": r.get("morphology"),
            "treatment": r.get("treatment"),
        }
        service.create(session, a, "relapses", data, parent_pk=course.id, reason="demo seed")
    _seed_doses(session, courses)
    return len(patients)


def _seed_doses(session: Session, courses: dict[str, Any]) -> None:
    """Every label dose of the demo's courses up to their stop or follow-up (one missed)."""
    from psoreg.catalogue import expected_doses

    for cid, course in courses.items():
        end = course.stop_date or course.followup_date
        if end is None:
            continue
        weight = course.patient.weight_kg
        for dose in expected_doses(course.drug, (end - course.start_date).days / 7, weight):
            if cid == "C01" and dose.week == 4:
                continue  # a missed dose, so the demo shows a deviation
            service.create(
                session,
                SEED_ACTOR,
                "doses",
                {"date": _plus_weeks(course.start_date, dose.week), "dose_mg": dose.dose},
                parent_pk=course.id,
                reason="demo seed",
            )

"""The database as the outcome engine's :class:`~psoreg.cohort.Cohort`, and its outcomes.

Weeks are counted from each course's ``start_date`` (the first dose): a visit before it is a
baseline visit (negative week), a relapse is dated from the course's ``stop_date``. The engine
(:func:`psoreg.outcomes.compute_outcomes`) computes the outcomes from this; every write stores
them (:mod:`psoreg.store.outcome_table`) and pages read them from there.
"""

from __future__ import annotations

from collections.abc import Iterable

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from psoreg.cohort import Cohort, course_row, event_row, patient_row, relapse_row
from psoreg.model import Course, Event, Patient, RelapseEpisode
from psoreg.outcomes import OutcomeOptions, compute_outcomes
from psoreg.store.inclusion import analysed
from psoreg.store.models import CourseRow, PatientRow
from psoreg.store.validate import weeks_between


def _patient(row: PatientRow) -> Patient:
    age = None
    first = min((c.start_date for c in row.courses), default=None)
    if first is not None and row.birth_date is not None:
        age = (first - row.birth_date).days / 365.25
    elif first is not None and row.birth_year is not None:
        age = float(first.year - row.birth_year)
    return Patient(
        patient_id=row.patient_id,
        site=row.site,
        sex=row.sex or "unknown",
        birth_year=row.birth_year,
        age_years=age if age is None or 0 <= age <= 120 else None,
        ethnicity=row.ethnicity,
        weight_kg=row.weight_kg,
        phenotypes=row.phenotypes,
        phenotype_history=row.phenotype_history,
        onset_year=row.onset_year,
        psoriatic_arthritis=row.psoriatic_arthritis,
        comorbidities=tuple(x.strip() for x in (row.comorbidities or "").split(";") if x.strip()),
        biologic_naive=row.biologic_naive,
        had_prior_phototherapy=row.prior_phototherapy,
    )


def _course(row: CourseRow) -> Course:
    stop_week = weeks_between(row.start_date, row.stop_date) if row.stop_date else None
    follow = weeks_between(row.start_date, row.followup_date) if row.followup_date else None
    if follow is not None and stop_week is not None and follow < stop_week:
        follow = stop_week
    return Course(
        course_id=row.course_id,
        patient_id=row.patient.patient_id,
        drug=row.drug,
        regimen=row.regimen,
        start_date=row.start_date,
        stop_date=row.stop_date,
        stop_week=stop_week,
        stop_reason=row.stop_reason,
        followup_week=follow,
        baseline_pasi=row.baseline_pasi,
        baseline_dlqi=row.baseline_dlqi,
        next_treatment=row.next_treatment,
    )


def load_patients(
    session: Session,
    patient_pks: Iterable[int] | None = None,
    *,
    fresh: bool = False,
    sites: Iterable[str] | None = None,
    include_excluded: bool = False,
) -> list[PatientRow]:
    """Patients with their courses and everything under them, loaded eagerly.

    Only the patients analyses include (:func:`psoreg.store.inclusion.analysed`: consent not
    withdrawn, covering research) unless ``include_excluded`` (a clinician's own view of the
    patient); deleted records never (the session's filter). ``sites`` keeps those of these
    sites. ``fresh`` reloads objects already in the session from the database (after a flush,
    a deleted visit may still sit in its course's loaded collection).
    """
    q = (
        select(PatientRow)
        .options(
            selectinload(PatientRow.courses).selectinload(CourseRow.visits),
            selectinload(PatientRow.courses).selectinload(CourseRow.events),
            selectinload(PatientRow.courses).selectinload(CourseRow.relapses),
            selectinload(PatientRow.courses).selectinload(CourseRow.doses),
        )
        .order_by(PatientRow.patient_id)
    )
    if patient_pks is not None:
        q = q.where(PatientRow.id.in_(list(patient_pks)))
    if sites is not None:
        q = q.where(PatientRow.site.in_(list(sites)))
    if not include_excluded:
        q = q.where(analysed())
    if fresh:
        q = q.execution_options(populate_existing=True)
    return list(session.scalars(q))


def build_cohort(
    session: Session,
    patient_pks: Iterable[int] | None = None,
    *,
    fresh: bool = False,
    include_excluded: bool = False,
) -> Cohort:
    """The cohort of all analysed patients (or of ``patient_pks``) for the outcome engine
    (``include_excluded``: those who withdrew consent too, for their own page)."""
    patients, courses, visits, events, relapses = [], [], [], [], []
    found = load_patients(session, patient_pks, fresh=fresh, include_excluded=include_excluded)
    for prow in found:
        patients.append(patient_row(_patient(prow)))
        for crow in prow.courses:
            courses.append(course_row(_course(crow)))
            for vis in crow.visits:  # every scored visit: a DLQI-only one sets baseline DLQI
                if any(x is not None for x in (vis.pasi, vis.bsa, vis.dlqi, vis.pga)):
                    visits.append(
                        {
                            "course_id": crow.course_id,
                            "week": weeks_between(crow.start_date, vis.date),
                            "pasi": vis.pasi,
                            "bsa": vis.bsa,
                            "dlqi": vis.dlqi,
                            "pga": vis.pga,
                        }
                    )
            for ev in crow.events:
                week = weeks_between(crow.start_date, ev.date)
                e = Event(
                    course_id=crow.course_id,
                    kind=ev.kind,
                    week=week,
                    morphology=ev.morphology,
                    sites=ev.sites,
                    bsa=ev.bsa,
                    management=ev.management,
                    drug_continued=ev.drug_continued,
                    description=ev.description,
                )
                events.append(event_row(e, week))
            for rel in crow.relapses:
                if crow.stop_date is None:
                    continue
                after = weeks_between(crow.stop_date, rel.date)
                r = RelapseEpisode(
                    course_id=crow.course_id,
                    weeks_after_stop=after,
                    morphology=rel.morphology,
                    treatment=rel.treatment,
                )
                relapses.append(relapse_row(r, after))
    return Cohort(
        patients=pd.DataFrame(patients),
        courses=pd.DataFrame(courses),
        assessments=pd.DataFrame(visits),
        events=pd.DataFrame(events),
        relapses=pd.DataFrame(relapses),
        kind="visits",
    )


def outcomes(
    session: Session,
    patient_pks: Iterable[int] | None = None,
    options: OutcomeOptions | None = None,
    *,
    sites: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Per-course outcomes of the engine (one row per course, ``OUTCOME_COLUMNS``).

    With the store's options (``options`` None) they are read from the materialised table
    (:mod:`psoreg.store.outcome_table`), which every write keeps current; other options are
    computed now.
    """
    from psoreg.store.outcome_table import read_outcomes, session_options

    if options is None or options == session_options(session):
        return read_outcomes(session, patient_pks, sites=sites)
    if sites is not None:
        codes = list(sites)
        mine = select(PatientRow.id).where(PatientRow.site.in_(codes))
        allowed = set(session.scalars(mine))
        patient_pks = sorted(allowed if patient_pks is None else allowed & set(patient_pks))
    cohort = build_cohort(session, patient_pks)
    if cohort.courses.empty:
        from psoreg.outcomes.compiled import compiled

        return pd.DataFrame(columns=list(compiled(options).names))
    return compute_outcomes(cohort, options).table

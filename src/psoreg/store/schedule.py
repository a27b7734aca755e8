"""The schedule of a course: the next dose and visit expected, and the due/overdue worklist.

* **Doses** follow the drug's label regimen (:func:`psoreg.catalogue.expected_doses`). They are
  only scheduled for a course that records its doses: once one dose is recorded, the next dose
  due is the first label dose after the last dose given (more than the tolerance later), at the
  last dose's date plus the label interval between the two. A course that records no dose gets
  no dose schedule and no "missed" lines (a clinic that keeps doses elsewhere is not told
  every week of the label was missed).
* **Visits**: at the drug's primary response week (clinical-facts §3: week 12 or 16), then every
  :data:`VISIT_INTERVAL_WEEKS` (12, BAD/BADBIR practice of a review every 3 months to 6
  months; the shorter kept); the next visit due is the first of these after the last visit.
* A dose or visit is **overdue** when its date is more than :data:`GRACE_DAYS` (14: the ±2 week
  tolerance of :func:`psoreg.catalogue.dose_deviations`) in the past; **due** when it falls
  within the next :data:`DUE_SOON_DAYS` (14).

Only ongoing courses (no stop date) of patients and courses not deleted are scheduled.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from psoreg.catalogue import dose_deviations, expected_doses, get_drug
from psoreg.errors import InvalidValue
from psoreg.i18n import N_, ngettext
from psoreg.store.models import CourseRow, PatientRow

VISIT_INTERVAL_WEEKS = 12
#: the statuses as shown (``{{ status|tr }}``)
STATUS_LABELS = (N_("overdue"), N_("due"), N_("scheduled"))
GRACE_DAYS = 14
DUE_SOON_DAYS = 14
TOLERANCE_WEEKS = 2.0


def _weeks(a: dt.date, b: dt.date) -> float:
    return (b - a).days / 7


def _date(start: dt.date, week: float) -> dt.date:
    return start + dt.timedelta(days=round(week * 7))


def status_of(due: dt.date | None, today: dt.date) -> str | None:
    """``overdue``, ``due`` (within the next 14 days) or ``scheduled`` (None: nothing due)."""
    if due is None:
        return None
    if (today - due).days > GRACE_DAYS:
        return "overdue"
    if (due - today).days <= DUE_SOON_DAYS:
        return "due"
    return "scheduled"


@dataclass
class CourseSchedule:
    """What is expected next of one course, and the doses missed so far (grouped)."""

    records_doses: bool
    next_dose: dt.date | None = None
    next_dose_mg: float | None = None
    next_dose_week: float | None = None
    dose_status: str | None = None
    next_visit: dt.date | None = None
    next_visit_week: float | None = None
    visit_status: str | None = None
    #: label weeks of the doses missed (only for courses that record doses)
    missed_weeks: tuple[float, ...] = ()
    #: other deviations (extra doses, different amounts), one line each
    other_deviations: tuple[str, ...] = ()
    error: str | None = None

    @property
    def status(self) -> str | None:
        """The worse of the dose's and the visit's status."""
        order = ("overdue", "due", "scheduled")
        found = [s for s in (self.dose_status, self.visit_status) if s]
        return min(found, key=order.index) if found else None

    @property
    def missed_text(self) -> str | None:
        if not self.missed_weeks:
            return None
        weeks = ", ".join(f"{w:g}" for w in self.missed_weeks)
        n = len(self.missed_weeks)
        return ngettext(
            "{n} label dose not recorded (week {weeks})",
            "{n} label doses not recorded (weeks {weeks})",
            n,
        ).format(n=n, weeks=weeks)


def course_schedule(c: CourseRow, today: dt.date | None = None) -> CourseSchedule:
    """The schedule of course ``c`` (its doses and visits loaded) as of ``today``."""
    today = today or dt.date.today()
    doses = sorted(c.doses, key=lambda d: d.date)
    out = CourseSchedule(records_doses=bool(doses))
    weight = c.patient.weight_kg if c.patient is not None else None
    end = min(c.stop_date or today, today)
    try:
        drug = get_drug(c.drug)
        if doses:
            given = [(_weeks(c.start_date, d.date), d.dose_mg) for d in doses]
            stop = _weeks(c.start_date, c.stop_date) if c.stop_date else None
            devs = dose_deviations(
                drug,
                given,
                until_week=max(0.0, _weeks(c.start_date, end)),
                weight_kg=weight,
                stop_week=stop,
            )
            out.missed_weeks = tuple(d.week for d in devs if d.kind == "missed")
            out.other_deviations = tuple(d.message for d in devs if d.kind != "missed")
        last_visit = max((v.date for v in c.visits), default=None)
        _next_due(out, drug, c, weight, doses[-1].date if doses else None, last_visit, today)
    except InvalidValue as exc:
        out.error = str(exc)
    return out


def _next_due(
    out: CourseSchedule,
    drug: Any,
    c: Any,
    weight: float | None,
    last_dose: dt.date | None,
    last_visit: dt.date | None,
    today: dt.date,
) -> None:
    """The next dose and visit of an ongoing course ``c`` (``start_date``, ``stop_date``), from
    its last dose and last visit only: all the worklist needs (:func:`worklist_status`)."""
    if c.stop_date is not None:
        return
    if last_dose is not None:
        last = _weeks(c.start_date, last_dose)
        horizon = max(last, _weeks(c.start_date, today)) + 120
        label = expected_doses(drug, horizon, weight)
        nxt = next((x for x in label if x.week > last + TOLERANCE_WEEKS), None)
        if nxt is not None:
            # the gap after the last dose given, as the label spaces the two
            prev = max((x.week for x in label if x.week < nxt.week), default=0.0)
            out.next_dose = _date(last_dose, 0) + dt.timedelta(days=round((nxt.week - prev) * 7))
            out.next_dose_week = round(_weeks(c.start_date, out.next_dose), 1)
            out.next_dose_mg = nxt.dose
            out.dose_status = status_of(out.next_dose, today)
    first = float(drug.response_week or 12)
    seen = _weeks(c.start_date, last_visit) if last_visit is not None else 0.0
    week = first
    while week <= seen + TOLERANCE_WEEKS:
        week += VISIT_INTERVAL_WEEKS
    out.next_visit_week = week
    out.next_visit = _date(c.start_date, week)
    out.visit_status = status_of(out.next_visit, today)


@dataclass
class WorkItem:
    patient_pk: int
    patient: PatientRow
    course: CourseRow
    schedule: CourseSchedule


def worklist(
    session: Session,
    sites: Iterable[str] | None = None,
    today: dt.date | None = None,
    *,
    include_scheduled: bool = False,
) -> list[WorkItem]:
    """Ongoing courses with a dose or visit due or overdue (of ``sites``; None: all), the
    overdue first, then by the date due. Patients who withdrew consent stay on it: their care
    goes on."""
    today = today or dt.date.today()
    q = (
        select(CourseRow)
        .join(PatientRow, PatientRow.id == CourseRow.patient_pk)
        .where(CourseRow.stop_date.is_(None))
        .options(
            selectinload(CourseRow.doses),
            selectinload(CourseRow.visits),
            selectinload(CourseRow.patient),
        )
    )
    if sites is not None:
        q = q.where(PatientRow.site.in_(list(sites)))
    items = []
    for c in session.scalars(q):
        sch = course_schedule(c, today)
        if sch.status is None or (sch.status == "scheduled" and not include_scheduled):
            continue
        items.append(WorkItem(c.patient_pk, c.patient, c, sch))
    rank = {"overdue": 0, "due": 1, "scheduled": 2}

    def key(w: WorkItem) -> Any:
        dates = [d for d in (w.schedule.next_dose, w.schedule.next_visit) if d]
        return (rank[w.schedule.status or "scheduled"], min(dates), w.course.course_id)

    return sorted(items, key=key)


def overdue_count(session: Session, sites: Iterable[str] | None = None) -> int:
    return sum(1 for w in worklist(session, sites) if w.schedule.status == "overdue")


def _light_courses(sites: Iterable[str] | None) -> Any:
    """Ongoing courses (not deleted, of patients not deleted, of ``sites``) with what their
    next dose and visit depend on: the last visit, the first and last dose and the smallest
    dose (one row per course, aggregated by the database)."""
    from sqlalchemy import func

    from psoreg.store.models import DoseRow, VisitRow

    def of_course(q: Any, model: Any) -> Any:
        return (
            q.where(model.course_pk == CourseRow.id, model.deleted_at.is_(None))
            .correlate(CourseRow)
            .scalar_subquery()
        )

    q = (
        select(
            CourseRow.id,
            CourseRow.drug,
            CourseRow.start_date,
            CourseRow.stop_date,
            PatientRow.site,
            PatientRow.weight_kg,
            of_course(select(func.max(VisitRow.date)), VisitRow).label("last_visit"),
            of_course(select(func.min(DoseRow.date)), DoseRow).label("first_dose"),
            of_course(select(func.max(DoseRow.date)), DoseRow).label("last_dose"),
            of_course(select(func.min(DoseRow.dose_mg)), DoseRow).label("least_dose"),
        )
        .join(PatientRow, PatientRow.id == CourseRow.patient_pk)
        .where(
            CourseRow.stop_date.is_(None),
            CourseRow.deleted_at.is_(None),
            PatientRow.deleted_at.is_(None),
        )
    )
    if sites is not None:
        q = q.where(PatientRow.site.in_(sorted(sites)))
    return q


def worklist_status(row: Any, today: dt.date) -> str | None:
    """The worklist status of a course as :func:`course_schedule` gives it, from a row of
    :func:`_light_courses` (no doses or visits loaded)."""
    out = CourseSchedule(records_doses=row.last_dose is not None)
    try:
        drug = get_drug(row.drug)
        # what dose_deviations refuses (a dose before the start, a dose of 0 mg or less)
        # leaves the course unscheduled, as in course_schedule
        if row.last_dose is not None and (
            row.first_dose < row.start_date or not row.least_dose > 0
        ):
            return None
        _next_due(out, drug, row, row.weight_kg, row.last_dose, row.last_visit, today)
    except InvalidValue:
        return None
    return out.status


def overdue_by_site(
    session: Session, sites: Iterable[str] | None = None, today: dt.date | None = None
) -> dict[str, int]:
    """Ongoing courses with a dose or visit overdue, counted by the patient's site (the
    dashboard): the same statuses as :func:`worklist`, from one aggregate query."""
    today = today or dt.date.today()
    counts: dict[str, int] = {}
    for row in session.connection().execute(_light_courses(sites)):
        if worklist_status(row, today) == "overdue":
            counts[row.site] = counts.get(row.site, 0) + 1
    return counts

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
import functools
from collections.abc import Iterable
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

from sqlalchemy import (
    Date,
    Integer,
    String,
    and_,
    bindparam,
    case,
    cast,
    false,
    func,
    literal,
    or_,
    select,
    union_all,
)
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session, selectinload
from sqlalchemy.sql.functions import FunctionElement

from psoreg.catalogue import _MAX_WEIGHT_KG as MAX_WEIGHT_KG  # (catalogue.py is hashed into the
from psoreg.catalogue import dose_deviations, expected_doses, get_drug  # outcomes version)
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
    its last dose and last visit only (:func:`dose_gaps` tabulates it for the SQL count)."""
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


# --- the overdue count in SQL (the dashboard) --------------------------------------------------
#
# The dashboard counts overdue courses over the whole registry in the database: the rule is the
# one above (:func:`_next_due`), turned into day arithmetic. The per-drug part of the rule (how
# many days after a dose given on day L of the course the next one falls due) is tabulated by
# running :func:`_next_due` itself (:func:`dose_gaps`), so the label walk stays written once.


class day_number(FunctionElement):  # noqa: N801 - a SQL function, named like one
    """A date as a whole number of days (differences are days), on SQLite and PostgreSQL."""

    type = Integer()
    inherit_cache = True
    name = "day_number"


@compiles(day_number, "sqlite")
def _day_number_sqlite(element: Any, compiler: Any, **kw: Any) -> str:
    return f"CAST(julianday({compiler.process(element.clauses, **kw)}) AS INTEGER)"


@compiles(day_number)
def _day_number_default(element: Any, compiler: Any, **kw: Any) -> str:  # PostgreSQL
    return f"(CAST({compiler.process(element.clauses, **kw)} AS DATE) - DATE '2000-01-01')"


#: the last day of a range that has no end (the label's maintenance phase)
NO_END = 2**31 - 1


@functools.lru_cache(maxsize=64)
def dose_gaps(drug_name: str) -> tuple[tuple[int, int, int], ...]:
    """``(from_day, to_day, gap_days)``: after a dose given on day L of a course of
    ``drug_name`` (``from_day <= L <= to_day``; :data:`NO_END`: no end), the next dose falls
    due ``gap_days`` later; no range: no further dose on the label. Tabulated from
    :func:`_next_due` day by day through the induction and two maintenance intervals, after
    which the label repeats (checked)."""
    drug = get_drug(drug_name)
    reg = drug.regimen
    last_week = reg.induction[-1][0] + TOLERANCE_WEEKS + 2 * (reg.maintenance_interval_weeks or 0)
    start = dt.date(2000, 1, 1)
    course = SimpleNamespace(start_date=start, stop_date=None)
    gaps: list[int | None] = []
    for day in range(round(last_week * 7) + 2):
        out = CourseSchedule(records_doses=True)
        last = start + dt.timedelta(days=day)
        _next_due(out, drug, course, None, last, None, start)
        gaps.append(None if out.next_dose is None else (out.next_dose - last).days)
    ranges: list[list[Any]] = []
    for day, gap in enumerate(gaps):
        if gap is None:
            continue
        if ranges and ranges[-1][2] == gap and ranges[-1][1] == day - 1:
            ranges[-1][1] = day
        else:
            ranges.append([day, day, gap])
    if reg.maintenance_interval_weeks is not None:
        # the maintenance phase: one gap from some day on, to the end of the tabulated days
        if (
            not ranges
            or ranges[-1][1] != len(gaps) - 1
            or ranges[-1][1] - ranges[-1][0] < 7 * (reg.maintenance_interval_weeks)
        ):
            raise RuntimeError(f"{drug.name}: the label's maintenance gap is not constant")
        ranges[-1][1] = NO_END
    elif gaps[-1] is not None:
        raise RuntimeError(f"{drug.name}: a dose after the label's last one")
    return tuple((a, b, g) for a, b, g in ranges)


def _literal_rows(rows: list[tuple], names: tuple[str, ...], types: tuple[Any, ...]) -> Any:
    """A small table of literal rows (a CTE; SQLite has no ``VALUES ... AS t(a, b)``)."""
    selects = [
        select(
            *(cast(literal(v, t), t).label(n) for v, n, t in zip(row, names, types, strict=True))
        )
        for row in rows
    ]
    return union_all(*selects) if len(selects) > 1 else selects[0]


def overdue_courses(
    session: Session, sites: Iterable[str] | None = None, today: dt.date | None = None
) -> Any:
    """A SELECT of ``(course id, site)`` of the ongoing courses (of ``sites``) with a dose or
    visit overdue, as :func:`worklist` gives it, computed in the database."""
    found = select(CourseRow.drug).where(CourseRow.stop_date.is_(None)).distinct()
    stored = tuple(sorted(session.connection().execute(found).scalars()))
    codes = None if sites is None else tuple(sorted(sites))
    return _overdue_select(stored, codes).params(today=today or dt.date.today())


@functools.lru_cache(maxsize=32)
def _overdue_select(stored: tuple[str, ...], sites: tuple[str, ...] | None) -> Any:
    """:func:`overdue_courses` for courses of these stored drug names (built once per set of
    names and sites; ``today`` is a parameter)."""
    c = _light_courses(sites).cte("c").prefix_with("MATERIALIZED")  # each aggregate once
    drugs: list[tuple] = []
    steps: list[tuple] = []
    for name in stored:
        try:
            drug = get_drug(name)
        except InvalidValue:
            continue  # no schedule for a drug the catalogue does not know, as course_schedule
        drugs.append((name, round(float(drug.response_week or 12) * 7)))
        steps += [(name, a, b, g) for a, b, g in dose_gaps(drug.name)]
    if not drugs:
        return select(c.c.id, c.c.site).where(false(), bindparam("today", type_=Date()).is_(None))
    drug_t = _literal_rows(drugs, ("drug", "first_visit"), (String(), Integer())).cte("drugs")
    step_t = _literal_rows(
        steps or [("", -1, -1, 0)], ("drug", "lo", "hi", "gap"), (String(),) + (Integer(),) * 3
    ).cte("dose_steps")
    start = day_number(c.c.start_date)
    dose_day = day_number(c.c.last_dose) - start  # L: the last dose, in days of the course
    refused = and_(  # what dose_deviations and expected_doses refuse: no schedule at all
        c.c.last_dose.is_not(None),
        or_(
            day_number(c.c.first_dose) < start,
            c.c.least_dose <= 0,
            func.coalesce(c.c.weight_kg, 1.0) <= 0,  # no weight: nothing to refuse
            func.coalesce(c.c.weight_kg, 1.0) > MAX_WEIGHT_KG,
        ),
    )
    # per course, looked up in the two small tables (a join would scan the courses per drug)
    d = (
        select(
            c.c.id,
            c.c.site,
            start.label("start"),
            day_number(c.c.last_dose).label("last_dose"),
            func.coalesce(day_number(c.c.last_visit) - start, 0).label("seen"),
            select(drug_t.c.first_visit)
            .where(drug_t.c.drug == c.c.drug)
            .scalar_subquery()
            .label("first_visit"),
            select(step_t.c.gap)
            .where(step_t.c.drug == c.c.drug, step_t.c.lo <= dose_day, dose_day <= step_t.c.hi)
            .scalar_subquery()
            .label("gap"),
        )
        .where(~refused)
        .cte("d")
        .prefix_with("MATERIALIZED")
    )
    now = day_number(bindparam("today", type_=Date()))
    tol, every, grace = round(TOLERANCE_WEEKS * 7), VISIT_INTERVAL_WEEKS * 7, GRACE_DAYS
    behind = d.c.seen + tol - d.c.first_visit  # >= 0: the first visit is past
    next_visit = (
        d.c.start + d.c.first_visit + case((behind >= 0, (behind // every + 1) * every), else_=0)
    )
    next_dose = d.c.last_dose + d.c.gap  # NULL: no dose recorded, or none left on the label
    return select(d.c.id, d.c.site).where(
        d.c.first_visit.is_not(None),  # a drug the catalogue knows
        or_(now - next_visit > grace, func.coalesce(now - next_dose > grace, false())),
    )


def overdue_by_site(
    session: Session, sites: Iterable[str] | None = None, today: dt.date | None = None
) -> dict[str, int]:
    """Ongoing courses with a dose or visit overdue, counted by the patient's site (the
    dashboard): the same statuses as :func:`worklist`, counted by the database
    (:func:`overdue_courses`)."""
    q = overdue_courses(session, sites, today).subquery("overdue")
    rows = session.connection().execute(
        select(q.c.site, func.count()).group_by(q.c.site).order_by(q.c.site)
    )
    return {site: int(n) for site, n in rows}

"""The patient list: one light query per table, filters, and pages of :data:`PAGE_SIZE`.

The list reads patients, their courses' drug and stop date, and the stored outcome flags
(``course_outcomes``, kept current by every write), never visits or the engine, so it answers
in milliseconds for a registry of tens of thousands of patients. Searching works on what the
user sees (the pseudonym for analysts), so it runs after the lens is applied.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from psoreg.outcomes.compiled import outcomes_version
from psoreg.store import deid
from psoreg.store.inclusion import analysed
from psoreg.store.models import CourseOutcomeRow, CourseRow, PatientRow
from psoreg.store.outcome_table import FLAGS, plain, read_outcomes, session_options
from psoreg.web.present import Lens, patient_summary

PAGE_SIZE = 100


@dataclass(frozen=True)
class Filters:
    q: str = ""
    drug: str = ""
    status: str = ""
    flag: str = ""


@dataclass
class Page:
    rows: list[dict[str, Any]]
    total: int
    page: int
    pages: int
    first: int  # 1-based number of the first row shown (0 when none)
    last: int


def patient_page(
    session: Session, actor: Any, secret: str, filters: Filters, page: int = 1
) -> Page:
    """The rows of page ``page`` (1-based) of the patients matching ``filters``.

    Without a search text, the database filters, counts and pages (:func:`_paged`), and only
    the shown page's courses and flags are read; a search (on what the user sees, the
    pseudonym for analysts, with Python's case rules) or an outcome row not yet refreshed
    takes :func:`_scanned`, which reads every patient's light columns."""
    if not filters.q.strip():
        found = _paged(session, actor, secret, filters, page)
        if found is not None:
            return found
    return _scanned(session, actor, secret, filters, page)


def _seen(actor: Any) -> Any:
    """Patients not deleted, of the user's sites (Core: says ``deleted_at IS NULL`` itself)."""
    seen = PatientRow.deleted_at.is_(None)
    if actor.site_codes is not None:
        seen = seen & PatientRow.site.in_(sorted(actor.site_codes))
    return seen


def _paged(session: Session, actor: Any, secret: str, filters: Filters, page: int) -> Page | None:
    """:func:`patient_page` done by the database (None: a stored outcome row is missing or
    stale, so the flags cannot be read from the table alone)."""
    from sqlalchemy import and_, exists, func

    from psoreg.store.outcome_table import count_courses

    conn = session.connection()
    version = outcomes_version(session_options(session))
    current = (  # from the patients, so that the index answers (not the stored JSON rows)
        select(func.count())
        .select_from(PatientRow)
        .join(
            CourseOutcomeRow,
            and_(
                CourseOutcomeRow.patient_pk == PatientRow.id,
                CourseOutcomeRow.outcomes_version == version,
            ),
        )
        .join(CourseRow, CourseRow.id == CourseOutcomeRow.course_pk)
        .where(CourseRow.deleted_at.is_(None), _seen(actor), analysed())
    )
    if conn.execute(current).scalar() != count_courses(session, actor.site_codes):
        return None
    course = and_(CourseRow.patient_pk == PatientRow.id, CourseRow.deleted_at.is_(None))
    where = [_seen(actor)]
    if filters.drug:
        where.append(exists().where(course, CourseRow.drug == filters.drug))
    ongoing = exists().where(course, CourseRow.stop_date.is_(None))
    if filters.status == "ongoing":
        where.append(ongoing)
    elif filters.status == "stopped":
        where += [exists().where(course), ~ongoing]
    if filters.flag:
        if filters.flag not in FLAGS:
            where.append(PatientRow.id.is_(None))  # no patient has an unknown flag
        else:
            flagged = getattr(CourseOutcomeRow, filters.flag).is_(True)
            where.append(
                exists().where(
                    CourseOutcomeRow.patient_pk == PatientRow.id,
                    CourseOutcomeRow.outcomes_version == version,
                    flagged,
                )
            )
    total = conn.execute(select(func.count()).select_from(PatientRow).where(*where)).scalar()
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    shown = conn.execute(
        select(PatientRow.__table__)
        .where(*where)
        .order_by(PatientRow.patient_id)
        .limit(PAGE_SIZE)
        .offset(start)
    ).all()
    ids = [p.id for p in shown]
    courses: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    for patient_pk, drug, stop_date in conn.execute(
        select(CourseRow.patient_pk, CourseRow.drug, CourseRow.stop_date).where(
            CourseRow.patient_pk.in_(ids), CourseRow.deleted_at.is_(None)
        )
    ):
        courses[patient_pk].append((drug, stop_date is None))
    flags: dict[int, set[str]] = defaultdict(set)
    cols = [getattr(CourseOutcomeRow, f) for f in FLAGS]
    for patient_pk, *values in conn.execute(
        select(CourseOutcomeRow.patient_pk, *cols).where(
            CourseOutcomeRow.patient_pk.in_(ids), CourseOutcomeRow.outcomes_version == version
        )
    ):
        flags[patient_pk].update(f for f, v in zip(FLAGS, values, strict=True) if v)
    rows = [_row(p, actor, secret, courses.get(p.id, []), flags) for p in shown]
    return Page(rows, total, page, pages, start + 1 if rows else 0, start + len(rows))


def _row(p: Any, actor: Any, secret: str, own: list[tuple[str, bool]], flags: Any) -> dict:
    row = patient_summary(p, Lens.of(actor, secret, p))
    row.update(
        drugs=sorted({d for d, _ in own}),
        ongoing=any(ongoing for _, ongoing in own),
        n_courses=len(own),
        flags=flags.get(p.id, set()),
    )
    return row


def _scanned(session: Session, actor: Any, secret: str, filters: Filters, page: int = 1) -> Page:
    """:func:`patient_page` by reading every patient's light columns (searches)."""
    conn = session.connection()  # Core rows: no ORM machinery for tens of thousands of rows
    # Core queries skip the session's soft-delete filter: they say so themselves, and keep to
    # the sites the user sees
    codes = actor.site_codes
    seen = PatientRow.deleted_at.is_(None)
    if codes is not None:
        seen = seen & PatientRow.site.in_(sorted(codes))
    courses: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    course_owner: dict[int, int] = {}
    for course_pk, patient_pk, drug, stop_date in conn.execute(
        select(CourseRow.id, CourseRow.patient_pk, CourseRow.drug, CourseRow.stop_date)
        .join(PatientRow, PatientRow.id == CourseRow.patient_pk)
        .where(seen, CourseRow.deleted_at.is_(None))
    ):
        courses[patient_pk].append((drug, stop_date is None))
        course_owner[course_pk] = patient_pk
    flags: dict[int, set[str]] = defaultdict(set)
    version = outcomes_version(session_options(session))
    cols = [getattr(CourseOutcomeRow, f) for f in FLAGS]
    current: set[int] = set()
    for course_pk, patient_pk, *values in conn.execute(
        select(CourseOutcomeRow.course_pk, CourseOutcomeRow.patient_pk, *cols).where(
            CourseOutcomeRow.outcomes_version == version
        )
    ):
        current.add(course_pk)
        flags[patient_pk].update(f for f, v in zip(FLAGS, values, strict=True) if v)
    stale = {pk for c, pk in course_owner.items() if c not in current}
    if stale:  # not yet refreshed (e.g. just after an upgrade): computed now, never shown stale
        for pk in stale:
            flags.pop(pk, None)
        owner = {
            cid: pk
            for cid, pk in session.execute(
                select(CourseRow.course_id, CourseRow.patient_pk).where(
                    CourseRow.patient_pk.in_(stale)
                )
            )
        }
        for r in read_outcomes(session, sorted(stale)).to_dict("records"):
            if r["course_id"] in owner:
                flags[owner[r["course_id"]]].update(f for f in FLAGS if plain(r[f]))
    # filter on light columns first; build the shown rows (lens, dates) for one page only
    identified = actor.identified
    needle = filters.q.strip().lower()
    matched: list[int] = []
    light = conn.execute(
        select(PatientRow.id, PatientRow.patient_id, PatientRow.name, PatientRow.hospital_number)
        .where(seen)
        .order_by(PatientRow.patient_id)
    )
    for pk, patient_id, name, hospital_number in light:
        own = courses.get(pk, ())
        if filters.drug and all(d != filters.drug for d, _ in own):
            continue
        ongoing = any(o for _, o in own)
        if filters.status == "ongoing" and not ongoing:
            continue
        if filters.status == "stopped" and not (own and not ongoing):
            continue
        if filters.flag and filters.flag not in flags.get(pk, ()):
            continue
        if needle:
            label = patient_id if identified else deid.pseudonym(secret, patient_id)
            seen = [label] + ([name or "", hospital_number or ""] if identified else [])
            if not any(needle in text.lower() for text in seen):
                continue
        matched.append(pk)
    total = len(matched)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    ids = matched[start : start + PAGE_SIZE]
    full = {
        p.id: p for p in conn.execute(select(PatientRow.__table__).where(PatientRow.id.in_(ids)))
    }
    rows = [_row(full[pk], actor, secret, courses.get(pk, []), flags) for pk in ids]
    return Page(
        rows=rows,
        total=total,
        page=page,
        pages=pages,
        first=start + 1 if rows else 0,
        last=start + len(rows),
    )

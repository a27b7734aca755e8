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


def _matches(r: dict[str, Any], f: Filters) -> bool:
    needle = f.q.strip().lower()
    if needle and not (
        needle in r["label"].lower()
        or (r["name"] and needle in r["name"].lower())
        or (r["hospital_number"] and needle in r["hospital_number"].lower())
    ):
        return False
    if f.drug and f.drug not in r["drugs"]:
        return False
    if f.status == "ongoing" and not r["ongoing"]:
        return False
    if f.status == "stopped" and not (r["n_courses"] and not r["ongoing"]):
        return False
    return not (f.flag and f.flag not in r["flags"])


def patient_page(
    session: Session, actor: Any, secret: str, filters: Filters, page: int = 1
) -> Page:
    """The rows of page ``page`` (1-based) of the patients matching ``filters``."""
    courses: dict[int, list[tuple[str, bool]]] = defaultdict(list)
    course_owner: dict[int, int] = {}
    for course_pk, patient_pk, drug, stop_date in session.execute(
        select(CourseRow.id, CourseRow.patient_pk, CourseRow.drug, CourseRow.stop_date)
    ):
        courses[patient_pk].append((drug, stop_date is None))
        course_owner[course_pk] = patient_pk
    flags: dict[int, set[str]] = defaultdict(set)
    version = outcomes_version(session_options(session))
    cols = [getattr(CourseOutcomeRow, f) for f in FLAGS]
    current: set[int] = set()
    for course_pk, patient_pk, *values in session.execute(
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
            flags[owner[r["course_id"]]].update(f for f in FLAGS if plain(r[f]))
    patients = session.execute(select(PatientRow.__table__).order_by(PatientRow.patient_id)).all()
    rows = []
    for p in patients:
        own = courses.get(p.id, [])
        row = patient_summary(p, Lens(actor, secret, p.patient_id))  # type: ignore[arg-type]
        row.update(
            drugs=sorted({d for d, _ in own}),
            ongoing=any(ongoing for _, ongoing in own),
            n_courses=len(own),
            flags=flags.get(p.id, set()),
        )
        if _matches(row, filters):
            rows.append(row)
    total = len(rows)
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(1, page), pages)
    start = (page - 1) * PAGE_SIZE
    shown = rows[start : start + PAGE_SIZE]
    return Page(
        rows=shown,
        total=total,
        page=page,
        pages=pages,
        first=start + 1 if shown else 0,
        last=start + len(shown),
    )

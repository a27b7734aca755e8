"""Materialised outcomes: each course's outcomes stored beside it, never stale.

Pages, the dashboard and the exports read outcomes from ``course_outcomes`` instead of running
the engine over the cohort on every request. Three rules keep the stored rows right:

* **Refreshed in the writing transaction.** :func:`install_refresh` hooks the session factory:
  every flush records which patients' records were created, changed or deleted (patients,
  courses, doses, visits, events, relapses, whatever code path wrote them), and just before the
  commit their courses' outcomes are recomputed by the engine and written in the same
  transaction. A rolled-back write rolls its outcomes back with it.
* **Versioned.** Each row carries :func:`psoreg.outcomes.compiled.outcomes_version` (the
  definitions' source, the options and the psoreg version). A row of another version, or a
  course without a row, is computed on the fly when read (:func:`read_outcomes`) and rewritten
  by :func:`refresh_stale` (``psoreg serve`` runs it at start-up), so a changed definition or
  option never shows an old value.
* **Written only here.** Bulk loads that bypass the ORM must call :func:`refresh_patients` or
  :func:`refresh_stale` themselves.
"""

from __future__ import annotations

import functools
import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    Integer,
    bindparam,
    delete,
    event,
    func,
    insert,
    select,
    type_coerce,
    update,
)
from sqlalchemy.orm import Session, sessionmaker

from psoreg.outcomes.options import OutcomeOptions
from psoreg.store.models import (
    OUTCOME_FLAG_COLUMNS,
    CourseOutcomeRow,
    CourseRow,
    DoseRow,
    EventRow,
    PatientRow,
    RelapseRow,
    VisitRow,
)
from psoreg.store.prepared import Prepared, Reader
from psoreg.store.savepoints import forget_at_end

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd

#: outcome flags kept as columns (the patient list filters on them)
FLAGS = OUTCOME_FLAG_COLUMNS
TOUCHED = "psoreg_touched_patients"
TOUCHED_COURSES = "psoreg_touched_courses"
OPTIONS = "psoreg_outcome_options"
#: patients per engine run when many are refreshed at once
BATCH = 2000


def session_options(session: Session) -> OutcomeOptions:
    """The outcome options of the store this session belongs to (default options)."""
    return session.info.get(OPTIONS) or OutcomeOptions()


def plain(value: Any) -> Any:
    """A pandas/numpy cell as a JSON value (NaN and NA as null)."""
    if value is None:
        return None
    if hasattr(value, "item"):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    try:
        import pandas as pd

        if value is pd.NA:
            return None
    except ImportError:  # pragma: no cover
        pass
    return value


# --- tracking what a transaction changed -----------------------------------------------------


def _collect(session: Session, _ctx: Any) -> None:
    patients: set[int] = session.info.setdefault(TOUCHED, set())
    courses: set[int] = session.info.setdefault(TOUCHED_COURSES, set())
    for obj in (*session.new, *session.dirty, *session.deleted):
        if isinstance(obj, PatientRow):
            if obj.id is not None:
                patients.add(obj.id)
        elif isinstance(obj, CourseRow):
            if obj.patient_pk is not None:
                patients.add(obj.patient_pk)
            elif obj.patient is not None and obj.patient.id is not None:
                patients.add(obj.patient.id)
        elif isinstance(obj, DoseRow | VisitRow | EventRow | RelapseRow):
            if obj.course_pk is not None:
                courses.add(obj.course_pk)
            elif obj.course is not None and obj.course.id is not None:
                courses.add(obj.course.id)


def _refresh_before_commit(session: Session) -> None:
    if session.in_nested_transaction():
        return  # a SAVEPOINT released (SQLAlchemy fires before_commit for it): wait for the end
    session.flush()
    patients: set[int] = session.info.pop(TOUCHED, set())
    courses: set[int] = session.info.pop(TOUCHED_COURSES, set())
    if courses:
        found = session.scalars(select(CourseRow.patient_pk).where(CourseRow.id.in_(courses)))
        patients.update(found)
    if patients:
        refresh_patients(session, sorted(patients))


def install_refresh(factory: sessionmaker[Session], options: OutcomeOptions | None = None) -> None:
    """Make every session of ``factory`` refresh the outcomes of what it wrote, before commit."""
    factory.kw.setdefault("info", {})[OPTIONS] = options or OutcomeOptions()
    event.listen(factory, "after_flush", _collect)
    # first of the before_commit listeners: before the audit entries are chained (and the
    # chain's lock taken, psoreg.store.audit._require_audit), so the lock is not held through
    # the engine run
    event.listen(factory, "before_commit", _refresh_before_commit, insert=True)
    forget_at_end(factory, (TOUCHED, TOUCHED_COURSES))


# --- computing and writing -------------------------------------------------------------------


def compute(
    session: Session, patient_pks: Iterable[int] | None = None, *, include_excluded: bool = False
) -> pd.DataFrame:
    """The engine's outcomes of these patients (all analysed ones when None), from the database
    as it is now in this transaction (``include_excluded``: patients who withdrew consent too,
    for their own page; never stored)."""
    from psoreg.outcomes.compiled import compiled
    from psoreg.store.export import build_cohort

    options = session_options(session)
    cohort = build_cohort(session, patient_pks, fresh=True, include_excluded=include_excluded)
    if cohort.courses.empty:
        import pandas as pd

        return pd.DataFrame(columns=list(compiled(options).names))
    from psoreg.outcomes.compiled import execute

    return execute(cohort, options)


def _lock_patients(session: Session, patient_pks: list[int]) -> None:
    """On PostgreSQL, serialise refreshes of the same patient (SQLite's writer is already one)."""
    if session.get_bind().dialect.name == "postgresql" and patient_pks:
        session.execute(
            select(PatientRow.id)
            .where(PatientRow.id.in_(patient_pks))
            .order_by(PatientRow.id)
            .with_for_update()
        ).all()


def _chunks(items: list[int], n: int) -> Iterator[list[int]]:
    for i in range(0, len(items), n):
        yield items[i : i + n]


def refresh_patients(session: Session, patient_pks: Iterable[int]) -> int:
    """Recompute and store the outcomes of every course of these patients; returns the number
    of courses written."""
    from psoreg.outcomes.compiled import compiled, outcomes_version
    from psoreg.store.outcome_lines import line_of, line_version

    pks = sorted(set(patient_pks))
    options = session_options(session)
    version = outcomes_version(options)
    names = compiled(options).names
    csv_version = line_version()
    written = 0
    for chunk in _chunks(pks, BATCH):
        _lock_patients(session, chunk)
        table = compute(session, chunk)
        ids = dict(
            session.execute(
                select(CourseRow.course_id, CourseRow.id).where(CourseRow.patient_pk.in_(chunk))
            ).all()
        )
        owner = dict(
            session.execute(
                select(CourseRow.id, CourseRow.patient_pk).where(CourseRow.patient_pk.in_(chunk))
            ).all()
        )
        session.execute(delete(CourseOutcomeRow).where(CourseOutcomeRow.patient_pk.in_(chunk)))
        rows = []
        now = None
        for record in table.to_dict("records"):
            clean = {k: plain(v) for k, v in record.items()}
            pk = ids[clean["course_id"]]
            if now is None:
                from psoreg.store.models import utcnow

                now = utcnow()
            line, spans = line_of(clean, names)
            rows.append(
                {
                    "course_pk": pk,
                    "patient_pk": owner[pk],
                    "course_id": clean["course_id"],
                    "outcomes_version": version,
                    **{f: _flag(clean.get(f)) for f in FLAGS},
                    **_dashboard_values(clean),
                    "outcome": clean,
                    "computed_at": now,
                    "csv_line": line,
                    "csv_spans": spans,
                    "csv_version": csv_version,
                }
            )
        if rows:
            session.execute(insert(CourseOutcomeRow), rows)
        written += len(rows)
    return written


def _flag(value: Any) -> bool | None:
    return None if value is None else bool(value)


def _number(value: Any) -> float | None:
    return None if value is None else float(value)


def _dashboard_values(row: dict[str, Any]) -> dict[str, Any]:
    """The columns the dashboard reads (copies of the row's values)."""
    return {
        "drug": row.get("drug"),
        "stopped": _flag(row.get("stopped")),
        "week_pasi75": _number(row.get("week_pasi75")),
        "weeks_on_treatment": _number(row.get("weeks_on_treatment")),
        "survival_event": _flag(row.get("survival_event")),
    }


def stale_patients(session: Session) -> list[int]:
    """Patients with a course whose stored outcomes are missing or of another version."""
    from psoreg.outcomes.compiled import outcomes_version

    version = outcomes_version(session_options(session))
    q = (
        _analysed_courses(select(CourseRow.patient_pk))
        .outerjoin(CourseOutcomeRow, CourseOutcomeRow.course_pk == CourseRow.id)
        .where(
            (CourseOutcomeRow.course_pk.is_(None)) | (CourseOutcomeRow.outcomes_version != version)
        )
        .distinct()
    )
    return sorted(session.scalars(q))


def _analysed_courses(q: Any, sites: Iterable[str] | None = None) -> Any:
    """``q`` (on courses) restricted to courses, not deleted, of analysed patients, not
    deleted, of ``sites`` (None: all). Core-safe: says ``deleted_at IS NULL`` itself."""
    from psoreg.store.inclusion import analysed

    q = q.join(PatientRow, PatientRow.id == CourseRow.patient_pk).where(
        analysed(), PatientRow.deleted_at.is_(None), CourseRow.deleted_at.is_(None)
    )
    if sites is not None:
        q = q.where(PatientRow.site.in_(list(sites)))
    return q


def refresh_stale(store: Any, progress: Any | None = None) -> int:
    """Rewrite every missing or stale row, in batches of :data:`BATCH` patients (each its own
    transaction); ``progress(done, total)`` is called after each. Then store the export line
    of every current row that lacks one of this version (:func:`refresh_lines`). Returns the
    patients done."""
    with store.session() as s:
        pending = stale_patients(s)
    done = 0
    for chunk in _chunks(pending, BATCH):
        with store.session() as s:
            refresh_patients(s, chunk)
            s.info.pop(TOUCHED, None)
        done += len(chunk)
        if progress is not None:
            progress(done, len(pending))
    refresh_lines(store)
    return done


def _lineless(version: str) -> Any:
    """Current stored rows (of outcomes ``version``) without an export line of this version."""
    from psoreg.store.outcome_lines import line_version

    o = CourseOutcomeRow
    return (o.outcomes_version == version) & (
        o.csv_version.is_(None) | (o.csv_version != line_version()) | o.csv_line.is_(None)
    )


def lines_of(session: Session, course_pks: Iterable[int]) -> dict[int, tuple[str, str]]:
    """The export lines and spans (:func:`psoreg.store.outcome_lines.line_of`) of these
    courses, made now from their stored JSON rows."""
    from psoreg.outcomes.compiled import compiled
    from psoreg.store.outcome_lines import line_of

    names = compiled(session_options(session)).names
    out: dict[int, tuple[str, str]] = {}
    conn = session.connection()
    for chunk in _chunks(sorted(set(course_pks)), 500):
        q = select(CourseOutcomeRow.course_pk, CourseOutcomeRow.outcome).where(
            CourseOutcomeRow.course_pk.in_(chunk)
        )
        for pk, outcome in conn.execute(q):
            out[pk] = line_of(outcome, names)
    return out


def refresh_lines(store: Any, batch: int = 5000) -> int:
    """Store the export line of every current row without one of this version (rows written
    before the lines existed, or by another version of the line code), in transactions of
    ``batch`` rows; returns the rows written. No engine run: the lines come from the rows."""
    from psoreg.outcomes.compiled import outcomes_version
    from psoreg.store.outcome_lines import line_version

    with store.session() as s:
        version = outcomes_version(session_options(s))
        pending = sorted(s.scalars(select(CourseOutcomeRow.course_pk).where(_lineless(version))))
    o = CourseOutcomeRow
    write = (
        update(o)
        .where(o.course_pk == bindparam("pk"), o.outcomes_version == version)
        .values(
            csv_line=bindparam("line"), csv_spans=bindparam("spans"), csv_version=line_version()
        )
    )
    for chunk in _chunks(pending, batch):
        with store.session() as s:
            made = lines_of(s, chunk)
            rows = [{"pk": pk, "line": ln, "spans": sp} for pk, (ln, sp) in made.items()]
            if rows:
                s.connection().execute(write, rows)
    return len(pending)


# --- reading ---------------------------------------------------------------------------------


def read_outcomes(
    session: Session,
    patient_pks: Iterable[int] | None = None,
    *,
    sites: Iterable[str] | None = None,
) -> pd.DataFrame:
    """Stored outcomes of these patients (all analysed ones when None; of ``sites`` when
    given), one row per course sorted by ``course_id``, with the engine's columns and types.
    Courses without a current row are computed now (and not written: a read never writes)."""
    from psoreg.outcomes.compiled import compiled, to_pandas

    c = compiled(session_options(session))
    records = outcome_records(session, patient_pks, sites=sites)
    return to_pandas(_arrow(records, c.columns), c.columns)


def outcome_records(
    session: Session,
    patient_pks: Iterable[int] | None = None,
    *,
    sites: Iterable[str] | None = None,
    include_excluded: bool = False,
) -> list[dict]:
    """As :func:`read_outcomes`, as plain dicts (null as None): what a page needs, without
    building a DataFrame. ``include_excluded`` computes the outcomes of patients left out of
    analyses (consent withdrawn) for their own page; they are never stored."""
    from psoreg.outcomes.compiled import outcomes_version

    version = outcomes_version(session_options(session))
    q = select(
        CourseOutcomeRow.course_pk, CourseOutcomeRow.outcomes_version, CourseOutcomeRow.outcome
    )
    if include_excluded:
        courses = select(CourseRow.id, CourseRow.patient_pk).where(CourseRow.deleted_at.is_(None))
    else:
        courses = _analysed_courses(select(CourseRow.id, CourseRow.patient_pk), sites)
    pks = None if patient_pks is None else list(patient_pks)
    if pks is not None:
        q = q.where(CourseOutcomeRow.patient_pk.in_(pks))
        courses = courses.where(CourseRow.patient_pk.in_(pks))
    session.flush()  # Core on the session's connection (no ORM rows to build): flush first
    conn = session.connection()
    stored = {pk: (v, o) for pk, v, o in conn.execute(q)}
    records = []
    missing: set[int] = set()
    for course_pk, patient_pk in conn.execute(courses):
        found = stored.get(course_pk)
        if found is None or found[0] != version:
            missing.add(patient_pk)
        else:
            records.append(found[1])
    if missing:
        fresh = compute(session, sorted(missing), include_excluded=include_excluded)
        records += [{k: plain(v) for k, v in r.items()} for r in fresh.to_dict("records")]
    records.sort(key=lambda r: r["course_id"])
    return records


_STORED_OF_PATIENT = Prepared(
    select(
        CourseOutcomeRow.course_pk, CourseOutcomeRow.outcomes_version, CourseOutcomeRow.outcome
    ).where(CourseOutcomeRow.patient_pk == bindparam("pk"))
)


def patient_outcomes(
    session: Session, patient_pk: int, course_pks: Iterable[int], *, compute: bool = True
) -> list[dict[str, Any]] | None:
    """The outcomes of one patient's courses ``course_pks`` (those the page shows), as
    :func:`outcome_records` gives them, with one query when every course has a current stored
    row (the patient page); otherwise :func:`outcome_records` (computed now, not written), or
    None when not ``compute``."""
    version = version_of(session_options(session))
    reader = Reader.on(session.connection())
    found = stored_patient_outcomes(reader, version, patient_pk, course_pks)
    if found is not None or not compute:
        return found
    return outcome_records(session, [patient_pk], include_excluded=True)


def version_of(options: OutcomeOptions | None) -> str:
    """:func:`psoreg.outcomes.compiled.outcomes_version` of ``options`` (None: the defaults),
    worked out once per options and definitions (a JSON dump and a SHA-256 that every patient
    page asked; options are frozen, so hashable). Kept here: a change to ``psoreg/outcomes`` is
    a new version of every stored outcome."""
    from psoreg.outcomes.compiled import definitions_fingerprint

    return _version_of(options, definitions_fingerprint())


@functools.lru_cache(maxsize=64)
def _version_of(options: OutcomeOptions | None, _fingerprint: str) -> str:
    from psoreg.outcomes.compiled import outcomes_version

    return outcomes_version(options)


def stored_patient_outcomes(
    reader: Reader, version: str, patient_pk: int, course_pks: Iterable[int]
) -> list[dict[str, Any]] | None:
    """The stored outcomes of version ``version`` of one patient's courses ``course_pks`` (by
    course id), with one query; None when one of them is not stored at that version."""
    rows = _STORED_OF_PATIENT.rows(reader, pk=patient_pk)
    stored = {pk: outcome for pk, v, outcome in rows if v == version}
    wanted = list(course_pks)
    if all(pk in stored for pk in wanted):
        return sorted((stored[pk] for pk in wanted), key=lambda r: r["course_id"])
    return None


_PA_TYPES = {"string": "string", "float64": "float64", "boolean": "bool_", "int64": "int64"}


def _arrow(records: list[dict[str, Any]], columns: tuple[tuple[str, str], ...]) -> Any:
    import pyarrow as pa

    return pa.table(
        {
            name: pa.array([r.get(name) for r in records], type=getattr(pa, _PA_TYPES[kind])())
            for name, kind in columns
        }
    )


def count_courses(session: Session, sites: Iterable[str] | None = None) -> int:
    """Courses of analysed patients (of ``sites``), none deleted."""
    q = _analysed_courses(select(func.count()).select_from(CourseRow), sites)
    return session.scalar(q) or 0


#: the outcome columns the dashboard needs (``psoreg.web.exports.dashboard_stats``)
DASHBOARD_COLUMNS = (
    "drug",
    "stopped",
    "treatment_success",
    "secondary_failure",
    "week_pasi75",
    "relapse",
    "paradoxical_event",
    "weeks_on_treatment",
    "survival_event",
    "site",
)


NUMBERS = ("week_pasi75", "weeks_on_treatment")


def dashboard_table(session: Session, sites: Iterable[str] | None = None) -> pd.DataFrame:
    """The few outcome columns the dashboard needs, for every analysed course (of ``sites``),
    read from the stored rows' own columns (no JSON decoded), with the patient's site; flags
    as pandas ``boolean``, numbers as ``float``. Falls back to :func:`read_outcomes` when any
    course has no current stored row, so a stale value is never counted."""
    import numpy as np
    import pandas as pd

    from psoreg.outcomes.compiled import outcomes_version

    version = outcomes_version(session_options(session))
    o = CourseOutcomeRow
    names = [c for c in DASHBOARD_COLUMNS if c != "site"]
    # flags read as they are stored (0/1 on SQLite): no per-value conversion to bool in Python
    cols = [
        getattr(o, c) if c in NUMBERS + ("drug",) else type_coerce(getattr(o, c), Integer)
        for c in names
    ]
    # every analysed course, with its stored row if any (none: a NULL version, so recomputed)
    q = (
        select(*cols, PatientRow.site, o.outcomes_version)
        .select_from(CourseRow)
        .outerjoin(CourseOutcomeRow, CourseOutcomeRow.course_pk == CourseRow.id)
    )
    rows = session.connection().execute(_analysed_courses(q, sites)).all()
    columns = list(zip(*rows, strict=True)) if rows else [()] * (len(DASHBOARD_COLUMNS) + 1)
    if any(v != version for v in columns[-1]):  # a course without a current row
        codes = None if sites is None else list(sites)
        full = read_outcomes(session, sites=codes)
        site_of = dict(
            session.execute(
                select(CourseRow.course_id, PatientRow.site).join(
                    PatientRow, PatientRow.id == CourseRow.patient_pk
                )
            ).all()
        )
        full["site"] = full["course_id"].map(site_of)
        return full[list(DASHBOARD_COLUMNS)]
    data: dict[str, Any] = {}
    for name, values in zip(DASHBOARD_COLUMNS, columns[:-1], strict=True):
        if name in NUMBERS:
            data[name] = np.array(values, dtype=float)  # None as NaN
        elif name in ("drug", "site"):
            data[name] = np.array(values, dtype=object)
        else:  # a flag: True, False or None
            cells = np.array(values, dtype=object)
            missing = np.equal(cells, None)
            data[name] = pd.arrays.BooleanArray(np.equal(cells, 1) & ~missing, missing)
    return pd.DataFrame(data, columns=list(DASHBOARD_COLUMNS))

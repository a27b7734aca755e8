"""The registry as plain records in the service layer's field names, and back.

:func:`read_registry` turns the database into :class:`PatientRecords` whose values are keyed by
the fields of :data:`psoreg.store.service.FIELDS` (the PASI grid as its 16 fields, DLQI as its 10
answers, causality as ``naranjo_*``/``who_umc_*``), typed (dates, numbers, booleans). Every
format's exporter maps these; every importer builds them and calls :func:`write_registry`, which
creates the records through :func:`psoreg.store.service.create` (the web forms' validation) in
the caller's transaction, collects every problem with the row and column it came from, and
raises :class:`~psoreg.errors.ImportFailed` so the caller's transaction rolls back: all or
nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.orm import Session

from psoreg.errors import ImportFailed, RowError
from psoreg.store import service
from psoreg.store import validate as v
from psoreg.store.errors import FieldError
from psoreg.store.export import load_patients

CHILD_TABLES = ("doses", "visits", "events", "relapses")
#: ';'-separated sets of choices (morphologies)
SET_FIELDS = frozenset({"phenotypes", "morphology"})


@dataclass
class Rec:
    """One record's values, and where they came from (for error messages)."""

    values: dict[str, Any]
    row: int | None = None
    #: service field -> the column (or FHIR path) the user knows it by
    columns: dict[str, str] = field(default_factory=dict)
    source: str | None = None

    def error(self, fld: str, message: str) -> RowError:
        return RowError(self.row, self.columns.get(fld, fld), message)


@dataclass
class CourseRecords:
    course: Rec
    doses: list[Rec] = field(default_factory=list)
    visits: list[Rec] = field(default_factory=list)
    events: list[Rec] = field(default_factory=list)
    relapses: list[Rec] = field(default_factory=list)

    def children(self) -> Iterable[tuple[str, Rec]]:
        for table in CHILD_TABLES:
            for rec in getattr(self, table):
                yield table, rec


@dataclass
class PatientRecords:
    patient: Rec
    courses: list[CourseRecords] = field(default_factory=list)


# ------------------------------------------------------------------------------- reading


def _patient(row: service.PatientRow) -> dict[str, Any]:
    return {k: getattr(row, k) for k in service.PATIENT_FIELDS}


def _course(row: service.CourseRow) -> dict[str, Any]:
    return {k: getattr(row, k) for k in service.COURSE_FIELDS}


def _visit(row: service.VisitRow) -> dict[str, Any]:
    out: dict[str, Any] = {"date": row.date, "bsa": row.bsa, "pga": row.pga}
    comps = row.pasi_components or {}
    out.update({k: comps.get(k) for k in v.PASI_FIELDS})
    out["pasi"] = None if comps else row.pasi
    answers = list(row.dlqi_answers or [None] * 10)
    out.update({k: _dlqi_word(a) for k, a in zip(v.DLQI_FIELDS, answers, strict=True)})
    out["dlqi"] = None if row.dlqi_answers else row.dlqi
    return out


def _dlqi_word(answer: Any) -> str | None:
    """A stored DLQI answer in its canonical spelling (``"Not at all"`` -> ``not_at_all``)."""
    if answer is None:
        return None
    return "_".join(str(answer).strip().lower().replace("-", " ").split())


def _event(row: service.EventRow) -> dict[str, Any]:
    out = {k: getattr(row, k) for k in v.EVENT_COLUMNS}
    for column, fields in (("naranjo", v.NARANJO_FIELDS), ("who_umc", v.WHO_UMC_FIELDS)):
        answers = getattr(row, column) or {}
        out.update({f: answers.get(f.removeprefix(f"{column}_")) for f in fields})
    return out


def read_registry(
    session: Session, patient_pks: Iterable[int] | None = None
) -> list[PatientRecords]:
    """Every patient (or those of ``patient_pks``) with everything recorded under them."""
    out = []
    for prow in load_patients(session, patient_pks):
        courses = []
        for crow in prow.courses:
            cr = CourseRecords(Rec(_course(crow)))
            cr.doses = [Rec({"date": d.date, "dose_mg": d.dose_mg}) for d in crow.doses]
            cr.visits = [Rec(_visit(x)) for x in crow.visits]
            cr.events = [Rec(_event(x)) for x in crow.events]
            cr.relapses = [
                Rec({"date": r.date, "morphology": r.morphology, "treatment": r.treatment})
                for r in crow.relapses
            ]
            courses.append(cr)
        out.append(PatientRecords(Rec(_patient(prow)), courses))
    return out


def comparable(patients: list[PatientRecords]) -> list[dict[str, Any]]:
    """The records as plain sorted data (for asserting that a round trip lost nothing)."""

    def clean(values: dict[str, Any]) -> dict[str, Any]:
        out = {k: x for k, x in values.items() if x is not None}
        for k in SET_FIELDS & out.keys():  # a set of choices: the order carries no meaning
            out[k] = ";".join(sorted(str(out[k]).split(";")))
        return out

    def key(rec: Rec) -> str:
        return repr(sorted((k, str(x)) for k, x in clean(rec.values).items()))

    result = []
    for p in sorted(patients, key=lambda p: p.patient.values["patient_id"]):
        courses = []
        for c in sorted(p.courses, key=lambda c: c.course.values["course_id"]):
            item: dict[str, Any] = {"course": clean(c.course.values)}
            for table in CHILD_TABLES:
                item[table] = [clean(r.values) for r in sorted(getattr(c, table), key=key)]
            courses.append(item)
        result.append({"patient": clean(p.patient.values), "courses": courses})
    return result


# ------------------------------------------------------------------------------- writing


@dataclass
class Written:
    """What an import created."""

    counts: dict[str, int] = field(default_factory=dict)

    def add(self, table: str) -> None:
        self.counts[table] = self.counts.get(table, 0) + 1

    def __str__(self) -> str:
        order = ("patients", "courses", *CHILD_TABLES)
        return ", ".join(f"{self.counts.get(t, 0)} {t}" for t in order)


def write_registry(
    session: Session,
    actor: service.Actor,
    patients: list[PatientRecords],
    source: str,
    reason: str | None = None,
) -> Written:
    """Create every record through the service layer; raise ImportFailed naming every problem.

    Runs in the caller's transaction: on ImportFailed nothing must be committed (use
    ``store.session()``, which rolls back on an exception).
    """
    errors: list[RowError] = []
    written = Written()

    def create(table: str, rec: Rec, parent_pk: int | None) -> Any:
        try:  # service.create validates before it adds anything to the session
            row = service.create(session, actor, table, rec.values, parent_pk, reason=reason)
        except FieldError as exc:
            errors.extend(rec.error(f, msg) for f, msg in exc.errors.items())
            return None
        written.add(table)
        return row

    for p in patients:
        prow = create("patients", p.patient, None)
        for c in p.courses:
            crow = create("courses", c.course, prow.id) if prow is not None else None
            for table, rec in c.children():
                if crow is not None:
                    create(table, rec, crow.id)
    if errors:
        raise ImportFailed(source, sorted(errors, key=lambda e: e.row or 0))
    return written

"""Import of the command line's visit-level spreadsheets into the registry (web and API).

The files are those ``psoreg outcomes`` reads and ``/export/registry.xlsx`` writes: one Excel
workbook with a sheet per table, or the CSV files of the tables (``patients.csv``,
``courses.csv``, ``assessments.csv`` (or ``visits.csv``), and optionally ``doses.csv``,
``events.csv``, ``relapses.csv``). They are read twice, both times by psoreg's reading layer:

1. :func:`psoreg.io.load` (as the command line does: type by content, encoding detection,
   every row validated, every problem named by file, row and column). A file with any
   problem is refused whole.
2. :func:`psoreg.io.source.open_table`, each row becoming a record in the service layer's field
   names (weeks from the first dose become dates from the course's ``start_date``), written by
   :func:`psoreg.interop.records.write_registry`: the web forms' validation, every problem with
   its row and column, all or nothing.

:func:`import_files` runs both in one transaction, committed only when ``commit`` is true and
nothing is wrong: a preview is the same import rolled back, so it finds exactly the problems a
commit would.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import tempfile
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

from psoreg.errors import ImportFailed, RowError
from psoreg.i18n import _
from psoreg.interop.records import CourseRecords, PatientRecords, Rec, Written, write_registry
from psoreg.io.source import check_readable, open_table, workbook_sheets
from psoreg.io.upload import MAX_UPLOAD_BYTES
from psoreg.io.visits import TABLE_ALIASES
from psoreg.store import audit, service

TABLES = ("patients", "courses", "assessments", "doses", "events", "relapses")
#: file column -> service field, where they differ
RENAMES = {
    "patients": {"patient": "patient_id", "psoriasis_type": "phenotypes"},
    "courses": {"course": "course_id"},
}
CHILD = {"assessments": "visits", "doses": "doses", "events": "events", "relapses": "relapses"}
_REFERENCES = ("patient", "course", "week", "weeks_after_stop", "stop_week", "followup_week")


@dataclass
class ImportResult:
    """What an import did (or, for a preview, would do)."""

    filename: str
    committed: bool
    counts: dict[str, int] = field(default_factory=dict)
    problems: list[dict[str, Any]] = field(default_factory=list)
    batch: str | None = None

    @property
    def ok(self) -> bool:
        return not self.problems


class _Preview(Exception):
    """Raised to roll a preview's transaction back."""


def _where(source: str, e: RowError, staged: str, uploaded: str) -> dict[str, Any]:
    """A problem as the import page lists it; a problem of the whole upload (the staging
    folder) is named by the uploaded files' names, not the temporary folder's."""
    name = uploaded if Path(source) == Path(staged) else PurePath(source).name
    return {"file": name, "row": e.row, "column": e.column, "message": e.message}


def _stage(files: list[tuple[str, bytes]], folder: Path) -> Path:
    """Write the uploaded files into ``folder``; the path ``psoreg.io.load`` reads."""
    if not files:
        raise ImportFailed("upload", [RowError(None, None, _("no file was uploaded"))])
    total = sum(len(b) for _, b in files)
    if total > MAX_UPLOAD_BYTES:
        limit = MAX_UPLOAD_BYTES // 2**20
        raise ImportFailed(
            "upload", [RowError(None, None, _("larger than {n} MiB").format(n=limit))]
        )
    paths = []
    for name, data in files:
        path = folder / (PurePath(name.replace("\\", "/")).name or "upload")
        path.write_bytes(data)
        paths.append(path)
    if len(paths) == 1 and check_readable(paths[0], paths[0].name) == "xlsx":
        return paths[0]
    errors = []
    for path in paths:
        table = TABLE_ALIASES.get(path.stem.lower(), path.stem.lower())
        if table not in TABLES or path.suffix.lower() not in (".csv", ".txt", ".tsv"):
            errors.append(
                RowError(
                    None,
                    None,
                    _(
                        "{name}: expected one Excel workbook, or CSV files named after their "
                        "tables ({tables})"
                    ).format(name=path.name, tables=", ".join(t + ".csv" for t in TABLES)),
                )
            )
        elif path.name != f"{table}.csv":
            path.rename(folder / f"{table}.csv")
    if errors:
        raise ImportFailed("upload", errors)
    return folder


def _tables(path: Path) -> dict[str, Any]:
    """Each table's sheet (psoreg's reading layer)."""
    out = {}
    if path.is_file():
        for sheet in workbook_sheets(path):
            table = TABLE_ALIASES.get(sheet.lower(), sheet.lower())
            if table in TABLES:
                out[table] = open_table(path, sheet=sheet, label=f"{path.name}:{sheet}")
        return out
    for table in TABLES:
        f = path / f"{table}.csv"
        if f.exists():
            out[table] = open_table(f, label=f"{table}.csv")
    return out


def _blank(v: Any) -> bool:
    return v is None or (isinstance(v, str) and not v.strip())


def _date(start: Any, weeks: Any) -> str | None:
    if _blank(start) or _blank(weeks):
        return None
    try:
        d = dt.date.fromisoformat(str(start).strip()[:10])
        return (d + dt.timedelta(days=round(float(weeks) * 7))).isoformat()
    except ValueError:
        return None


def records_of(path: Path) -> list[PatientRecords]:
    """The patients of a checked file as records in the service layer's field names."""
    sheets = _tables(path)
    patients: dict[str, PatientRecords] = {}
    courses: dict[str, tuple[CourseRecords, dict[str, Any]]] = {}
    for table in TABLES:
        sheet = sheets.get(table)
        if sheet is None:
            continue
        rename = RENAMES.get(table, {})
        for row, cells in sheet.rows():
            raw = {k.strip().lower(): v for k, v in cells.items() if k}
            values, columns = {}, {}
            for col, v in raw.items():
                name = rename.get(col, col)
                if _blank(v) or (col in _REFERENCES and col not in rename):
                    continue
                if name == "phenotypes" and " then " in str(v):
                    name = "phenotype_history"  # a history ("pustular then plaque"), as the CLI
                values[name] = v
                columns[name] = f"{table}.{col}"
            rec = Rec(values, row, columns, sheet.label)
            if table == "patients":
                pid = str(raw.get("patient") or "").strip()
                patients[pid.upper()] = PatientRecords(rec)
            elif table == "courses":
                cr = CourseRecords(rec)
                start = raw.get("start_date")
                for col, fld in (("stop_week", "stop_date"), ("followup_week", "followup_date")):
                    if _blank(values.get(fld)) and not _blank(raw.get(col)):
                        values[fld] = _date(start, raw[col])
                        columns[fld] = f"courses.{col}"
                courses[str(raw.get("course") or "").strip().upper()] = (cr, raw)
                owner = patients.get(str(raw.get("patient") or "").strip().upper())
                if owner is not None:
                    owner.courses.append(cr)
            else:
                found = courses.get(str(raw.get("course") or "").strip().upper())
                if found is None:
                    continue  # the first reading refused it already
                cr, craw = found
                if _blank(values.get("date")):
                    if table == "relapses" and not _blank(raw.get("weeks_after_stop")):
                        stop = craw.get("stop_date") or _date(
                            craw.get("start_date"), craw.get("stop_week")
                        )
                        values["date"] = _date(stop, raw["weeks_after_stop"])
                        columns["date"] = "relapses.weeks_after_stop"
                    elif not _blank(raw.get("week")):
                        values["date"] = _date(craw.get("start_date"), raw["week"])
                        columns["date"] = f"{table}.week"
                getattr(cr, CHILD[table]).append(rec)
    return list(patients.values())


def import_files(
    store: Any,
    actor: service.Actor,
    files: list[tuple[str, bytes]],
    *,
    commit: bool,
    site: str | None = None,
) -> ImportResult:
    """Check (and, with ``commit``, store) the uploaded files; audited as one batch."""
    filename = ", ".join(PurePath(n).name for n, _ in files) or "upload"
    result = ImportResult(filename, committed=False)
    digest = hashlib.sha256(b"".join(b for _, b in files)).hexdigest()
    batch = f"import {digest[:12]}"
    result.batch = batch
    with tempfile.TemporaryDirectory(prefix="psoreg-import-") as tmp:
        try:
            path = _stage(files, Path(tmp))
            from psoreg.io import load
            from psoreg.io.load import detect

            if detect(path) != "visits":
                raise ImportFailed(
                    filename,
                    [
                        RowError(
                            None,
                            None,
                            _(
                                "this is the one-row-per-course (chart review) layout; the "
                                "registry imports visit-level data: sheets or CSV files "
                                "patients, courses, assessments (and doses, events, relapses), "
                                "as registry.xlsx has"
                            ),
                        )
                    ],
                )
            load(path)  # every row checked as the command line checks it
            patients = records_of(path)
        except ImportFailed as exc:
            result.problems = [_where(exc.path, e, tmp, filename) for e in exc.errors]
            if exc.more:
                result.problems.append(
                    {"file": exc.path, "row": None, "column": None,
                     "message": _("... and {n} more problem(s)").format(n=exc.more)}
                )  # fmt: skip
            return result
        if site:
            for p in patients:
                p.patient.values.setdefault("site", site)
        try:
            with store.session() as s:
                written: Written = write_registry(s, actor, patients, filename, batch)
                result.counts = dict(written.counts)
                audit.record(
                    s,
                    username=actor.username,
                    action="import",
                    table="imports",
                    record_id=digest[:16],
                    changes={"file": (None, filename[:200]), "records": (None, str(written))},
                    reason=batch,
                    address=actor.address,
                )
                if not commit:
                    raise _Preview
        except _Preview:
            return result
        except ImportFailed as exc:
            result.problems = [_where(exc.path, e, tmp, filename) for e in exc.errors]
            return result
    result.committed = True
    return result

"""Exports of raw and derived data (CSV per table, one Excel workbook), and dashboard figures.

Analysts get the de-identified view: pseudonyms for patient and course ids, dates shifted per
patient, no names or hospital numbers, free text scrubbed (:func:`psoreg.store.deid.scrub`).
The audit log export is for administrators only. Every export (page or API) is audited with
the user, the table, the number of rows, whether it was identified, and the client address.

Every CSV and XLSX is written by :mod:`psoreg.io.spreadsheet` (text that a spreadsheet would
run as a formula is escaped). The PASI grid and the DLQI answers are exported as columns
(``head_erythema`` ... ``lower_limbs_area_percent``, ``dlqi_1`` ... ``dlqi_10``), so that
``registry.xlsx`` and the CSV files are valid inputs of ``psoreg outcomes``/``summarize``/
``report`` and give the outcomes the registry shows.
"""

from __future__ import annotations

import io
from typing import Any

import pandas as pd
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import String, select

from psoreg.io.spreadsheet import frame_csv, neutralise, write_workbook
from psoreg.store import audit
from psoreg.store.deid import FREE_TEXT
from psoreg.store.errors import Forbidden, NotFound
from psoreg.store.export import load_patients, outcomes
from psoreg.store.inclusion import analysed, exclusions
from psoreg.store.models import CourseRow, PatientRow
from psoreg.store.service import COLUMNS, Actor
from psoreg.store.validate import (
    DLQI_FIELDS,
    NARANJO_FIELDS,
    PASI_FIELDS,
    WHO_UMC_FIELDS,
    weeks_between,
)
from psoreg.web.present import Lens

TABLES = ("patients", "courses", "visits", "doses", "events", "relapses", "outcomes")
IDENTIFYING = ("name", "hospital_number", "birth_date")
_STRUCTURED = ("pasi_components", "dlqi_answers", "naranjo", "who_umc")
#: structured fields and the columns they are exported as
_FLAT = {"visits": (*PASI_FIELDS, *DLQI_FIELDS), "events": (*NARANJO_FIELDS, *WHO_UMC_FIELDS)}


def _columns(table: str, identified: bool) -> list[str]:
    """The export's columns of ``table`` (also for an empty table, so its header is there)."""
    if table == "patients":
        cols = ["patient_id", *(c for c in COLUMNS["patients"] if c != "patient_id")]
        return [c for c in cols if identified or c not in IDENTIFYING]
    if table == "courses":
        return ["course_id", "patient_id", *(c for c in COLUMNS["courses"] if c != "course_id")]
    fields = [c for c in COLUMNS[table] if c not in _STRUCTURED]
    return ["course_id", "patient_id", *fields, "week", *_FLAT.get(table, ())]


def _flatten_visit(row: dict[str, Any]) -> None:
    """The PASI grid and DLQI answers as one column each, never as a Python repr."""
    comps = row.pop("pasi_components", None) or {}
    answers = row.pop("dlqi_answers", None) or []
    for f in PASI_FIELDS:
        row[f] = comps.get(f)
    for i, f in enumerate(DLQI_FIELDS):
        row[f] = answers[i] if i < len(answers) else None


def _flatten_event(row: dict[str, Any]) -> None:
    """The causality answers (Naranjo, WHO-UMC) as one column per item."""
    for column, fields in (("naranjo", NARANJO_FIELDS), ("who_umc", WHO_UMC_FIELDS)):
        answers = row.pop(column, None) or {}
        for f in fields:
            row[f] = answers.get(f.removeprefix(f"{column}_"))


def raw_tables(
    request: Request, actor: Actor, only: set[str] | None = None
) -> dict[str, pd.DataFrame]:
    """Every table as the user may see it, plus the engine's per-course outcomes (read from the
    stored outcomes); ``only`` names the tables wanted (default: all)."""
    store, secret = request.app.state.store, request.app.state.secret
    wanted = set(TABLES) if only is None else set(only)
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES if t in wanted}
    course_ids: dict[str, str] = {}
    patient_ids: dict[str, str] = {}
    lenses: dict[str, Lens] = {}  # by course id
    with store.reader() as s:
        if wanted - {"outcomes"}:
            _records(s, actor, secret, out, course_ids, patient_ids, lenses)
        else:
            _ids(s, actor, secret, course_ids, patient_ids, lenses)
        table = outcomes(s, sites=actor.site_codes) if "outcomes" in wanted else None
        site_of = dict(s.execute(select(PatientRow.patient_id, PatientRow.site)).all())
    frames = {
        k: pd.DataFrame(v, columns=_columns(k, actor.identified))
        for k, v in out.items()
        if k != "outcomes"
    }
    if table is not None:
        table = table.copy()
        table.insert(2, "site", table["patient_id"].map(site_of))  # site in every export
        for col in FREE_TEXT["outcomes"]:
            if col in table and not actor.identified:
                table[col] = [
                    lenses[c].text(v) if c in lenses and isinstance(v, str) else v
                    for c, v in zip(table["course_id"], table[col], strict=True)
                ]
        table["course_id"] = table["course_id"].map(lambda x: course_ids.get(x, x))
        table["patient_id"] = table["patient_id"].map(lambda x: patient_ids.get(x, x))
        frames["outcomes"] = table
    return {k: frames[k] for k in TABLES if k in frames}


def _ids(
    s: Any,
    actor: Actor,
    secret: str,
    course_ids: dict[str, str],
    patient_ids: dict[str, str],
    lenses: dict[str, Lens],
) -> None:
    """The ids the user sees for every patient and course, without loading their records."""
    q = select(
        PatientRow.id, PatientRow.patient_id, PatientRow.name, PatientRow.hospital_number
    ).where(analysed())
    if actor.site_codes is not None:
        q = q.where(PatientRow.site.in_(sorted(actor.site_codes)))
    by_pk: dict[int, Lens] = {}
    for pk, pid, name, number in s.execute(q):
        lens = Lens(actor, secret, pid, tuple(x for x in (name, number) if x))
        by_pk[pk] = lens
        patient_ids[pid] = lens.pid()
    index: dict[int, int] = {}
    q = select(CourseRow.patient_pk, CourseRow.course_id).order_by(
        CourseRow.patient_pk, CourseRow.start_date, CourseRow.id
    )
    for patient_pk, course_id in s.execute(q):
        if patient_pk not in by_pk:
            continue
        i = index.get(patient_pk, 0)
        index[patient_pk] = i + 1
        lens = by_pk[patient_pk]
        lenses[course_id] = lens
        course_ids[course_id] = course_id if lens.identified else f"{lens.pid()}-C{i + 1}"


def _records(
    s: Any,
    actor: Actor,
    secret: str,
    out: dict[str, list[dict[str, Any]]],
    course_ids: dict[str, str],
    patient_ids: dict[str, str],
    lenses: dict[str, Lens],
) -> None:
    for p in load_patients(s, sites=actor.site_codes):
        lens = Lens.of(actor, secret, p)
        pid = lens.pid()
        patient_ids[p.patient_id] = pid
        if "patients" in out:
            prow = {"patient_id": pid, **{k: getattr(p, k) for k in COLUMNS["patients"]}}
            prow["patient_id"] = pid
            if not lens.identified:
                shifted = lens.date(p.birth_date)
                for k in IDENTIFYING:
                    prow.pop(k, None)
                prow["birth_year"] = shifted.year if shifted else None
            _scrub(lens, "patients", prow)
            out["patients"].append(prow)
        for i, c in enumerate(p.courses):
            cid = lens.course_id(c, i)
            course_ids[c.course_id] = cid
            lenses[c.course_id] = lens
            if "courses" in out:
                crow = {k: getattr(c, k) for k in COLUMNS["courses"]}
                crow.update(course_id=cid, patient_id=pid)
                for k in ("start_date", "stop_date", "followup_date"):
                    crow[k] = lens.date(crow[k])
                _scrub(lens, "courses", crow)
                out["courses"].append(crow)
            for table in ("visits", "doses", "events", "relapses"):
                if table not in out:
                    continue
                for r in getattr(c, table):
                    row = {"course_id": cid, "patient_id": pid}
                    row.update({k: getattr(r, k) for k in COLUMNS[table]})
                    row["week"] = round(weeks_between(c.start_date, r.date), 2)
                    row["date"] = lens.date(r.date)
                    _scrub(lens, table, row)
                    if table == "visits":
                        _flatten_visit(row)
                    elif table == "events":
                        _flatten_event(row)
                    out[table].append(row)


def _scrub(lens: Lens, table: str, row: dict[str, Any]) -> None:
    """Free-text columns as the user may see them (scrubbed for analysts)."""
    for col in FREE_TEXT.get(table, ()):
        if col in row:
            row[col] = lens.text(row[col])


def excluded_of(request: Request, actor: Actor) -> Any:
    """What the actor's exports leave out (consent, deletion), for the header and pages."""
    with request.app.state.store.reader() as s:
        return exclusions(s, actor.site_codes)


def _stated(response: Response, request: Request, actor: Actor) -> Response:
    """Every export says how many patients and records it leaves out, and why."""
    response.headers["X-Psoreg-Excluded"] = excluded_of(request, actor).header()
    return response


def audit_export(request: Request, actor: Actor, name: str, rows: int) -> None:
    """One audit entry for an export: who, what, how many rows, identified or not, from where."""
    with request.app.state.store.session() as s:
        audit.record(
            s,
            username=actor.username,
            action="export",
            table="exports",
            record_id=name,
            changes={"rows": (None, rows), "identified": (None, actor.identified)},
            address=actor.address,
        )


def export_response(request: Request, actor: Actor, name: str) -> Response:
    """``<table>.csv``, ``registry.xlsx`` (every table) or ``audit.csv`` (admins)."""
    if name == "audit.csv":
        if not actor.can("audit.read"):
            raise Forbidden("only administrators may export the audit log")
        with request.app.state.store.reader() as s:
            columns = (*audit.CHAINED, "prev_hash", "row_hash")
            rows = [{c: getattr(r, c) for c in columns} for r in audit.entries(s)]
        audit_export(request, actor, name, len(rows))
        return _csv(pd.DataFrame(rows), name)
    if name == "registry.xlsx":
        frames = raw_tables(request, actor)
        audit_export(request, actor, name, sum(len(df) for df in frames.values()))
        buf = io.BytesIO()
        write_workbook(frames, buf)
        return _stated(
            Response(
                buf.getvalue(),
                media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                headers={"Content-Disposition": f'attachment; filename="{name}"'},
            ),
            request,
            actor,
        )
    table = name.removesuffix(".csv")
    if not name.endswith(".csv") or table not in TABLES:
        raise NotFound(f"no export {name}; one of {', '.join(t + '.csv' for t in TABLES)}")
    if table == "outcomes":
        stored = _stored_outcomes_csv(request, actor)
        if stored is not None:
            text, rows = stored
            audit_export(request, actor, name, rows)
            return _stated(_csv_text(text, name), request, actor)
    frames = {table: raw_tables(request, actor, {table})[table]}
    audit_export(request, actor, name, len(frames[table]))
    return _stated(_csv(frames[table], name), request, actor)


def _csv(df: pd.DataFrame, name: str) -> Response:
    return _csv_text(frame_csv(df), name)


def _csv_text(text: str, name: str) -> Response:
    return Response(
        text,
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def _stored_outcomes_csv(request: Request, actor: Actor) -> tuple[str, int] | None:
    """``outcomes.csv`` straight from the stored outcomes: one query (each course's stored
    JSON row with its patient's site), one ``json.loads`` per course and the csv module; the
    same text as :func:`raw_tables` and :func:`frame_csv` give (same columns, order, value
    formats, pseudonyms and scrubbing for analysts, neutralised text). None when a course of
    the user's sites has no current stored row (then the engine computes them, as before)."""
    import csv
    import json

    from psoreg.outcomes.compiled import compiled, outcomes_version
    from psoreg.store.models import CourseOutcomeRow
    from psoreg.store.outcome_table import _analysed_courses, count_courses, session_options

    store, secret = request.app.state.store, request.app.state.secret
    with store.reader() as s:
        options = session_options(s)
        names = list(compiled(options).names)
        version = outcomes_version(options)
        q = select(
            CourseOutcomeRow.outcomes_version,
            CourseOutcomeRow.outcome.cast(String()).label("outcome"),  # the JSON text
            PatientRow.site,
        ).join(CourseRow, CourseRow.id == CourseOutcomeRow.course_pk)
        conn = s.connection()
        rows = conn.execute(_analysed_courses(q, actor.site_codes)).all()
        if len(rows) != count_courses(s, actor.site_codes) or any(r[0] != version for r in rows):
            return None
        course_ids: dict[str, str] = {}
        patient_ids: dict[str, str] = {}
        lenses: dict[str, Lens] = {}
        if not actor.identified:
            _ids(s, actor, secret, course_ids, patient_ids, lenses)
    records = [(json.loads(text), site) for _v, text, site in rows]
    records.sort(key=lambda r: r[0]["course_id"])
    scrubbed = [c for c in FREE_TEXT["outcomes"] if c in names]
    header = [*names[:2], "site", *names[2:]]
    identified = actor.identified
    out = []
    for r, site in records:
        if not identified:
            course = r["course_id"]
            lens = lenses.get(course)
            if lens is not None:
                for col in scrubbed:
                    if isinstance(r.get(col), str):
                        r[col] = lens.text(r[col])
            r["course_id"] = course_ids.get(course, course)
            r["patient_id"] = patient_ids.get(r["patient_id"], r["patient_id"])
        r["site"] = site
        # only text can be a formula; numbers, booleans and nulls go out as they are
        out.append([neutralise(v) if v.__class__ is str else v for v in map(r.get, header)])
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([neutralise(h) for h in header])
    w.writerows(out)
    return buf.getvalue(), len(records)


def dashboard_stats(table: pd.DataFrame, n_patients: int) -> dict[str, Any]:
    """Cohort figures: patients, courses, response rates, time to PASI75, relapses, by drug.

    Counted with numpy over the whole table at once (a registry has thousands of courses and a
    dozen drugs): a flag that is not recorded counts in no rate; drugs are grouped as pandas
    groups them (sorted, a course without a drug only in "all")."""
    import numpy as np

    if table.empty:
        return {"patients": n_patients, "all": None, "by_drug": {}}
    names = ("stopped", "treatment_success", "secondary_failure", "relapse", "paradoxical_event")
    flags = {col: _flag_arrays(table[col]) for col in names}
    t75 = table["week_pasi75"].to_numpy(dtype=float, na_value=np.nan)

    def block(rows: Any) -> dict[str, Any]:
        def rate(col: str) -> tuple[int, int]:
            true, known = flags[col]
            return int(true[rows].sum()), int(known[rows].sum())

        reached = t75[rows][~np.isnan(t75[rows])]
        stopped = flags["stopped"][0][rows]
        return {
            "courses": int(stopped.size),
            "ongoing": int((~stopped).sum()),
            "success": rate("treatment_success"),
            "secondary_failure": rate("secondary_failure"),
            "median_week_pasi75": float(np.median(reached)) if reached.size else None,
            "reached_pasi75": int(reached.size),
            "relapses": int(flags["relapse"][0][rows].sum()),
            "paradoxical": int(flags["paradoxical_event"][0][rows].sum()),
        }

    drug = table["drug"]
    named = drug.notna().to_numpy()
    values = drug.to_numpy(dtype=object)
    by_drug = {}
    if named.any():
        keys, codes = np.unique(values[named].astype(str), return_inverse=True)
        where = np.flatnonzero(named)
        for i, key in enumerate(keys):
            by_drug[str(key)] = block(where[codes == i])
    return {"patients": n_patients, "all": block(slice(None)), "by_drug": by_drug}


def _flag_arrays(column: pd.Series) -> tuple[Any, Any]:
    """(True, recorded) of a flag column as two numpy bool arrays (not recorded: neither)."""
    flag = column.astype("boolean")
    return flag.to_numpy(dtype=bool, na_value=False), (~flag.isna()).to_numpy()

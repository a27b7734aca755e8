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
from operator import itemgetter
from typing import Any

import pandas as pd
from fastapi import Request
from fastapi.responses import Response
from sqlalchemy import func, select

from psoreg.collector import cycle_collector_paused
from psoreg.io.spreadsheet import csv_cell, csv_uncell, frame_csv, neutralise, write_workbook
from psoreg.store import audit
from psoreg.store.deid import FREE_TEXT, pseudonym, scrub
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
    """The ids the user sees for every patient and course, without loading their records
    (Core queries, which say ``deleted_at IS NULL`` themselves)."""
    q = select(
        PatientRow.id, PatientRow.patient_id, PatientRow.name, PatientRow.hospital_number
    ).where(analysed(), PatientRow.deleted_at.is_(None))
    if actor.site_codes is not None:
        q = q.where(PatientRow.site.in_(sorted(actor.site_codes)))
    identified = actor.identified  # asked once: the same for every patient of the export
    by_pk: dict[int, tuple[Lens, str]] = {}
    conn = s.connection()
    for pk, pid, name, number in conn.execute(q):
        lens = Lens(actor, secret, pid, tuple(x for x in (name, number) if x))
        shown = lens.pid()
        by_pk[pk] = (lens, shown)
        patient_ids[pid] = shown
    index: dict[int, int] = {}
    q = (
        select(CourseRow.patient_pk, CourseRow.course_id)
        .where(CourseRow.deleted_at.is_(None))
        .order_by(CourseRow.patient_pk, CourseRow.start_date, CourseRow.id)
    )
    for patient_pk, course_id in conn.execute(q):
        if patient_pk not in by_pk:
            continue
        i = index.get(patient_pk, 0)
        index[patient_pk] = i + 1
        lens, shown = by_pk[patient_pk]
        lenses[course_id] = lens
        course_ids[course_id] = course_id if identified else f"{shown}-C{i + 1}"


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
    """:func:`_stored_outcomes_text`, without the cycle collector."""
    with cycle_collector_paused():
        return _stored_outcomes_text(request, actor)


def _stored_outcomes_text(request: Request, actor: Actor) -> tuple[str, int] | None:
    """``outcomes.csv`` from the stored lines (:mod:`psoreg.store.outcome_lines`): one query
    for every course's line with its ids and site, then each line is the course id, the patient
    id and the site written before the stored cells; for analysts the ids are pseudonyms and
    the free-text cells are replaced by their scrubbed text. The same text as
    :func:`raw_tables` and :func:`frame_csv` give (same columns, order, value formats,
    pseudonyms and scrubbing for analysts, neutralised text). A current row without a line of
    this version gets one made from its JSON row now. None when a course of the user's sites
    has no current stored row (then the engine computes them, as before)."""
    import csv

    from psoreg.outcomes.compiled import compiled, outcomes_version
    from psoreg.store.models import CourseOutcomeRow as O
    from psoreg.store.outcome_lines import line_version
    from psoreg.store.outcome_table import (
        _analysed_courses,
        count_courses,
        lines_of,
        session_options,
    )

    store, secret = request.app.state.store, request.app.state.secret
    identified = actor.identified
    columns: list[Any] = [
        O.course_id,
        PatientRow.patient_id,
        PatientRow.site,
        O.csv_line,
        O.csv_spans,
        O.outcomes_version,
        O.csv_version,
        O.course_pk,
    ]
    if not identified:  # what the pseudonyms and the scrubbing need (see _ids and Lens)
        columns += [
            PatientRow.name,
            PatientRow.hospital_number,
            func.row_number().over(
                partition_by=CourseRow.patient_pk, order_by=(CourseRow.start_date, CourseRow.id)
            ),
        ]
    with store.reader() as s:
        options = session_options(s)
        names = list(compiled(options).names)
        version, current = outcomes_version(options), line_version()
        q = select(*columns).join(CourseRow, CourseRow.id == O.course_pk)
        rows = s.connection().execute(_analysed_courses(q, actor.site_codes)).all()
        if len(rows) != count_courses(s, actor.site_codes) or any(r[5] != version for r in rows):
            return None
        made = lines_of(s, [r[7] for r in rows if r[6] != current or r[3] is None])
    if made:  # lines of rows stored without one (or by other code), made now
        rows = [(*r[:3], *made[r[7]], *r[5:]) if r[7] in made else r for r in rows]
    rows.sort(key=itemgetter(0))
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerow(
        [neutralise(h) for h in [*names[:2], "site", *names[2:]]]
    )
    out = [buf.getvalue()]
    sites: dict[str | None, str] = {}
    if identified:
        for cid, pid, site, line, *_ in rows:
            if site not in sites:
                sites[site] = csv_cell(site)
            out.append(f"{csv_cell(cid)},{csv_cell(pid)},{sites[site]},{line}\n")
        return "".join(out), len(rows)
    # each patient's pseudonym (Lens.pid), its cell, and their name and hospital number (the
    # private words scrubbing masks), made once per patient
    who: dict[str, tuple[str, str, tuple[str, ...]]] = {}
    for _cid, pid, site, line, spans, _v, _c, _pk, name, number, n in rows:
        if site not in sites:
            sites[site] = csv_cell(site)
        if pid not in who:
            alias = pseudonym(secret, pid)
            who[pid] = (alias, csv_cell(alias), tuple(x for x in (name, number) if x))
        alias, alias_cell, private = who[pid]
        if spans:
            line = _scrubbed(line, spans, secret, pid, private)
        # the course's pseudonym: the patient's, numbered by start (as Lens.course_id)
        out.append(f"{csv_cell(f'{alias}-C{n}')},{alias_cell},{sites[site]},{line}\n")
    return "".join(out), len(rows)


def _scrubbed(line: str, spans: str, secret: str, patient_id: str, private: tuple[str, ...]) -> str:
    """A stored line with its free-text cells (at ``spans``, see
    :func:`psoreg.store.outcome_lines.line_of`) as the analyst sees them (:meth:`Lens.text`)."""
    parts, at = [], 0
    for span in spans.split(","):
        start, _, end = span.partition(":")
        cell = line[int(start) : int(end)]
        text = csv_uncell(cell)
        if not text:  # an empty cell (no text, or "") stays empty
            continue
        seen = scrub(secret, patient_id, text, private)
        if seen != text:  # (unchanged text: its cell stays as stored)
            parts += [line[at : int(start)], csv_cell(seen)]
            at = int(end)
    return "".join(parts) + line[at:] if parts else line


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

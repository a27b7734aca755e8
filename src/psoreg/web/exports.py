"""Exports of raw and derived data (CSV per table, one Excel workbook), and dashboard figures.

Analysts get the de-identified view: pseudonyms for patient and course ids, dates shifted per
patient, no names or hospital numbers. The audit log export is for administrators only.

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

from psoreg.io.spreadsheet import frame_csv, write_workbook
from psoreg.store import audit
from psoreg.store.errors import Forbidden, NotFound
from psoreg.store.export import load_patients, outcomes
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
    request: Request, actor: Actor, with_outcomes: bool = True
) -> dict[str, pd.DataFrame]:
    """Every table as the user may see it, plus (``with_outcomes``) the engine's per-course
    outcomes (computing them is the slow part, so a raw table's export skips it)."""
    store, secret = request.app.state.store, request.app.state.secret
    out: dict[str, list[dict[str, Any]]] = {t: [] for t in TABLES}
    course_ids: dict[str, str] = {}
    patient_ids: dict[str, str] = {}
    with store.session() as s:
        for p in load_patients(s):
            lens = Lens(actor, secret, p.patient_id)
            pid = lens.pid()
            patient_ids[p.patient_id] = pid
            prow = {"patient_id": pid, **{k: getattr(p, k) for k in COLUMNS["patients"]}}
            prow["patient_id"] = pid
            if not lens.identified:
                shifted = lens.date(p.birth_date)
                for k in IDENTIFYING:
                    prow.pop(k, None)
                prow["birth_year"] = shifted.year if shifted else None
            out["patients"].append(prow)
            for i, c in enumerate(p.courses):
                cid = lens.course_id(c, i)
                course_ids[c.course_id] = cid
                crow = {k: getattr(c, k) for k in COLUMNS["courses"]}
                crow.update(course_id=cid, patient_id=pid)
                for k in ("start_date", "stop_date", "followup_date"):
                    crow[k] = lens.date(crow[k])
                out["courses"].append(crow)
                for table in ("visits", "doses", "events", "relapses"):
                    for r in getattr(c, table):
                        row = {"course_id": cid, "patient_id": pid}
                        row.update({k: getattr(r, k) for k in COLUMNS[table]})
                        row["week"] = round(weeks_between(c.start_date, r.date), 2)
                        row["date"] = lens.date(r.date)
                        if table == "visits":
                            _flatten_visit(row)
                        elif table == "events":
                            _flatten_event(row)
                        out[table].append(row)
        table = outcomes(s) if with_outcomes else pd.DataFrame(columns=["course_id", "patient_id"])
    table = table.copy()
    table["course_id"] = table["course_id"].map(lambda x: course_ids.get(x, x))
    table["patient_id"] = table["patient_id"].map(lambda x: patient_ids.get(x, x))
    frames = {
        k: pd.DataFrame(v, columns=_columns(k, actor.identified))
        for k, v in out.items()
        if k != "outcomes"
    }
    frames["outcomes"] = table
    return frames


def export_response(request: Request, actor: Actor, name: str) -> Response:
    """``<table>.csv``, ``registry.xlsx`` (every table) or ``audit.csv`` (admins)."""
    if name == "audit.csv":
        if actor.role != "admin":
            raise Forbidden("only administrators may export the audit log")
        with request.app.state.store.session() as s:
            rows = [
                {
                    c: getattr(r, c)
                    for c in (
                        "id",
                        "at",
                        "username",
                        "action",
                        "table_name",
                        "record_id",
                        "field",
                        "old_value",
                        "new_value",
                        "reason",
                    )
                }
                for r in audit.entries(s)
            ]
        return _csv(pd.DataFrame(rows), name)
    frames = raw_tables(request, actor, with_outcomes=name in {"registry.xlsx", "outcomes.csv"})
    if name == "registry.xlsx":
        buf = io.BytesIO()
        write_workbook(frames, buf)
        return Response(
            buf.getvalue(),
            media_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            headers={"Content-Disposition": f'attachment; filename="{name}"'},
        )
    table = name.removesuffix(".csv")
    if not name.endswith(".csv") or table not in frames:
        raise NotFound(f"no export {name}; one of {', '.join(t + '.csv' for t in TABLES)}")
    return _csv(frames[table], name)


def _csv(df: pd.DataFrame, name: str) -> Response:
    return Response(
        frame_csv(df),
        media_type="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )


def dashboard_stats(table: pd.DataFrame, n_patients: int) -> dict[str, Any]:
    """Cohort figures: patients, courses, response rates, time to PASI75, relapses, by drug."""

    def rate(col: str, df: pd.DataFrame) -> tuple[int, int]:
        known = df[col].dropna()
        return int(known.astype("boolean").sum()), int(len(known))

    def block(df: pd.DataFrame) -> dict[str, Any]:
        t75 = df["week_pasi75"].dropna()
        return {
            "courses": len(df),
            "ongoing": int((~df["stopped"].astype("boolean").fillna(False)).sum()),
            "success": rate("treatment_success", df),
            "secondary_failure": rate("secondary_failure", df),
            "median_week_pasi75": float(t75.median()) if len(t75) else None,
            "reached_pasi75": len(t75),
            "relapses": int(df["relapse"].astype("boolean").fillna(False).sum()),
            "paradoxical": int(df["paradoxical_event"].astype("boolean").fillna(False).sum()),
        }

    if table.empty:
        return {"patients": n_patients, "all": None, "by_drug": {}}
    by_drug = {drug: block(df) for drug, df in table.groupby("drug")}
    return {"patients": n_patients, "all": block(table), "by_drug": by_drug}

"""Visit-level data: a folder of CSV files, or an Excel workbook with one sheet per table.

Tables (file ``<name>.csv`` or sheet ``<name>``): ``patients``, ``courses`` and ``assessments``
are required; ``events``, ``relapses`` and ``doses`` are optional. ``assessments`` has one row
per visit: the PASI total, or its components (``head_erythema`` … ``lower_limbs_area_percent``),
from which :func:`psoreg.scores.pasi_from_components` computes it. Dates become weeks from the
course's ``start_date``; a visit given by patient and date (no course) joins the course running
on that date (or the patient's first course, for a visit before any course: its baseline).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import ValidationError

from psoreg.cases.naranjo import NARANJO_ITEMS, NaranjoAssessment
from psoreg.cases.who_umc import WHO_UMC_QUESTIONS, WhoUmcAssessment
from psoreg.cohort import Cohort, course_row, event_row, patient_row, relapse_row
from psoreg.errors import ImportFailed, InvalidValue, RowError
from psoreg.io import cells
from psoreg.io.rows import RowReader, read_table, records
from psoreg.model import (
    Assessment,
    Course,
    DoseAdministration,
    Event,
    Patient,
    PriorTherapy,
    RelapseEpisode,
)
from psoreg.scores import dlqi as score_dlqi
from psoreg.scores import pasi_from_components

REGIONS = ("head", "upper_limbs", "trunk", "lower_limbs")
SIGNS = ("erythema", "induration", "desquamation")
PASI_COMPONENTS = tuple(f"{r}_{f}" for r in REGIONS for f in (*SIGNS, "area_percent", "area_score"))

COLUMNS: dict[str, dict[str, str]] = {
    "patients": {
        "patient": "pseudonymous patient id (required)",
        "sex": "M, F, other or unknown",
        "birth_year": "year of birth",
        "age_years": "age at the first course (if no birth year)",
        "ethnicity": "free text",
        "weight_kg": "kg",
        "psoriasis_type": "phenotype(s), ';'-separated, or a history like 'pustular then plaque'",
        "psoriatic_arthritis": "yes/no",
        "onset_year": "year psoriasis began",
        "disease_duration_years": "years since onset at the first course (if no onset year)",
        "comorbidities": "';'-separated",
        "biologic_naive": "yes/no",
        "prior_phototherapy": "yes/no",
        "prior_systemics": "';'-separated",
    },
    "courses": {
        "course": "course id, unique in the file (required)",
        "patient": "patient id (required)",
        "drug": "biologic, generic or brand name (required)",
        "regimen": "as given",
        "start_date": "date of the first dose, YYYY-MM-DD",
        "stop_date": "date of stopping (empty = ongoing)",
        "stop_week": "weeks from the first dose to stopping (instead of stop_date)",
        "stop_reason": "inefficacy, secondary failure, adverse event, paradoxical event, "
        "remission, cost or access, patient choice, other",
        "followup_date": "last date the patient's status is known",
        "followup_week": "last week the patient's status is known",
        "baseline_pasi": "PASI at the first dose (else taken from the visits)",
        "baseline_dlqi": "DLQI at the first dose",
        "next_treatment": "what was given next",
    },
    "assessments": {
        "course": "course id (or give patient and date)",
        "patient": "patient id, to match the course by date",
        "week": "weeks from the first dose",
        "date": "visit date, YYYY-MM-DD",
        "pasi": "PASI total 0–72 (or the components)",
        **{c: "PASI component" for c in PASI_COMPONENTS},
        "bsa": "body surface area, %",
        "dlqi": "DLQI total 0–30 (or the answers)",
        **{
            f"dlqi_{n}": f"DLQI item {n}: very_much, a_lot, a_little, not_at_all, not_relevant"
            + (" (item 7: yes instead of very_much)" if n == 7 else "")
            for n in range(1, 11)
        },
        "pga": "PGA 0–5",
    },
    "events": {
        "course": "course id (required)",
        "kind": "adverse or paradoxical (required)",
        "week": "onset, weeks from the first dose",
        "date": "onset date",
        "morphology": "';'-separated morphologies",
        "sites": "free text",
        "bsa": "%",
        "management": "free text",
        "drug_continued": "yes/no",
        "description": "free text",
        **{
            f"naranjo_{i.key}": f"Naranjo item {i.number}: yes, no or unknown"
            for i in NARANJO_ITEMS
        },
        **{f"who_umc_{k}": f"WHO-UMC: {allowed}" for k, (_, allowed) in WHO_UMC_QUESTIONS.items()},
    },
    "doses": {
        "course": "course id (required)",
        "week": "weeks from the first dose",
        "date": "date given",
        "dose_mg": "dose in mg (required)",
    },
    "relapses": {
        "course": "course id (required)",
        "weeks_after_stop": "weeks from stopping to the relapse",
        "date": "date of the relapse",
        "morphology": "';'-separated morphologies",
        "treatment": "what was given for it",
    },
}
REQUIRED = {
    "patients": ["patient"],
    "courses": ["course", "patient", "drug"],
    "assessments": [],
    "events": ["course", "kind"],
    "relapses": ["course"],
    "doses": ["course", "dose_mg"],
}


def _tables(path: Path) -> dict[str, pd.DataFrame]:
    if path.is_dir():
        found = {p.stem.lower(): p for p in path.glob("*.csv")}
        return {name: read_table(found[name]) for name in COLUMNS if name in found}
    if path.suffix.lower() in {".xlsx", ".xlsm"}:
        sheets = pd.ExcelFile(path).sheet_names
        return {s.lower(): read_table(path, sheet=s) for s in sheets if s.lower() in COLUMNS}
    raise ImportFailed(
        str(path), [RowError(None, None, "expected a folder of CSV files or a .xlsx workbook")]
    )


def _weeks(d: dt.date, start: dt.date) -> float:
    return (d - start).days / 7


def read_visits(path: Path | str) -> Cohort:
    """Read visit-level data; raise :class:`ImportFailed` naming every bad row and column."""
    path = Path(path)
    tables = _tables(path)
    errors: list[RowError] = []
    missing = [t for t in ("patients", "courses", "assessments") if t not in tables]
    if missing:
        raise ImportFailed(
            str(path),
            [
                RowError(
                    None,
                    None,
                    f"missing table(s): {', '.join(missing)} (a CSV file or sheet of that name)",
                )
            ],
        )
    readers = {name: RowReader(path, name) for name in tables}
    for name, df in tables.items():
        readers[name].check_columns(df, COLUMNS[name], REQUIRED[name])
    if any(r.errors for r in readers.values()):
        raise ImportFailed(str(path), [e for r in readers.values() for e in _tagged(r)])

    patients = _read_patients(tables["patients"], readers["patients"])
    courses = _read_courses(tables["courses"], readers["courses"], patients)
    assessments = _read_assessments(
        tables["assessments"], readers["assessments"], courses, patients
    )
    events = _read_events(tables.get("events"), readers.get("events"), courses)
    relapses = _read_relapses(tables.get("relapses"), readers.get("relapses"), courses)
    doses = _read_per_course(tables.get("doses"), readers.get("doses"), courses, _dose)
    for r in readers.values():
        errors.extend(_tagged(r))
    if errors:
        raise ImportFailed(str(path), errors)

    first_start = _first_starts(courses)
    pat_rows = []
    for pid, p in patients.items():
        row = patient_row(p)
        start = first_start.get(pid)
        if row["age_years"] is None and p.birth_year and start:
            row["age_years"] = start.year - p.birth_year
        if row["disease_duration_years"] is None and p.onset_year and start:
            row["disease_duration_years"] = start.year - p.onset_year
        pat_rows.append(row)
    return Cohort(
        patients=pd.DataFrame(pat_rows),
        courses=pd.DataFrame([course_row(c) for c, _ in courses.values()]),
        assessments=pd.DataFrame(assessments),
        doses=pd.DataFrame(doses, columns=["course_id", "week", "dose_mg"]),
        events=pd.DataFrame(events),
        relapses=pd.DataFrame(relapses),
        kind="visits",
    )


def _tagged(r: RowReader) -> list[RowError]:
    table = r.path.rsplit("[", 1)[-1].rstrip("]")
    return [
        RowError(e.row, f"{table}.{e.column}" if e.column else table, e.message) for e in r.errors
    ]


def _first_starts(courses: dict[str, tuple[Course, dt.date | None]]) -> dict[str, dt.date]:
    out: dict[str, dt.date] = {}
    for c, start in courses.values():
        if start and (c.patient_id not in out or start < out[c.patient_id]):
            out[c.patient_id] = start
    return out


def _read_patients(df: pd.DataFrame, r: RowReader) -> dict[str, Patient]:
    out: dict[str, Patient] = {}
    for row, rec in records(df):
        num = {
            c: r.cell(row, rec, c, cells.number)
            for c in (
                "birth_year",
                "age_years",
                "weight_kg",
                "onset_year",
                "disease_duration_years",
            )
        }
        flag = {
            c: r.cell(row, rec, c, cells.boolean)
            for c in ("psoriatic_arthritis", "biologic_naive", "prior_phototherapy")
        }
        kind = cells.text(rec.get("psoriasis_type"))
        data = {
            "patient_id": cells.text(rec.get("patient")),
            "sex": cells.text(rec.get("sex")),
            "birth_year": cells.whole(num["birth_year"]),
            "age_years": num["age_years"],
            "ethnicity": cells.text(rec.get("ethnicity")),
            "weight_kg": num["weight_kg"],
            "phenotypes": None if kind is None or " then " in kind else kind,
            "phenotype_history": kind,
            "psoriatic_arthritis": flag["psoriatic_arthritis"],
            "onset_year": cells.whole(num["onset_year"]),
            "disease_duration_years": num["disease_duration_years"],
            "comorbidities": cells.items(rec.get("comorbidities")),
            "biologic_naive": flag["biologic_naive"],
            "had_prior_phototherapy": flag["prior_phototherapy"],
            "prior_systemics": tuple(
                PriorTherapy(agent=a) for a in cells.items(rec.get("prior_systemics"))
            ),
        }
        p = r.model(
            row,
            Patient,
            {k: v for k, v in data.items() if v is not None},
            {"patient_id": "patient", "phenotypes": "psoriasis_type"},
        )
        if p is None:
            continue
        if p.patient_id in out:
            r.error(row, "patient", f"patient {p.patient_id} appears twice")
        out[p.patient_id] = p
    return out


def _read_courses(
    df: pd.DataFrame, r: RowReader, patients: dict[str, Patient]
) -> dict[str, tuple[Course, dt.date | None]]:
    out: dict[str, tuple[Course, dt.date | None]] = {}
    for row, rec in records(df):
        start = r.cell(row, rec, "start_date", cells.date)
        stop = r.cell(row, rec, "stop_date", cells.date)
        follow = r.cell(row, rec, "followup_date", cells.date)
        num = {
            c: r.cell(row, rec, c, cells.number)
            for c in ("stop_week", "followup_week", "baseline_pasi", "baseline_dlqi")
        }
        stop_week = num["stop_week"]
        follow_week = num["followup_week"]
        for col, d in (("stop_date", stop), ("followup_date", follow)):
            if d is not None and start is None:
                r.error(row, "start_date", f"required when {col} is given")
        if stop is not None and start is not None and stop >= start:
            stop_week = _weeks(stop, start)
        if follow is not None and start is not None and follow >= start:
            follow_week = _weeks(follow, start)
        if follow is not None and start is not None and follow < start:
            r.error(row, "followup_date", f"{follow} is before start_date {start}")
            follow_week = None
        pid = cells.text(rec.get("patient"))
        data = {
            "course_id": cells.text(rec.get("course")),
            "patient_id": pid,
            "drug": cells.text(rec.get("drug")),
            "regimen": cells.text(rec.get("regimen")),
            "start_date": start,
            "stop_date": stop,
            "stop_week": stop_week,
            "stop_reason": cells.text(rec.get("stop_reason")),
            "followup_week": follow_week,
            "baseline_pasi": num["baseline_pasi"],
            "baseline_dlqi": cells.whole(num["baseline_dlqi"]),
            "next_treatment": cells.text(rec.get("next_treatment")),
        }
        c = r.model(
            row,
            Course,
            {k: v for k, v in data.items() if v is not None},
            {"course_id": "course", "patient_id": "patient"},
        )
        if c is None:
            continue
        if pid not in patients:
            r.error(row, "patient", f"patient {pid} is not in the patients table")
        if c.course_id in out:
            r.error(row, "course", f"course {c.course_id} appears twice")
        p = patients.get(pid or "")
        if p and p.birth_year and start and start.year < p.birth_year:
            r.error(row, "start_date", f"{start} is before the patient's birth year {p.birth_year}")
        out[c.course_id] = (c, start)
    return out


def _when(
    r: RowReader,
    row: int,
    rec: dict[str, Any],
    course: tuple[Course, dt.date | None] | None,
    week_col: str = "week",
) -> float | None:
    """Weeks from the course's first dose, from the row's week or date."""
    week = r.cell(row, rec, week_col, cells.number)
    d = r.cell(row, rec, "date", cells.date)
    if week is not None:
        if week < 0:
            r.error(
                row,
                week_col,
                f"expected weeks from 0 to 5200, got {week:g} (a visit "
                "before the first dose is entered with its date)",
            )
            return None
        return week
    if d is None:
        r.error(row, week_col, "give the week or the date")
        return None
    if course is None:
        return None
    start = course[1]
    if start is None:
        r.error(row, "date", f"course {course[0].course_id} has no start_date; give the week")
        return None
    return _weeks(d, start)


def _course_for(
    r: RowReader,
    row: int,
    rec: dict[str, Any],
    courses: dict[str, tuple[Course, dt.date | None]],
    patients: dict[str, Patient],
) -> tuple[Course, dt.date | None] | None:
    cid = cells.text(rec.get("course"))
    if cid is not None:
        if cid not in courses:
            r.error(row, "course", f"course {cid} is not in the courses table")
            return None
        return courses[cid]
    pid = cells.text(rec.get("patient"))
    d = r.cell(row, rec, "date", cells.date)
    if pid is None or d is None:
        r.error(row, "course", "give the course, or the patient and the date")
        return None
    if pid not in patients:
        r.error(row, "patient", f"patient {pid} is not in the patients table")
        return None
    own = sorted(
        (c for c in courses.values() if c[0].patient_id == pid and c[1] is not None),
        key=lambda c: c[1],  # type: ignore[arg-type,return-value]
    )
    if not own:
        r.error(row, "patient", f"patient {pid} has no course with a start_date to match by date")
        return None
    started = [c for c in own if c[1] <= d]  # type: ignore[operator]
    return started[-1] if started else own[0]


def _read_assessments(
    df: pd.DataFrame,
    r: RowReader,
    courses: dict[str, tuple[Course, dt.date | None]],
    patients: dict[str, Patient],
) -> list[dict[str, Any]]:
    out = []
    comp_cols = [c for c in PASI_COMPONENTS if c in df.columns]
    for row, rec in records(df):
        course = _course_for(r, row, rec, courses, patients)
        week = _when(r, row, rec, course)
        total = r.cell(row, rec, "pasi", cells.number)
        comps = {c: r.cell(row, rec, c, cells.number) for c in comp_cols}
        given = {
            k: cells.whole(v) if not k.endswith("percent") else v
            for k, v in comps.items()
            if v is not None
        }
        if given:
            try:
                computed = pasi_from_components(**given).total
            except InvalidValue as exc:
                r.error(row, exc.field, f"got {exc.value!r}; expected {exc.allowed}")
                computed = None
            if computed is not None and total is not None and abs(float(computed) - total) > 0.05:
                r.error(
                    row,
                    "pasi",
                    f"total {total:g} differs from the components' {float(computed):.1f}",
                )
            total = float(computed) if computed is not None else total
        dlqi_total = cells.whole(r.cell(row, rec, "dlqi", cells.number))
        answers = [cells.text(rec.get(f"dlqi_{n}")) for n in range(1, 11)]
        if any(a is not None for a in answers):
            dlqi_total = _dlqi_from_answers(r, row, answers, dlqi_total)
        d = r.cell(row, rec, "date", cells.date)
        p = patients.get(course[0].patient_id) if course else None
        if d is not None and p is not None and p.birth_year and d.year < p.birth_year:
            r.error(row, "date", f"{d} is before the patient's birth year {p.birth_year}")
            continue
        a = r.model(
            row,
            Assessment,
            cells.drop_none(
                course_id=course[0].course_id if course else None,
                week=week if week is not None and week >= 0 else None,
                date=d,
                pasi=total,
                bsa=r.cell(row, rec, "bsa", cells.number),
                dlqi=dlqi_total,
                pga=cells.whole(r.cell(row, rec, "pga", cells.number)),
            ),
            {},
        )
        if a is not None and course is not None and week is not None:
            out.append(
                {
                    "course_id": a.course_id,
                    "week": week,
                    "pasi": a.pasi,
                    "bsa": a.bsa,
                    "dlqi": a.dlqi,
                    "pga": a.pga,
                }
            )
    return out


def _read_events(df: pd.DataFrame | None, r: RowReader | None, courses: dict) -> list[dict]:
    return _read_per_course(df, r, courses, _event)


def _read_relapses(df: pd.DataFrame | None, r: RowReader | None, courses: dict) -> list[dict]:
    return _read_per_course(df, r, courses, _relapse)


def _read_per_course(
    df: pd.DataFrame | None, r: RowReader | None, courses: dict, make: Callable[..., dict | None]
) -> list[dict]:
    if df is None or r is None:
        return []
    out = []
    for row, rec in records(df):
        cid = cells.text(rec.get("course"))
        if cid not in courses:
            r.error(row, "course", f"course {cid} is not in the courses table")
            continue
        item = make(r, row, rec, courses[cid])
        if item is not None:
            out.append(item)
    return out


def _dlqi_from_answers(r: RowReader, row: int, answers: list, total: Any) -> int | None:
    """DLQI from its 10 answers by the Cardiff rules, checked against a total given beside it."""
    try:
        result = score_dlqi(answers)
    except InvalidValue as exc:
        r.error(
            row, exc.field.replace("dlqi.q", "dlqi_"), f"got {exc.value!r}; expected {exc.allowed}"
        )
        return None
    if result.total is None:
        r.error(row, "dlqi_1", result.reason or "not scored")
    elif total is not None and total != result.total:
        r.error(row, "dlqi", f"total {total} differs from the answers' {result.total}")
    return result.total


def _causality(r: RowReader, row: int, rec: dict) -> None:
    """Naranjo and WHO-UMC answers, checked item by item (the outcome engine does not use them)."""
    for prefix, model in (("naranjo_", NaranjoAssessment), ("who_umc_", WhoUmcAssessment)):
        given = {
            k.removeprefix(prefix): cells.text(v)
            for k, v in rec.items()
            if k.startswith(prefix) and cells.text(v) is not None
        }
        if not given:
            continue
        try:
            model(**given)
        except ValidationError as exc:
            for e in exc.errors():
                field = f"{prefix}{e['loc'][0]}" if e["loc"] else prefix.rstrip("_")
                msg = str(e["msg"]).removeprefix("Value error, ").split(": ", 1)[-1]
                r.error(row, field, msg)


def _event(r: RowReader, row: int, rec: dict, course: tuple[Course, dt.date | None]) -> dict | None:
    week = _when(r, row, rec, course)
    _causality(r, row, rec)
    ev = r.model(
        row,
        Event,
        cells.drop_none(
            course_id=course[0].course_id,
            kind=cells.text(rec.get("kind")),
            week=week,
            morphology=cells.items(rec.get("morphology")),
            sites=cells.text(rec.get("sites")),
            bsa=r.cell(row, rec, "bsa", cells.number),
            management=cells.text(rec.get("management")),
            drug_continued=r.cell(row, rec, "drug_continued", cells.boolean),
            description=cells.text(rec.get("description")),
        ),
        {},
    )
    return event_row(ev, week) if ev is not None and week is not None else None


def _relapse(
    r: RowReader, row: int, rec: dict, course: tuple[Course, dt.date | None]
) -> dict | None:
    c, start = course
    after = r.cell(row, rec, "weeks_after_stop", cells.number)
    d = r.cell(row, rec, "date", cells.date)
    if c.stop_week is None:
        r.error(row, "course", f"course {c.course_id} has not stopped; a relapse follows a stop")
        return None
    if after is None and d is not None:
        if start is None:
            r.error(row, "date", f"course {c.course_id} has no start_date; give weeks_after_stop")
            return None
        after = _weeks(d, start) - c.stop_week
        if after < 0:
            r.error(row, "date", f"{d} is before the course stopped")
            return None
    ep = r.model(
        row,
        RelapseEpisode,
        cells.drop_none(
            course_id=c.course_id,
            weeks_after_stop=after,
            morphology=cells.items(rec.get("morphology")),
            treatment=cells.text(rec.get("treatment")),
        ),
        {},
    )
    return relapse_row(ep, after) if ep is not None and after is not None else None


def _dose(r: RowReader, row: int, rec: dict, course: tuple[Course, dt.date | None]) -> dict | None:
    week = _when(r, row, rec, course)
    d = r.model(
        row,
        DoseAdministration,
        cells.drop_none(
            course_id=course[0].course_id,
            week=week,
            dose_mg=r.cell(row, rec, "dose_mg", cells.number),
        ),
        {},
    )
    return None if d is None else {"course_id": d.course_id, "week": week, "dose_mg": d.dose_mg}

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
from psoreg.io.rows import Problems, RowReader
from psoreg.io.source import ReadOptions, Sheet, check_readable, open_table, workbook_sheets
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
        "site": "the registry's site (centre) code, for --by site",
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
        "birth_date": "date of birth, YYYY-MM-DD (gives birth_year and the exact age)",
        "phenotypes": "';'-separated phenotypes (as the registry exports them)",
        "phenotype_history": "a history such as 'pustular then plaque'",
        "name": "identifying; not read (the registry's identified export)",
        "hospital_number": "identifying; not read (the registry's identified export)",
        **{
            c: "consent, as the registry exports it; not read (withdrawn patients are never "
            "exported)"
            for c in ("consent_date", "consent_version", "consent_scope", "consent_withdrawn_date")
        },
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
        "patient": "patient id (checked against the course's)",
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
        "patient": "patient id (checked against the course's)",
    },
    "relapses": {
        "course": "course id (required)",
        "weeks_after_stop": "weeks from stopping to the relapse",
        "date": "date of the relapse",
        "morphology": "';'-separated morphologies",
        "treatment": "what was given for it",
        "week": "weeks from the course's first dose (instead of weeks_after_stop)",
        "patient": "patient id (checked against the course's)",
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


#: Column names of the registry's own exports (``/export/registry.xlsx``), read as these.
ALIASES = {"patient_id": "patient", "course_id": "course"}
#: Table names of the registry's own exports, read as these.
TABLE_ALIASES = {"visits": "assessments"}
#: Columns of a patient row that identify a person: accepted, never read.
IDENTIFYING = ("name", "hospital_number")
#: A row's week and the week its date gives may differ by this much (exports round to 0.01).
WEEK_TOLERANCE = 0.01

CourseInfo = tuple[Course, dt.date | None]


def _table_name(stem: str) -> str | None:
    name = stem.strip().lower()
    name = TABLE_ALIASES.get(name, name)
    return name if name in COLUMNS else None


def _sheets(path: Path, options: ReadOptions) -> dict[str, Sheet]:
    """The tables of a folder of CSV files or of a workbook, by table name."""
    found: dict[str, list[tuple[str, Any]]] = {}
    if path.is_dir():
        for f in sorted(path.iterdir()):
            if f.suffix.lower() in {".csv", ".txt", ".xlsx"} and (t := _table_name(f.stem)):
                found.setdefault(t, []).append((f.name, f))
    else:
        kind = check_readable(path, str(path))
        if kind != "xlsx":
            raise ImportFailed(
                str(path),
                [RowError(None, None, "expected a folder of CSV files or a .xlsx workbook")],
            )
        for s in workbook_sheets(path, str(path)):
            if t := _table_name(s):
                found.setdefault(t, []).append((s, s))
    twice = {t: names for t, names in found.items() if len(names) > 1}
    if twice:
        raise ImportFailed(
            str(path),
            [
                RowError(None, None, f"table {t} is given twice: {', '.join(n for n, _ in v)}")
                for t, v in twice.items()
            ],
        )
    out = {}
    for t, [(name, where)] in found.items():
        if path.is_dir():
            out[t] = open_table(where, options, label=str(where))
        else:
            out[t] = open_table(path, options, sheet=where, label=f"{path} [{name}]")
    return out


def _weeks(d: dt.date, start: dt.date) -> float:
    return (d - start).days / 7


def read_visits(path: Path | str, options: ReadOptions | None = None) -> Cohort:
    """Read visit-level data; raise :class:`ImportFailed` naming every bad row and column."""
    path = Path(path)
    options = options or ReadOptions()
    sheets = _sheets(path, options)
    missing = [t for t in ("patients", "courses", "assessments") if t not in sheets]
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
    problems = Problems(str(path))
    readers = {name: RowReader(sh, problems, options, table=name) for name, sh in sheets.items()}
    for name, r in readers.items():
        r.use_aliases(ALIASES)
        r.check_columns(COLUMNS[name], REQUIRED[name])
    _check_assessment_columns(readers["assessments"])
    for name in ("events", "doses"):
        if name in readers and not {"week", "date"} & set(readers[name].columns):
            readers[name].error(None, "week", "required column is missing (give week or date)")
    problems.raise_if_any()

    patients, births = _read_patients(readers["patients"])
    courses = _read_courses(readers["courses"], patients, births)
    assessments = _read_assessments(readers["assessments"], courses, patients, births)
    events = _read_per_course(readers.get("events"), courses, _event, births)
    relapses = _read_per_course(readers.get("relapses"), courses, _relapse, births)
    doses = _read_per_course(readers.get("doses"), courses, _dose, births)
    for name in ("patients", "courses", "assessments"):
        readers[name].require_rows()
    problems.raise_if_any()

    first_start = _first_starts(courses)
    pat_rows = []
    for pid, p in patients.items():
        row = patient_row(p)
        start = first_start.get(pid)
        born = births.get(pid)
        if row["age_years"] is None and born is not None and start:
            age = (start - born).days / 365.25  # as the registry computes it
            row["age_years"] = age if 0 <= age <= 120 else None
        elif row["age_years"] is None and p.birth_year and start:
            row["age_years"] = start.year - p.birth_year
        if row["disease_duration_years"] is None and p.onset_year and start:
            row["disease_duration_years"] = start.year - p.onset_year
        pat_rows.append(row)
    notes = [n for sh in sheets.values() for n in sh.notes]
    return Cohort(
        patients=pd.DataFrame(pat_rows),
        courses=pd.DataFrame([course_row(c) for c, _ in courses.values()]),
        assessments=pd.DataFrame(assessments),
        doses=pd.DataFrame(doses, columns=["course_id", "week", "dose_mg"]),
        events=pd.DataFrame(events),
        relapses=pd.DataFrame(relapses),
        kind="visits",
        source_notes=[*notes, *options.describe()],
    )


def _check_assessment_columns(r: RowReader) -> None:
    cols = set(r.columns)
    if not {"week", "date"} & cols:
        r.error(None, "week", "required column is missing (give week or date)")
    if not {"course", "patient"} & cols:
        r.error(None, "course", "required column is missing (give course, or patient and date)")
    comps = [c for c in PASI_COMPONENTS if c in cols]
    if "pasi" not in cols and not comps:
        r.error(None, "pasi", "required column is missing (give pasi, or the 16 PASI components)")
    if comps:
        for region in REGIONS:
            need = [f"{region}_{s}" for s in SIGNS]
            lacking = [c for c in need if c not in cols]
            if not {f"{region}_area_percent", f"{region}_area_score"} & cols:
                lacking.append(f"{region}_area_percent")
            for c in lacking:
                r.error(None, c, "required column is missing (the PASI components come as a set)")


def _first_starts(courses: dict[str, CourseInfo]) -> dict[str, dt.date]:
    out: dict[str, dt.date] = {}
    for c, start in courses.values():
        if start and (c.patient_id not in out or start < out[c.patient_id]):
            out[c.patient_id] = start
    return out


def _day(r: RowReader, row: int, rec: dict[str, Any], column: str) -> dt.date | None:
    """A date cell, refused when it lies in the future."""
    d = r.cell(row, rec, column, cells.date)
    return r.cell(row, {column: d}, column, cells.not_future) if d is not None else None


def _before_birth(d: dt.date | None, p: Patient | None, born: dt.date | None) -> str | None:
    if d is None or p is None:
        return None
    if born is not None and d < born:
        return f"{d} is before the patient's birth ({born})"
    if p.birth_year and d.year < p.birth_year:
        return f"{d} is before the patient's birth year {p.birth_year}"
    return None


def _read_patients(r: RowReader) -> tuple[dict[str, Patient], dict[str, dt.date]]:
    out: dict[str, Patient] = {}
    births: dict[str, dt.date] = {}
    rows: dict[str, int] = {}
    for row, rec in r.records():
        num = {
            c: r.cell(row, rec, c, r.number)
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
        born = _day(r, row, rec, "birth_date")
        birth_year = cells.whole(num["birth_year"])
        if born is not None:
            if birth_year is not None and birth_year != born.year:
                r.error(row, "birth_year", f"{birth_year:g} differs from birth_date {born}")
            birth_year = born.year
        for col in ("birth_year", "onset_year"):
            year = num[col]
            if year is not None and year > dt.date.today().year:
                r.error(row, col, f"{year:g} is in the future")
        kind = r.cell(row, rec, "psoriasis_type", cells.text)
        phenotypes = r.cell(row, rec, "phenotypes", cells.text)
        history = r.cell(row, rec, "phenotype_history", cells.text)
        if kind is not None:
            phenotypes = phenotypes or (None if " then " in kind else kind)
            history = history or kind
        data = {
            "patient_id": r.cell(row, rec, "patient", cells.text),
            "site": r.cell(row, rec, "site", cells.text),
            "sex": r.cell(row, rec, "sex", cells.text),
            "birth_year": birth_year,
            "age_years": num["age_years"],
            "ethnicity": r.cell(row, rec, "ethnicity", cells.text),
            "weight_kg": num["weight_kg"],
            "phenotypes": phenotypes,
            "phenotype_history": history,
            "psoriatic_arthritis": flag["psoriatic_arthritis"],
            "onset_year": cells.whole(num["onset_year"]),
            "disease_duration_years": num["disease_duration_years"],
            "comorbidities": r.cell(row, rec, "comorbidities", cells.items),
            "biologic_naive": flag["biologic_naive"],
            "had_prior_phototherapy": flag["prior_phototherapy"],
            "prior_systemics": tuple(
                PriorTherapy(agent=a)
                for a in r.cell(row, rec, "prior_systemics", cells.items) or ()
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
            first = rows[p.patient_id]
            r.error(
                row, "patient", f"patient {p.patient_id} appears twice (rows {first} and {row})"
            )
            continue
        out[p.patient_id] = p
        rows[p.patient_id] = row
        if born is not None:
            births[p.patient_id] = born
    return out, births


def _read_courses(
    r: RowReader, patients: dict[str, Patient], births: dict[str, dt.date]
) -> dict[str, CourseInfo]:
    out: dict[str, CourseInfo] = {}
    rows: dict[str, int] = {}
    for row, rec in r.records():
        start = _day(r, row, rec, "start_date")
        stop = _day(r, row, rec, "stop_date")
        follow = _day(r, row, rec, "followup_date")
        num = {
            c: r.cell(row, rec, c, r.number)
            for c in ("stop_week", "followup_week", "baseline_pasi", "baseline_dlqi")
        }
        stop_week = num["stop_week"]
        follow_week = num["followup_week"]
        for col, d in (("stop_date", stop), ("followup_date", follow)):
            if d is not None and start is None:
                r.error(row, "start_date", f"required when {col} is given")
        if stop is not None and start is not None and stop >= start:
            if stop_week is not None and abs(stop_week - _weeks(stop, start)) > WEEK_TOLERANCE:
                r.error(row, "stop_week", f"{stop_week:g} disagrees with stop_date {stop}")
            stop_week = _weeks(stop, start)
        if follow is not None and start is not None and follow >= start:
            follow_week = _weeks(follow, start)
        if follow is not None and start is not None and follow < start:
            r.error(row, "followup_date", f"{follow} is before start_date {start}")
            follow_week = None
        pid = r.cell(row, rec, "patient", cells.text)
        data = {
            "course_id": r.cell(row, rec, "course", cells.text),
            "patient_id": pid,
            "drug": r.cell(row, rec, "drug", cells.text),
            "regimen": r.cell(row, rec, "regimen", cells.text),
            "start_date": start,
            "stop_date": stop,
            "stop_week": stop_week,
            "stop_reason": r.cell(row, rec, "stop_reason", cells.text),
            "followup_week": follow_week,
            "baseline_pasi": num["baseline_pasi"],
            "baseline_dlqi": cells.whole(num["baseline_dlqi"]),
            "next_treatment": r.cell(row, rec, "next_treatment", cells.text),
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
            first = rows[c.course_id]
            r.error(row, "course", f"course {c.course_id} appears twice (rows {first} and {row})")
            continue
        if why := _before_birth(start, patients.get(pid or ""), births.get(pid or "")):
            r.error(row, "start_date", why)
        out[c.course_id] = (c, start)
        rows[c.course_id] = row
    return out


def _when(
    r: RowReader,
    row: int,
    rec: dict[str, Any],
    course: CourseInfo | None,
    d: dt.date | None,
) -> float | None:
    """Weeks from the course's first dose, from the row's date (exact) or its week.

    When both are given they must agree (within :data:`WEEK_TOLERANCE`): the date wins.
    """
    week = r.cell(row, rec, "week", r.number)
    start = course[1] if course else None
    if d is not None and start is not None:
        from_date = _weeks(d, start)
        if week is not None and abs(week - from_date) > WEEK_TOLERANCE:
            r.error(row, "week", f"{week:g} disagrees with the date {d} ({from_date:.2f} weeks)")
            return None
        return from_date
    if week is not None:
        if week < 0:
            r.error(
                row,
                "week",
                f"expected weeks from 0 to 5200, got {week:g} (a visit "
                "before the first dose is entered with its date)",
            )
            return None
        return week
    if d is None:
        r.error(row, "week", "give the week or the date")
        return None
    if course is not None:
        r.error(row, "date", f"course {course[0].course_id} has no start_date; give the week")
    return None


def _course_for(
    r: RowReader,
    row: int,
    rec: dict[str, Any],
    courses: dict[str, CourseInfo],
    patients: dict[str, Patient],
    d: dt.date | None,
) -> CourseInfo | None:
    cid = r.cell(row, rec, "course", cells.text)
    pid = r.cell(row, rec, "patient", cells.text)
    if cid is not None:
        if cid not in courses:
            r.error(row, "course", f"course {cid} is not in the courses table")
            return None
        course = courses[cid]
        if pid is not None and pid != course[0].patient_id:
            r.error(row, "patient", f"{pid} is not the patient of course {cid}")
            return None
        return course
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
    r: RowReader,
    courses: dict[str, CourseInfo],
    patients: dict[str, Patient],
    births: dict[str, dt.date],
) -> list[dict[str, Any]]:
    out = []
    comp_cols = [c for c in PASI_COMPONENTS if c in r.columns]
    dlqi_cols = [f"dlqi_{n}" for n in range(1, 11)]
    has_dlqi_items = any(c in r.columns for c in dlqi_cols)
    no_pasi_column = "pasi" not in r.columns
    seen: dict[tuple[str, float], int] = {}
    for row, rec in r.records():
        d = _day(r, row, rec, "date")
        course = _course_for(r, row, rec, courses, patients, d)
        week = _when(r, row, rec, course, d)
        total = r.cell(row, rec, "pasi", r.number)
        comps = {c: r.cell(row, rec, c, r.number) for c in comp_cols}
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
        elif no_pasi_column:
            r.error(
                row,
                "pasi",
                "no PASI for this visit: the file has no pasi column and the components are "
                "blank (add a pasi column; an empty cell there means not measured)",
            )
            continue
        dlqi = cells.whole(r.cell(row, rec, "dlqi", r.number))
        if has_dlqi_items:
            dlqi = _dlqi_items(r, row, rec, dlqi_cols, dlqi)
        pid = course[0].patient_id if course else None
        if why := _before_birth(d, patients.get(pid or ""), births.get(pid or "")):
            r.error(row, "date", why)
            continue
        a = r.model(
            row,
            Assessment,
            cells.drop_none(
                course_id=course[0].course_id if course else None,
                week=week if week is not None and week >= 0 else None,
                date=d,
                pasi=total,
                bsa=r.cell(row, rec, "bsa", r.number),
                dlqi=dlqi,
                pga=cells.whole(r.cell(row, rec, "pga", r.number)),
            ),
            {},
        )
        if a is not None and course is not None and week is not None:
            key = (a.course_id or "", week)
            if key in seen:
                r.error(
                    row,
                    "week" if d is None else "date",
                    f"course {key[0]} already has a visit at week {week:g} (row {seen[key]}); "
                    "one visit per course and week",
                )
                continue
            seen[key] = row
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


def _dlqi_items(
    r: RowReader, row: int, rec: dict[str, Any], cols: list[str], total: int | float | None
) -> int | float | None:
    """The DLQI total from the questionnaire's 10 answers (Cardiff rules: two or more
    unanswered leave it unscored, which is refused, as in the registry's form), checked against
    a total given beside it. Answers are words (``a_lot``) or item scores (``2``)."""
    answers = [r.cell(row, rec, c, cells.text) for c in cols]
    if all(a is None for a in answers):
        return total
    try:
        result = score_dlqi([None if a is None else _num_or_text(a) for a in answers])
    except InvalidValue as exc:
        col = exc.field.replace("dlqi.q", "dlqi_") if exc.field.startswith("dlqi.") else "dlqi"
        r.error(row, col, f"got {exc.value!r}; expected {exc.allowed}")
        return None
    if result.total is None:
        r.error(row, "dlqi_1", result.reason or "not scored")
        return None
    if total is not None and total != result.total:
        r.error(row, "dlqi", f"total {total:g} differs from the answers' {result.total}")
    return result.total


def _num_or_text(a: str) -> Any:
    """An answer as its item score (``2``) or its words (``a_lot``)."""
    try:
        return cells.whole(cells.number(a))
    except ValueError:
        return a


def _read_per_course(
    r: RowReader | None,
    courses: dict[str, CourseInfo],
    make: Callable[..., dict | None],
    births: dict[str, dt.date],
) -> list[dict]:
    if r is None:
        return []
    out = []
    seen: dict[tuple, int] = {}
    for row, rec in r.records():
        cid = r.cell(row, rec, "course", cells.text)
        if cid not in courses:
            r.error(row, "course", f"course {cid} is not in the courses table")
            continue
        pid = r.cell(row, rec, "patient", cells.text)
        if pid is not None and pid != courses[cid][0].patient_id:
            r.error(row, "patient", f"{pid} is not the patient of course {cid}")
            continue
        item = make(r, row, rec, courses[cid])
        if item is None:
            continue
        key = tuple(sorted((k, repr(v)) for k, v in item.items()))
        if key in seen:
            r.error(
                row,
                "course",
                f"the same record as row {seen[key]} (a duplicated row would be counted twice)",
            )
            continue
        seen[key] = row
        out.append(item)
    return out


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


def _event(r: RowReader, row: int, rec: dict, course: CourseInfo) -> dict | None:
    d = _day(r, row, rec, "date")
    week = _when(r, row, rec, course, d)
    if d is not None and course[1] is not None and d < course[1]:
        r.error(row, "date", f"{d} is before the course start {course[1]}")
        return None
    _causality(r, row, rec)
    ev = r.model(
        row,
        Event,
        cells.drop_none(
            course_id=course[0].course_id,
            kind=r.cell(row, rec, "kind", cells.text),
            week=week,
            morphology=r.cell(row, rec, "morphology", cells.items),
            sites=r.cell(row, rec, "sites", cells.text),
            bsa=r.cell(row, rec, "bsa", r.number),
            management=r.cell(row, rec, "management", cells.text),
            drug_continued=r.cell(row, rec, "drug_continued", cells.boolean),
            description=r.cell(row, rec, "description", cells.text),
        ),
        {},
    )
    return event_row(ev, week) if ev is not None and week is not None else None


def _relapse(r: RowReader, row: int, rec: dict, course: CourseInfo) -> dict | None:
    c, start = course
    after = r.cell(row, rec, "weeks_after_stop", r.number)
    week = r.cell(row, rec, "week", r.number)
    d = _day(r, row, rec, "date")
    if c.stop_week is None:
        r.error(row, "course", f"course {c.course_id} has not stopped; a relapse follows a stop")
        return None
    if d is not None and start is not None:
        from_date = _weeks(d, start) - c.stop_week
        for col, given in (("weeks_after_stop", after), ("week", week)):
            stated = given if col == "weeks_after_stop" or given is None else given - c.stop_week
            if stated is not None and abs(stated - from_date) > WEEK_TOLERANCE:
                r.error(row, col, f"{given:g} disagrees with the date {d}")
                return None
        after = from_date
        if after < 0:
            r.error(row, "date", f"{d} is before the course stopped")
            return None
    elif after is None and week is not None:
        after = week - c.stop_week
    elif after is None and d is not None:
        r.error(row, "date", f"course {c.course_id} has no start_date; give weeks_after_stop")
        return None
    ep = r.model(
        row,
        RelapseEpisode,
        cells.drop_none(
            course_id=c.course_id,
            weeks_after_stop=after,
            morphology=r.cell(row, rec, "morphology", cells.items),
            treatment=r.cell(row, rec, "treatment", cells.text),
        ),
        {"weeks_after_stop": "week" if "week" in r.columns else "weeks_after_stop"},
    )
    return relapse_row(ep, after) if ep is not None and after is not None else None


def _dose(r: RowReader, row: int, rec: dict, course: CourseInfo) -> dict | None:
    d = _day(r, row, rec, "date")
    week = _when(r, row, rec, course, d)
    dose = r.model(
        row,
        DoseAdministration,
        cells.drop_none(
            course_id=course[0].course_id,
            week=week,
            dose_mg=r.cell(row, rec, "dose_mg", r.number),
        ),
        {},
    )
    if dose is None or week is None:
        return None
    return {"course_id": dose.course_id, "week": week, "dose_mg": dose.dose_mg}

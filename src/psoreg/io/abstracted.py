"""Abstracted (chart-review) data: one row per course, milestones instead of visits.

This is the form of the case series' Table 2 (week PASI75 was reached, weeks on treatment, weeks
from stopping to relapse). Rows become the same :class:`~psoreg.cohort.Cohort` tables visit-level
data fill: patients, courses, recorded *milestones* (weeks from the first dose), events and
relapse episodes, so one outcome engine serves both. Columns: see ``ABSTRACTED_COLUMNS`` and the
README's "Abstracted schema". An empty milestone cell means *not reached or not recorded*.
"""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd

from psoreg.cohort import (
    SCHEMAS,
    Cohort,
    conform,
    course_row,
    empty,
    event_row,
    patient_row,
    relapse_row,
)
from psoreg.io import cells
from psoreg.io.rows import Problems, RowReader
from psoreg.io.source import ReadOptions, open_table
from psoreg.model import Course, Event, Patient, PriorTherapy, RelapseEpisode

#: column -> what it holds (the README's schema table is generated from this).
ABSTRACTED_COLUMNS: dict[str, str] = {
    "patient": "pseudonymous patient id (required)",
    "course": "course number or id within the patient (default 1)",
    "drug": "biologic, generic or brand name (required unless given on the command line)",
    "site": "the registry's site (centre) code, for --by site",
    "age_years": "age at the start of the course, years",
    "sex": "M, F, other or unknown",
    "ethnicity": "free text",
    "weight_kg": "weight at the start, kg",
    "psoriasis_type": "phenotype, e.g. plaque, or a history such as 'pustular then plaque'",
    "psoriatic_arthritis": "yes/no",
    "disease_duration_years": "years since onset of psoriasis",
    "comorbidities": "';'-separated list",
    "biologic_naive": "yes/no",
    "prior_phototherapy": "yes/no",
    "prior_systemics": "';'-separated list of conventional systemics",
    "baseline_pasi": "PASI at the first dose, 0–72",
    "baseline_dlqi": "DLQI at the first dose, 0–30",
    "regimen": "dosing regimen as given",
    "treatment_success_week12": "the source's own judgement (checked against the derived one)",
    "pasi50_week": "first week PASI50 was reached",
    "pasi75_week": "first week PASI75 was reached",
    "pasi90_week": "first week PASI90 was reached",
    "pasi100_week": "first week PASI100 (clearance) was reached",
    "treatment_duration_weeks": "weeks on the drug (to the stop, or to data collection if ongoing)",
    "on_treatment_at_data_collection": "yes if the course is ongoing",
    "stop_reason": "why the course stopped (inefficacy, secondary failure, adverse event, …)",
    "time_to_relapse_weeks": "weeks from stopping to relapse (loss of PASI50 unless told)",
    "relapse_morphology": "';'-separated morphologies of the relapse",
    "secondary_failure_week": "week response (PASI50) was lost on therapy",
    "paradoxical_event_week": "onset week of a paradoxical event, from the first dose",
    "paradoxical_event": "description of the paradoxical event",
    "paradoxical_morphology": "';'-separated morphologies of the paradoxical event",
    "treatment_after": "what was given next",
}

MILESTONE_COLUMNS = {
    "pasi50_week": "pasi50",
    "pasi75_week": "pasi75",
    "pasi90_week": "pasi90",
    "pasi100_week": "pasi100",
    "secondary_failure_week": "secondary_failure",
}

PATIENT_FIELDS = {
    "patient_id": "patient",
    "age_years": "age_years",
    "sex": "sex",
    "weight_kg": "weight_kg",
    "disease_duration_years": "disease_duration_years",
    "phenotypes": "psoriasis_type",
}
COURSE_FIELDS = {
    "course_id": "course",
    "stop_week": "treatment_duration_weeks",
    "followup_week": "treatment_duration_weeks",
    "baseline_pasi": "baseline_pasi",
    "baseline_dlqi": "baseline_dlqi",
    "stop_reason": "stop_reason",
    "drug": "drug",
}


def _phenotypes(kind: str | None) -> tuple[str, ...]:
    if not kind:
        return ()
    words = kind.replace(" then ", ";").replace("→", ";").split(";")
    return tuple(w.strip() for w in words if w.strip())


class Columns:
    """Rows of one cohort table, kept column by column and packed into typed DataFrame chunks
    every :attr:`CHUNK` rows, so a million-row file is held compactly while it is read
    (a million dicts of Python objects would not fit in 2 GiB). Repeated text (regimens,
    morphologies) is interned: one object per distinct value."""

    CHUNK = 65_536

    def __init__(self, table: str, unique: Iterable[str] = ()) -> None:
        self.table = table
        self.unique = set(unique)
        self.data: dict[str, list[Any]] = {c: [] for c in SCHEMAS[table]}
        self.chunks: list[pd.DataFrame] = []
        self.n = 0

    def append(self, row: dict[str, Any]) -> None:
        for c, values in self.data.items():
            v = row.get(c)
            if type(v) is str and c not in self.unique:
                v = sys.intern(v)
            values.append(v)
        self.n += 1
        if self.n >= self.CHUNK:
            self._flush()

    def _flush(self) -> None:
        if self.n:
            self.chunks.append(conform(self.table, pd.DataFrame(self.data)))
            self.data = {c: [] for c in self.data}
            self.n = 0

    def frame(self) -> pd.DataFrame:
        self._flush()
        if not self.chunks:
            return empty(self.table)
        frame = pd.concat(self.chunks, ignore_index=True)
        self.chunks = []
        return frame


def read_abstracted(
    path: Path | str,
    default_drug: str | None = None,
    relapse_definition: str = "loss_of_pasi50",
    options: ReadOptions | None = None,
) -> Cohort:
    """Read an abstracted file (CSV or Excel) into a cohort; raise ImportFailed on any problem.

    ``relapse_definition`` names the definition the recorded ``time_to_relapse_weeks`` follows
    (the case series: time to lose PASI50). Rows are validated one at a time as they are read.
    """
    path = Path(path)
    options = options or ReadOptions()
    sheet = open_table(path, options)
    problems = Problems(str(path))
    r = RowReader(sheet, problems, options)
    required = ["patient"] + ([] if default_drug else ["drug"])
    r.check_columns(ABSTRACTED_COLUMNS, required)
    problems.raise_if_any()

    patients_seen: dict[str, tuple[int, int]] = {}
    patients = Columns("patients", unique=["patient_id"])
    courses = Columns("courses", unique=["course_id"])
    milestones = Columns("milestones")
    events = Columns("events")
    relapses = Columns("relapses")
    course_rows: dict[str, int] = {}
    recorded_success: dict[str, tuple[int, bool]] = {}
    for row, rec in r.records():
        num = {c: r.cell(row, rec, c, r.number) for c in _NUMERIC}
        flag = {c: r.cell(row, rec, c, cells.boolean) for c in _BOOLEAN}
        txt = {c: r.cell(row, rec, c, cells.text) for c in _TEXT}
        pid = txt["patient"]
        if pid is None:
            r.error(row, "patient", "required; expected a patient id")
            continue
        kind = txt["psoriasis_type"]
        patient = r.model(
            row,
            Patient,
            cells.drop_none(
                patient_id=pid,
                site=txt["site"],
                sex=txt["sex"],
                age_years=num["age_years"],
                ethnicity=txt["ethnicity"],
                weight_kg=num["weight_kg"],
                phenotypes=_phenotypes(kind) if kind and "then" not in kind else None,
                phenotype_history=kind,
                psoriatic_arthritis=flag["psoriatic_arthritis"],
                disease_duration_years=num["disease_duration_years"],
                comorbidities=r.cell(row, rec, "comorbidities", cells.items),
                biologic_naive=flag["biologic_naive"],
                had_prior_phototherapy=flag["prior_phototherapy"],
                prior_systemics=tuple(
                    PriorTherapy(agent=a)
                    for a in r.cell(row, rec, "prior_systemics", cells.items) or ()
                ),
            ),
            {**PATIENT_FIELDS, "phenotypes": "psoriasis_type"},
        )
        if patient is not None:
            prow = patient_row(patient)
            key = hash(tuple(prow.values()))
            if pid in patients_seen:
                first, first_key = patients_seen[pid]
                if first_key != key:
                    r.error(row, "patient", f"patient {pid} details differ from row {first}")
            else:
                patients_seen[pid] = (row, key)
                patients.append(prow)

        cid = f"{pid}-{txt['course'] or 1}"
        duration = num["treatment_duration_weeks"]
        ongoing = flag["on_treatment_at_data_collection"] is True
        stop_week = None if ongoing else duration
        course = r.model(
            row,
            Course,
            cells.drop_none(
                course_id=cid,
                patient_id=pid,
                drug=txt["drug"] or default_drug,
                regimen=txt["regimen"],
                stop_week=stop_week,
                stop_reason=txt["stop_reason"],
                followup_week=duration,
                baseline_pasi=num["baseline_pasi"],
                baseline_dlqi=cells.whole(num["baseline_dlqi"]),
                next_treatment=txt["treatment_after"],
            ),
            COURSE_FIELDS,
        )
        if cid in course_rows:
            col = "course" if "course" in r.columns else "patient"
            r.error(row, col, f"course {cid} appears twice (rows {course_rows[cid]} and {row})")
            continue
        course_rows[cid] = row
        if course is not None:
            courses.append(course_row(course))
        if flag["treatment_success_week12"] is not None:
            recorded_success[cid] = (row, flag["treatment_success_week12"])

        _check_milestones(r, row, num, duration, ongoing)
        for col, name in MILESTONE_COLUMNS.items():
            if num[col] is not None:
                milestones.append({"course_id": cid, "milestone": name, "week": num[col]})
        ttr = num["time_to_relapse_weeks"]
        relapse_morph = r.cell(row, rec, "relapse_morphology", cells.items)
        duration_unreadable = duration is None and not cells.is_blank(
            rec.get("treatment_duration_weeks")
        )  # already reported; the checks that need it are skipped
        if (ttr is not None or relapse_morph) and not duration_unreadable:
            if stop_week is None:
                col = "time_to_relapse_weeks" if ttr is not None else "relapse_morphology"
                r.error(
                    row,
                    col,
                    "a relapse needs a stopped course (treatment_duration_weeks, "
                    "and on_treatment_at_data_collection not yes)",
                )
            elif ttr is None:
                r.error(row, "time_to_relapse_weeks", "required when relapse_morphology is given")
            else:
                ep = r.model(
                    row,
                    RelapseEpisode,
                    {"course_id": cid, "weeks_after_stop": ttr, "morphology": relapse_morph},
                    {
                        "weeks_after_stop": "time_to_relapse_weeks",
                        "morphology": "relapse_morphology",
                    },
                )
                if ep is not None:
                    relapses.append(relapse_row(ep, ttr))
                    milestones.append(
                        {
                            "course_id": cid,
                            "milestone": f"relapse_{relapse_definition}",
                            "week": stop_week + ttr,
                        }
                    )
        pweek = num["paradoxical_event_week"]
        if pweek is not None or txt["paradoxical_event"]:
            ev = r.model(
                row,
                Event,
                cells.drop_none(
                    course_id=cid,
                    kind="paradoxical",
                    week=pweek,
                    morphology=r.cell(row, rec, "paradoxical_morphology", cells.items),
                    description=txt["paradoxical_event"],
                ),
                {"week": "paradoxical_event_week", "morphology": "paradoxical_morphology"},
            )
            if ev is not None:
                events.append(event_row(ev, pweek))  # type: ignore[arg-type]
    r.require_rows()
    problems.raise_if_any()

    return Cohort(
        patients=patients.frame(),
        courses=courses.frame(),
        milestones=milestones.frame(),
        events=events.frame(),
        relapses=relapses.frame(),
        kind="abstracted",
        recorded_success=recorded_success,
        source_notes=[*sheet.notes, *options.describe()],
    )


_NUMERIC = [
    "age_years",
    "weight_kg",
    "disease_duration_years",
    "baseline_pasi",
    "baseline_dlqi",
    "pasi50_week",
    "pasi75_week",
    "pasi90_week",
    "pasi100_week",
    "treatment_duration_weeks",
    "time_to_relapse_weeks",
    "secondary_failure_week",
    "paradoxical_event_week",
]
_BOOLEAN = [
    "psoriatic_arthritis",
    "biologic_naive",
    "prior_phototherapy",
    "treatment_success_week12",
    "on_treatment_at_data_collection",
]
_TEXT = [
    "patient",
    "site",
    "course",
    "drug",
    "sex",
    "ethnicity",
    "psoriasis_type",
    "regimen",
    "stop_reason",
    "paradoxical_event",
    "treatment_after",
]


def _check_milestones(
    r: RowReader, row: int, num: dict[str, float | None], duration: float | None, ongoing: bool
) -> None:
    """Milestone weeks must be non-negative, ordered (PASI50 ≤ 75 ≤ 90 ≤ 100) and on therapy."""
    order = ["pasi50_week", "pasi75_week", "pasi90_week", "pasi100_week"]
    for col in [
        *order,
        "secondary_failure_week",
        "paradoxical_event_week",
        "time_to_relapse_weeks",
    ]:
        v = num[col]
        if v is not None and (v < 0 or v > 5200):
            r.error(row, col, f"expected a week from 0 to 5200, got {v:g}")
            num[col] = None
    known = [(c, num[c]) for c in order if num[c] is not None]
    for (c1, w1), (c2, w2) in zip(known, known[1:], strict=False):
        if w2 < w1:  # type: ignore[operator]
            r.error(
                row,
                c2,
                f"week {w2:g} is before {c1} week {w1:g}; a higher response "
                "cannot be reached before a lower one",
            )
    if duration is None:
        if ongoing:
            r.error(
                row,
                "treatment_duration_weeks",
                "required for an ongoing course (weeks on treatment at data collection)",
            )
        return
    for col in [*order, "secondary_failure_week", "paradoxical_event_week"]:
        v = num[col]
        if v is not None and v > duration:
            r.error(row, col, f"week {v:g} is after the {duration:g} weeks on treatment")

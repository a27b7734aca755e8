"""Dose administrations against each drug's label schedule (``psoreg.catalogue``).

For every course with recorded doses, the schedule runs from the first dose to the stop (or the
last follow-up, or the last recorded dose); the patient's weight applies the label's weight rules
(ustekinumab > 100 kg: 90 mg). Deviations are missed, extra and different-dose administrations.
"""

from __future__ import annotations

import pandas as pd

from psoreg.catalogue import dose_deviations
from psoreg.cohort import Cohort

DEVIATION_COLUMNS = [
    "course_id", "patient_id", "drug", "kind", "week", "expected_dose", "given_dose", "message",
]  # fmt: skip


def _first(*values: object) -> float | None:
    for v in values:
        if v is not None and not pd.isna(v):  # type: ignore[arg-type]
            return float(v)  # type: ignore[arg-type]
    return None


def dose_report(cohort: Cohort, tolerance_weeks: float = 2.0) -> pd.DataFrame:
    """One row per deviation from the label schedule, for courses with recorded doses."""
    weights = cohort.patients.set_index("patient_id").weight_kg
    rows = []
    for c in cohort.courses.itertuples():
        given = cohort.doses[cohort.doses.course_id == c.course_id]
        if given.empty:
            continue
        until = _first(c.stop_week, c.followup_week, given.week.max())
        weight = _first(weights.get(c.patient_id))
        for d in dose_deviations(
            c.drug,
            list(zip(given.week.astype(float), given.dose_mg.astype(float), strict=True)),
            until_week=until,
            weight_kg=weight,
            tolerance_weeks=tolerance_weeks,
        ):
            rows.append(
                {"course_id": c.course_id, "patient_id": c.patient_id, "drug": c.drug,
                 "kind": d.kind, "week": d.week, "expected_dose": d.expected_dose,
                 "given_dose": d.given_dose, "message": d.message}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=DEVIATION_COLUMNS)

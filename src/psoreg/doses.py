"""Dose administrations against each drug's label schedule (``psoreg.catalogue``).

For every course with recorded doses, the schedule runs from the first dose to the stop (or the
last follow-up, or the last recorded dose); the patient's weight applies the label's weight rules
(ustekinumab > 100 kg: 90 mg). Deviations are missed, extra and different-dose administrations.
:class:`psoreg.outcomes.options.DoseOptions` names the choices: etanercept's induction length
(3 months = 13 weeks, Enbrel label) and whether a dose due in the stop week counts as missed
(by default it does not: stopping replaces it).
"""

from __future__ import annotations

import pandas as pd

from psoreg.catalogue import (
    ETANERCEPT_INDUCTION_WEEKS,
    Drug,
    dose_deviations,
    get_drug,
    twice_weekly_induction,
)
from psoreg.cohort import Cohort
from psoreg.outcomes.options import DoseOptions

DEVIATION_COLUMNS = [
    "course_id", "patient_id", "drug", "kind", "week", "expected_dose", "given_dose", "message",
]  # fmt: skip


def _first(*values: object) -> float | None:
    for v in values:
        if v is not None and not pd.isna(v):  # type: ignore[arg-type]
            return float(v)  # type: ignore[arg-type]
    return None


def drug_for(name: str, options: DoseOptions) -> Drug:
    """The catalogue drug, with etanercept's induction length from ``options``."""
    d = get_drug(name)
    weeks = options.etanercept_induction_weeks
    if d.name != "etanercept" or weeks == ETANERCEPT_INDUCTION_WEEKS:
        return d
    regimen = d.regimen.model_copy(update={"induction": twice_weekly_induction(weeks)})
    return d.model_copy(update={"regimen": regimen})


def dose_report(
    cohort: Cohort, tolerance_weeks: float = 2.0, options: DoseOptions | None = None
) -> pd.DataFrame:
    """One row per deviation from the label schedule, for courses with recorded doses."""
    options = options or DoseOptions()
    weights = cohort.patients.set_index("patient_id").weight_kg
    rows = []
    for c in cohort.courses.itertuples():
        given = cohort.doses[cohort.doses.course_id == c.course_id]
        if given.empty:
            continue
        until = _first(c.stop_week, c.followup_week, given.week.max())
        weight = _first(weights.get(c.patient_id))
        stop = _first(c.stop_week) if options.dose_due_at_stop == "not_missed" else None
        for d in dose_deviations(
            drug_for(c.drug, options),
            list(zip(given.week.astype(float), given.dose_mg.astype(float), strict=True)),
            until_week=until,
            weight_kg=weight,
            tolerance_weeks=tolerance_weeks,
            stop_week=stop,
        ):
            rows.append(
                {"course_id": c.course_id, "patient_id": c.patient_id, "drug": c.drug,
                 "kind": d.kind, "week": d.week, "expected_dose": d.expected_dose,
                 "given_dose": d.given_dose, "message": d.message}
            )  # fmt: skip
    return pd.DataFrame(rows, columns=DEVIATION_COLUMNS)

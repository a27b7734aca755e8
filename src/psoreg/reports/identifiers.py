"""What a report calls each patient and course.

Patient ids in psoreg data are pseudonymous but still identifiers (they link back to the source
records), so reports number patients 1..n in the order of the cohort's patients table unless
``include_identifiers`` is set. A patient's courses are numbered in start order: a single-course
patient is "3", a patient's second course "2.2".
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd

from psoreg.cohort import Cohort


@dataclass(frozen=True)
class Labels:
    """Report labels for patients and courses."""

    patient: dict[str, str]
    course: dict[str, str]
    identified: bool

    def patient_of(self, patient_id: object) -> str:
        return self.patient.get(str(patient_id), "?")

    def course_of(self, course_id: object) -> str:
        return self.course.get(str(course_id), "?")


def make_labels(cohort: Cohort, outcomes: pd.DataFrame, include_identifiers: bool) -> Labels:
    """Sequential numbers (default) or the data's own ids for patients and courses."""
    ids = [str(p) for p in cohort.patients.patient_id.dropna()]
    for p in outcomes.patient_id.astype("string").dropna():
        if str(p) not in ids:
            ids.append(str(p))
    patient = {p: (p if include_identifiers else str(i)) for i, p in enumerate(ids, start=1)}
    course: dict[str, str] = {}
    for pid, group in outcomes.groupby(outcomes.patient_id.astype(str), sort=False):
        cids = [str(c) for c in group.course_id]
        for j, cid in enumerate(cids, start=1):
            if include_identifiers:
                course[cid] = cid
            else:
                base = patient.get(str(pid), "?")
                course[cid] = base if len(cids) == 1 else f"{base}.{j}"
    return Labels(patient, course, include_identifiers)

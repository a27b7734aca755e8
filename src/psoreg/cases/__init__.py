"""Drug-induced and paradoxical psoriasis cases: records, causality, literature, comparison.

Modules:

* :mod:`~psoreg.cases.record` - :class:`CaseRecord` (pydantic v2), with :mod:`.vocab` and
  :mod:`.onset` (time to onset in days, unit as reported);
* :mod:`~psoreg.cases.naranjo` and :mod:`~psoreg.cases.who_umc` - causality, item by item
  (clinical-facts §5);
* :mod:`~psoreg.cases.registry` - :func:`cases_from_cohort`: paradoxical events of the registry;
* :mod:`~psoreg.cases.library` - the starter literature library and the user library;
  :mod:`.csv_format`, :mod:`.json_format`, :mod:`.files` - lossless CSV/JSON;
* :mod:`~psoreg.cases.compare`, :mod:`.summary`, :mod:`.render` - the Table 3 comparison;
* :mod:`~psoreg.cases.draft` - the CARE case-report draft;
* :mod:`~psoreg.cases.cli` - ``cases_app``, registered as ``psoreg cases``.

Names are imported on first use (PEP 562), so that importing :mod:`psoreg.cases.cli` for
``psoreg --help`` does not load the case models, the catalogue and pandas.
"""

from __future__ import annotations

import importlib
from typing import Any

_LAZY = {
    "Comparison": "psoreg.cases.compare",
    "Criterion": "psoreg.cases.compare",
    "TableRow": "psoreg.cases.compare",
    "compare": "psoreg.cases.compare",
    "table_row": "psoreg.cases.compare",
    "CSV_COLUMNS": "psoreg.cases.csv_format",
    "cases_from_csv": "psoreg.cases.csv_format",
    "cases_to_csv": "psoreg.cases.csv_format",
    "CARE_HEADINGS": "psoreg.cases.draft",
    "draft_case_report": "psoreg.cases.draft",
    "read_cases": "psoreg.cases.files",
    "write_cases": "psoreg.cases.files",
    "cases_from_json": "psoreg.cases.json_format",
    "cases_to_json": "psoreg.cases.json_format",
    "add_cases": "psoreg.cases.library",
    "find_case": "psoreg.cases.library",
    "load_library": "psoreg.cases.library",
    "starter_library": "psoreg.cases.library",
    "NARANJO_ITEMS": "psoreg.cases.naranjo",
    "Answer": "psoreg.cases.naranjo",
    "NaranjoAssessment": "psoreg.cases.naranjo",
    "NaranjoCategory": "psoreg.cases.naranjo",
    "TimeUnit": "psoreg.cases.onset",
    "format_onset": "psoreg.cases.onset",
    "parse_onset": "psoreg.cases.onset",
    "CaseRecord": "psoreg.cases.record",
    "Extent": "psoreg.cases.record",
    "SuspectDrug": "psoreg.cases.record",
    "Treatment": "psoreg.cases.record",
    "cases_from_cohort": "psoreg.cases.registry",
    "render_comparison": "psoreg.cases.render",
    "OnsetStats": "psoreg.cases.summary",
    "Summary": "psoreg.cases.summary",
    "summarise": "psoreg.cases.summary",
    "ChallengeResult": "psoreg.cases.vocab",
    "EventType": "psoreg.cases.vocab",
    "ManagementKind": "psoreg.cases.vocab",
    "Origin": "psoreg.cases.vocab",
    "Outcome": "psoreg.cases.vocab",
    "Route": "psoreg.cases.vocab",
    "WhoUmcAssessment": "psoreg.cases.who_umc",
    "WhoUmcCategory": "psoreg.cases.who_umc",
}

__all__ = [
    "CARE_HEADINGS",
    "CSV_COLUMNS",
    "NARANJO_ITEMS",
    "Answer",
    "CaseRecord",
    "ChallengeResult",
    "Comparison",
    "Criterion",
    "EventType",
    "Extent",
    "ManagementKind",
    "NaranjoAssessment",
    "NaranjoCategory",
    "OnsetStats",
    "Origin",
    "Outcome",
    "Route",
    "Summary",
    "SuspectDrug",
    "TableRow",
    "TimeUnit",
    "Treatment",
    "WhoUmcAssessment",
    "WhoUmcCategory",
    "add_cases",
    "cases_from_cohort",
    "cases_from_csv",
    "cases_from_json",
    "cases_to_csv",
    "cases_to_json",
    "compare",
    "draft_case_report",
    "find_case",
    "format_onset",
    "load_library",
    "parse_onset",
    "read_cases",
    "render_comparison",
    "starter_library",
    "summarise",
    "table_row",
    "write_cases",
]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        value = getattr(importlib.import_module(_LAZY[name]), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'psoreg.cases' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted(__all__)

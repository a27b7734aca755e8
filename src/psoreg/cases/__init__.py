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
"""

from psoreg.cases.compare import Comparison, Criterion, TableRow, compare, table_row
from psoreg.cases.csv_format import CSV_COLUMNS, cases_from_csv, cases_to_csv
from psoreg.cases.draft import CARE_HEADINGS, draft_case_report
from psoreg.cases.files import read_cases, write_cases
from psoreg.cases.json_format import cases_from_json, cases_to_json
from psoreg.cases.library import add_cases, find_case, load_library, starter_library
from psoreg.cases.naranjo import NARANJO_ITEMS, Answer, NaranjoAssessment, NaranjoCategory
from psoreg.cases.onset import TimeUnit, format_onset, parse_onset
from psoreg.cases.record import CaseRecord, Extent, SuspectDrug, Treatment
from psoreg.cases.registry import cases_from_cohort
from psoreg.cases.render import render_comparison
from psoreg.cases.summary import OnsetStats, Summary, summarise
from psoreg.cases.vocab import ChallengeResult, EventType, ManagementKind, Origin, Outcome, Route
from psoreg.cases.who_umc import WhoUmcAssessment, WhoUmcCategory

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

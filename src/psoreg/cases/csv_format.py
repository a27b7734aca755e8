"""Case records as CSV: one row per case, one column per field (``CSV_COLUMNS``).

Layout rules (lossless: ``read(write(cases)) == cases`` field by field):

* lists (sites, morphology, notes, management, ...) are ``;``-separated (``"trunk; limbs"``);
  a list whose items contain ``;``, start with ``[`` or are the words ``none``/``unknown`` is
  written as a JSON array instead, and any cell starting with ``[`` is read as one;
* an empty cell is *unknown*; for ``other_triggers`` and ``concomitant_drugs`` the word
  ``none`` means "none" (an empty list), as opposed to not known;
* management steps are ``kind: agent`` (``"topical: corticosteroid; switch: adalimumab"``);
* suspect drugs: ``suspect_drugs`` lists the names, ``suspect_doses`` and ``suspect_routes``
  the dose and route of each, in the same order (a JSON array with ``null`` for gaps when there
  is more than one drug);
* extent is split into ``bsa_percent``, ``pasi``, ``pppasi``, ``gppga``, ``extent_text``;
* each Naranjo answer is a ``naranjo_<item>`` column and each WHO-UMC answer a
  ``who_umc_<criterion>`` column; ``naranjo_score``, ``naranjo_category`` and
  ``who_umc_category`` are written for the reader and, when present on import, checked
  against the answers;
* ``time_to_onset`` (e.g. ``"10 weeks"``) may be given on import instead of
  ``time_to_onset_days`` and ``time_to_onset_unit``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from psoreg.cases.naranjo import NARANJO_ITEMS
from psoreg.cases.record import CaseRecord
from psoreg.cases.validation import field_errors
from psoreg.cases.who_umc import WhoUmcAssessment
from psoreg.errors import ImportFailed, RowError
from psoreg.io.source import Sheet, text_table
from psoreg.io.spreadsheet import dict_csv_text

__all__ = ["CSV_COLUMNS", "cases_from_csv", "cases_to_csv"]

_NARANJO_COLS = [f"naranjo_{item.key}" for item in NARANJO_ITEMS]
_WHO_FIELDS = list(WhoUmcAssessment.model_fields)
_WHO_COLS = [f"who_umc_{name}" for name in _WHO_FIELDS]
_EXTENT = {
    "bsa_percent": "bsa_percent",
    "pasi": "pasi",
    "pppasi": "pppasi",
    "gppga": "gppga",
    "extent_text": "description",
}

#: Every column, in the order written.
CSV_COLUMNS: tuple[str, ...] = (
    "case_id", "origin", "study", "year", "citation", "doi", "source_location", "source_text",
    "notes", "registry_patient_id", "registry_course_id",
    "age_years", "sex",
    "suspect_drugs", "suspect_doses", "suspect_routes", "indication", "concomitant_drugs",
    "time_to_onset_days", "time_to_onset_unit", "time_to_onset_approximate", "time_to_onset_text",
    "event_type", "morphology", "event_psoriatic_arthritis", "sites", "presentation",
    *_EXTENT, "dermoscopy", "histology",
    "personal_history_psoriasis", "pre_existing_phenotype", "psoriatic_arthritis_history",
    "family_history_psoriasis", "other_triggers",
    "management", "drug_stopped", "dechallenge", "rechallenge", "outcome", "outcome_text",
    *_NARANJO_COLS, "naranjo_score", "naranjo_category",
    *_WHO_COLS, "who_umc_category",
)  # fmt: skip

_LISTS = {"notes", "sites", "morphology", "pre_existing_phenotype"}
_NULLABLE_LISTS = {"other_triggers", "concomitant_drugs"}
_COMPUTED = {"naranjo_score", "naranjo_category", "who_umc_category"}
_INPUT_ONLY = {"time_to_onset"}
_SCALARS = [
    c
    for c in CSV_COLUMNS
    if c in CaseRecord.model_fields and c not in _LISTS | _NULLABLE_LISTS | {"management"}
]


# --- writing ---------------------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    return str(value.value if hasattr(value, "value") else value)


def _list_cell(items: list[str] | tuple[str, ...] | None, nullable: bool = False) -> str:
    if items is None:
        return ""
    if not items:
        return "none" if nullable else ""
    texts = [str(i) for i in items]
    if any(
        ";" in t or t.startswith("[") or t.strip().lower() in {"none", "unknown"} for t in texts
    ):
        return json.dumps(texts, ensure_ascii=False)
    return "; ".join(texts)


def _aligned_cell(values: list[str | None]) -> str:
    if len(values) == 1:
        v = values[0]
        return "" if v is None else (json.dumps([v], ensure_ascii=False) if v[:1] == "[" else v)
    if all(v is None for v in values):
        return ""
    return json.dumps(values, ensure_ascii=False)


def _row(case: CaseRecord) -> dict[str, str]:
    row = {c: _cell(getattr(case, c)) for c in _SCALARS}
    for c in _LISTS:
        row[c] = _list_cell([_cell(v) for v in getattr(case, c)])
    for c in _NULLABLE_LISTS:
        value = getattr(case, c)
        row[c] = _list_cell(None if value is None else list(value), nullable=True)
    row["management"] = _list_cell(
        [f"{t.kind.value}: {t.agent}" if t.agent else t.kind.value for t in case.management]
    )
    row["suspect_drugs"] = _list_cell([d.drug for d in case.suspect_drugs])
    row["suspect_doses"] = _aligned_cell([d.dose for d in case.suspect_drugs])
    row["suspect_routes"] = _aligned_cell(
        [d.route.value if d.route else None for d in case.suspect_drugs]
    )
    for col, attr in _EXTENT.items():
        row[col] = _cell(getattr(case.extent, attr))
    if case.naranjo is not None:
        for item, col in zip(NARANJO_ITEMS, _NARANJO_COLS, strict=True):
            row[col] = _cell(getattr(case.naranjo, item.key))
        row["naranjo_score"] = str(case.naranjo.score)
        row["naranjo_category"] = case.naranjo.category.value
    if case.who_umc is not None:
        for name, col in zip(_WHO_FIELDS, _WHO_COLS, strict=True):
            row[col] = _cell(getattr(case.who_umc, name))
        row["who_umc_category"] = case.who_umc.category.value
    return {c: row.get(c, "") for c in CSV_COLUMNS}


def cases_to_csv(cases: list[CaseRecord]) -> str:
    """The cases as CSV text, header first, columns in ``CSV_COLUMNS`` order; a cell that a
    spreadsheet would run as a formula is escaped (:mod:`psoreg.io.spreadsheet`; read back
    unchanged by :func:`cases_from_csv`)."""
    return dict_csv_text(list(CSV_COLUMNS), (_row(case) for case in cases))


# --- reading ---------------------------------------------------------------------------------


def _split(cell: str) -> list[str]:
    cell = cell.strip()
    if not cell:
        return []
    if cell.startswith("["):
        try:
            items = json.loads(cell)
        except json.JSONDecodeError as exc:
            raise ValueError(f"a cell starting with '[' must be a JSON array ({exc.msg})") from None
        if not isinstance(items, list):
            raise ValueError("expected a JSON array")
        return list(items)
    return [x.strip() for x in cell.split(";") if x.strip()]


def _aligned(cell: str, n: int) -> list[str | None]:
    cell = cell.strip()
    if not cell:
        return [None] * n
    if cell.startswith("["):
        values = _split(cell)
    elif n == 1:
        values = [cell]
    else:
        values = [x.strip() or None for x in cell.split(";")]
    if len(values) != n:
        raise ValueError(f"expected {n} value(s), one per suspect drug, got {len(values)}")
    return [None if v in (None, "") else str(v) for v in values]


def _case_data(rec: dict[str, str]) -> dict[str, Any]:
    """Raw cells -> the keyword arguments of :class:`CaseRecord` (validated there)."""
    get = {k: (v or "").strip() for k, v in rec.items()}
    data: dict[str, Any] = {c: get[c] for c in _SCALARS if get.get(c)}
    for c in _LISTS:
        if get.get(c):
            data[c] = _ColumnValue(c, _split)(get[c])
    for c in _NULLABLE_LISTS:
        cell = get.get(c, "")
        if cell.lower() == "none":
            data[c] = ()
        elif cell:
            data[c] = _ColumnValue(c, _split)(cell)
    if get.get("management"):
        data["management"] = _ColumnValue("management", _split)(get["management"])
    if get.get("time_to_onset"):
        data["time_to_onset"] = get["time_to_onset"]
    names = _ColumnValue("suspect_drugs", _split)(get.get("suspect_drugs", ""))
    doses = _ColumnValue("suspect_doses", lambda v: _aligned(v, len(names)))(
        get.get("suspect_doses", "")
    )
    routes = _ColumnValue("suspect_routes", lambda v: _aligned(v, len(names)))(
        get.get("suspect_routes", "")
    )
    data["suspect_drugs"] = [
        {"drug": n, "dose": d, "route": r} for n, d, r in zip(names, doses, routes, strict=True)
    ]
    extent = {attr: get[col] for col, attr in _EXTENT.items() if get.get(col)}
    if extent:
        data["extent"] = extent
    naranjo = {
        item.key: get[col]
        for item, col in zip(NARANJO_ITEMS, _NARANJO_COLS, strict=True)
        if get.get(col)
    }
    for extra in ("score", "category"):
        if get.get(f"naranjo_{extra}"):
            naranjo[extra] = get[f"naranjo_{extra}"]
    if naranjo:
        data["naranjo"] = naranjo
    who = {name: get[col] for name, col in zip(_WHO_FIELDS, _WHO_COLS, strict=True) if get.get(col)}
    if get.get("who_umc_category"):
        who["category"] = get["who_umc_category"]
    if who:
        data["who_umc"] = who
    return data


class _CellError(ValueError):
    def __init__(self, column: str, message: str) -> None:
        super().__init__(message)
        self.column = column


class _ColumnValue:
    """Parse one cell, tagging a failure with its column."""

    def __init__(self, column: str, parse: Any) -> None:
        self.column, self.parse = column, parse

    def __call__(self, cell: str) -> Any:
        try:
            return self.parse(cell)
        except ValueError as exc:
            raise _CellError(self.column, str(exc)) from None


def _column_of(field: str) -> str:
    """A model field path -> the CSV column holding it."""
    parts = field.split(".")
    head = parts[0]
    if head == "suspect_drugs" and len(parts) > 2:
        return {"drug": "suspect_drugs", "dose": "suspect_doses", "route": "suspect_routes"}.get(
            parts[2], "suspect_drugs"
        )
    if head == "extent" and len(parts) > 1:
        return {v: k for k, v in _EXTENT.items()}.get(parts[1], "extent_text")
    if head in {"naranjo", "who_umc"} and len(parts) > 1:
        return f"{head}_{parts[1]}"
    return head


def cases_from_csv(text: str, source: str = "<csv>") -> list[CaseRecord]:
    """Parse CSV text into case records; raise :class:`ImportFailed` listing every problem.

    Rows are numbered as a spreadsheet shows them (header = row 1). Nothing is returned unless
    every row is valid.
    """
    return cases_from_sheet(text_table(text, source))


def cases_from_sheet(sheet: Sheet) -> list[CaseRecord]:
    """The cases of a table read by the reading layer (:mod:`psoreg.io.source`)."""
    source = sheet.label
    errors: list[RowError] = []
    header = sheet.columns
    known = set(CSV_COLUMNS) | _INPUT_ONLY
    for col in header:
        if col not in known:
            errors.append(RowError(None, col, "unknown column; see CSV_COLUMNS in docs/cases.md"))
    for col in ("case_id", "suspect_drugs"):
        if col not in header:
            errors.append(RowError(None, col, "required column is missing"))
    if errors:
        raise ImportFailed(source, errors)

    cases: list[CaseRecord] = []
    seen: dict[str, int] = {}
    for row, raw in sheet.rows():
        errors.extend(sheet.errors)
        sheet.errors.clear()
        rec = {k: _cell_text(v) for k, v in raw.items()}
        try:
            data = _case_data(rec)
            case = CaseRecord(**data)
        except _CellError as exc:
            errors.append(RowError(row, exc.column, str(exc)))
            continue
        except ValidationError as exc:
            for field, message in field_errors(exc):
                errors.append(RowError(row, _column_of(field), message))
            continue
        if case.case_id in seen:
            errors.append(
                RowError(
                    row, "case_id", f"{case.case_id!r} already used in row {seen[case.case_id]}"
                )
            )
            continue
        seen[case.case_id] = row
        cases.append(case)
    errors.extend(sheet.errors)
    if not errors and sheet.data_rows == 0:
        errors.append(RowError(None, None, "no data rows: a header and no cases under it"))
    if errors:
        raise ImportFailed(source, errors)
    return cases


def _cell_text(value: Any) -> str:
    """A raw cell (CSV text, or a workbook's number/date) as the text the case fields parse."""
    if value is None:
        return ""
    if hasattr(value, "isoformat"):
        return value.isoformat()[:10]
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)

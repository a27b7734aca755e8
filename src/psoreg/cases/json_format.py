"""Case records as JSON: ``{"format": "psoreg-cases", "version": 1, "cases": [...]}``.

Each case is the record's own field structure (``CaseRecord.model_dump(mode="json")``), so the
JSON form holds every field; the Naranjo score, category and reason and the WHO-UMC category
and reason are written next to the answers for the reader and checked against them on import.
On import a bare list of cases, or a single case object, is accepted too.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import ValidationError

from psoreg.cases.record import CaseRecord
from psoreg.cases.validation import field_errors
from psoreg.errors import ImportFailed, RowError
from psoreg.io.source import parse_json

__all__ = ["FORMAT", "VERSION", "cases_from_json", "cases_to_json", "case_dicts"]

FORMAT = "psoreg-cases"
VERSION = 1


def case_dicts(cases: list[CaseRecord], compact: bool = False) -> list[dict[str, Any]]:
    """The cases as JSON-ready dicts; ``compact`` leaves out fields left at their default."""
    return [c.model_dump(mode="json", exclude_defaults=compact) for c in cases]


def cases_to_json(cases: list[CaseRecord], compact: bool = False) -> str:
    """The cases as a JSON document (UTF-8 text, indented)."""
    doc = {"format": FORMAT, "version": VERSION, "cases": case_dicts(cases, compact)}
    return json.dumps(doc, ensure_ascii=False, indent=2) + "\n"


def _items(doc: Any, source: str) -> list[Any]:
    if isinstance(doc, list):
        return doc
    if isinstance(doc, dict) and "cases" in doc:
        if doc.get("format", FORMAT) != FORMAT:
            raise ImportFailed(source, [RowError(None, "format", f"expected {FORMAT!r}")])
        if doc.get("version", VERSION) != VERSION:
            raise ImportFailed(source, [RowError(None, "version", f"expected {VERSION}")])
        if not isinstance(doc["cases"], list):
            raise ImportFailed(source, [RowError(None, "cases", "expected a list of cases")])
        return doc["cases"]
    if isinstance(doc, dict):
        return [doc]
    raise ImportFailed(source, [RowError(None, None, "expected a case, a list of cases or "
                                         f"a {FORMAT} document")])  # fmt: skip


def cases_from_json(text: str, source: str = "<json>") -> list[CaseRecord]:
    """Parse JSON text into case records; raise :class:`ImportFailed` listing every problem."""
    return cases_from_document(parse_json(text, source), source)


def cases_from_document(doc: Any, source: str) -> list[CaseRecord]:
    """Case records from a parsed JSON document (see :func:`cases_from_json`)."""
    errors: list[RowError] = []
    cases: list[CaseRecord] = []
    seen: dict[str, int] = {}
    for n, item in enumerate(_items(doc, source), start=1):
        cid = item.get("case_id") if isinstance(item, dict) else None
        where = f"case {n}" + (f" ({cid})" if cid else "")
        if not isinstance(item, dict):
            errors.append(RowError(None, None, f"{where}: expected an object"))
            continue
        try:
            case = CaseRecord(**item)
        except ValidationError as exc:
            errors.extend(RowError(None, None, f"{where}: {f}: {m}") for f, m in field_errors(exc))
            continue
        if case.case_id in seen:
            errors.append(
                RowError(
                    None,
                    None,
                    f"{where}: case_id {case.case_id!r} already used in case {seen[case.case_id]}",
                )  # fmt: skip
            )
            continue
        seen[case.case_id] = n
        cases.append(case)
    if errors:
        raise ImportFailed(source, errors)
    return cases

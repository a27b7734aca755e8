"""REDCap flat records: the registry out as import-ready records, and a flat export in.

A flat export has one row per record, event and repeating-instrument instance: ``record_id``
(psoreg's patient id), ``redcap_event_name``, ``redcap_repeat_instrument``,
``redcap_repeat_instance``, then the fields (a checkbox as one ``field___code`` column per choice)
and ``<form>_complete``. The rows are PyCap's shapes: :func:`export_records` returns what
``Project.import_records`` takes, and :func:`read_records` takes what
``Project.export_records(raw_or_label="raw"|"label")`` returns, so the same code serves files and
a real server's API.

Values may be raw codes or labels (REDCap's two export modes): a choice is matched by its code or
its label, a checkbox cell by ``1``/``0``, ``Checked``/``Unchecked`` or the choice itself. Every
problem is reported with the row (as a spreadsheet numbers it, header = row 1) and the column;
the records are then validated by :func:`psoreg.interop.records.write_registry` (the service
layer's rules) and nothing is kept unless everything is right.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from psoreg.errors import ImportFailed, RowError
from psoreg.interop.records import CourseRecords, PatientRecords, Rec
from psoreg.interop.redcap import design
from psoreg.interop.redcap.design import RECORD_KEYS, Choice, Field
from psoreg.scores import dlqi, pasi_from_components
from psoreg.store import validate as v

#: Columns REDCap may add to an export that carry no psoreg data.
IGNORED_COLUMNS = ("redcap_data_access_group", "redcap_survey_identifier")
CHECKED = {"1", "checked", "yes", "true"}
UNCHECKED = {"0", "unchecked", "no", "false"}


def _num(x: Any) -> str:
    f = float(x)
    return str(int(f)) if f.is_integer() else repr(f)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, int | float):
        return _num(value)
    return str(value)


def _key(value: Any) -> str:
    if isinstance(value, int | float) and not isinstance(value, bool):
        return _num(value)
    return str(value).strip().lower()


def _choice_for_value(f: Field, value: Any) -> Choice:
    for c in f.choices:
        if _key(c.value) == _key(value):
            return c
    raise ValueError(f"{f.name}: psoreg value {value!r} has no REDCap choice")


def record_columns(identifiers: bool = True) -> list[str]:
    """The columns of an import-ready flat file, in REDCap's order."""
    cols = list(RECORD_KEYS)
    current = None
    for f in design.fields():
        if current is not None and f.form != current:
            cols.append(f"{current}_complete")
        current = f.form
        if f.name == "record_id" or f.type == "calc" or (f.identifier and not identifiers):
            continue
        cols.extend(f.export_columns())
    cols.append(f"{current}_complete")
    return cols


def _cells(f: Field, value: Any) -> dict[str, str]:
    """One psoreg value as the REDCap cell(s) of ``f``."""
    if f.type == "checkbox":
        chosen = {_key(x) for x in str(value or "").split(";") if x.strip()}
        return {f"{f.name}___{c.code}": "1" if _key(c.value) in chosen else "0" for c in f.choices}
    if value is None:
        return {f.name: ""}
    if f.choices:
        return {f.name: _choice_for_value(f, value).code}
    return {f.name: _text(value)}


def export_records(
    patients: Sequence[PatientRecords], identifiers: bool = True
) -> list[dict[str, str]]:
    """The registry as REDCap import-ready flat records (raw codes), PyCap's shape."""
    columns = record_columns(identifiers)
    by_table: dict[str, list[Field]] = {}
    for f in design.fields():
        if f.table and f.name != "record_id" and (identifiers or not f.identifier):
            by_table.setdefault(f.table, []).append(f)
    where = design.form_event()
    out: list[dict[str, str]] = []

    def row(pid: str, form_names: list[str], instrument: str = "", instance: str = "") -> dict:
        r = dict.fromkeys(columns, "")
        event = where[form_names[0]]
        r.update(record_id=pid, redcap_event_name=event.unique_name)
        r.update(redcap_repeat_instrument=instrument, redcap_repeat_instance=instance)
        for form in form_names:
            r[f"{form}_complete"] = "2"
        return r

    for p in patients:
        pid = p.patient.values["patient_id"]
        base = row(pid, [f.form for f in by_table["patients"]][:1] + ["history"])
        for f in by_table["patients"]:
            base.update(_cells(f, p.patient.values.get(f.target)))
        out.append(base)
        counters: dict[str, int] = {}
        for table, recs in _instances(p.courses):
            for cid, rec in recs:
                form = by_table[table][0].form
                counters[form] = counters.get(form, 0) + 1
                r = row(pid, [form], form, str(counters[form]))
                for f in by_table[table]:
                    value = cid if f.target == "course" else rec.values.get(f.target)
                    r.update(_cells(f, value))
                out.append(r)
    return out


def _instances(courses: list[CourseRecords]) -> list[tuple[str, list[tuple[str, Rec]]]]:
    out: list[tuple[str, list[tuple[str, Rec]]]] = [
        ("courses", [(c.course.values["course_id"], c.course) for c in courses])
    ]
    for table in ("doses", "visits", "events", "relapses"):
        items = []
        for c in courses:
            cid = c.course.values["course_id"]
            items.extend((cid, rec) for rec in getattr(c, table))
        out.append((table, items))
    return out


# --------------------------------------------------------------------------------- import


def parse_choices(text: str) -> list[tuple[str, str]]:
    """``"1, Yes | 0, No"`` -> ``[("1", "Yes"), ("0", "No")]`` (REDCap's choices syntax)."""
    out = []
    for part in text.split("|"):
        if part.strip():
            code, _, label = part.partition(",")
            out.append((code.strip(), label.strip()))
    return out


class _Decoder:
    """Cell values of one field, raw or label, to psoreg values."""

    def __init__(self, f: Field, site_choices: list[tuple[str, str]] | None) -> None:
        self.f = f
        self.by_code = {_key(c.code): c for c in f.choices}
        self.by_label = {_key(c.label): c for c in f.choices}
        for code, label in site_choices or []:  # the site's own labels for psoreg's codes
            if _key(code) in self.by_code:
                self.by_label.setdefault(_key(label), self.by_code[_key(code)])

    def choice(self, cell: str) -> Choice:
        k = _key(cell)
        found = self.by_code.get(k) or self.by_label.get(k)
        if found is None:
            allowed = ", ".join(f"{c.code} ({c.label})" for c in self.f.choices)
            raise ValueError(f"got {cell!r}; expected one of: {allowed}")
        return found

    def value(self, cell: str) -> Any:
        if self.f.type == "yesno" or self.f.type == "truefalse":
            k = _key(cell)
            if k in {"1", "yes", "true"}:
                return True
            if k in {"0", "no", "false"}:
                return False
            raise ValueError(f"got {cell!r}; expected 1 (yes) or 0 (no)")
        if self.f.choices:
            return self.choice(cell).value
        return cell.strip()

    def checked(self, code: str, cell: str) -> bool:
        k = _key(cell)
        if k in CHECKED:
            return True
        if k in UNCHECKED or not k:
            return False
        c = self.by_code.get(_key(code))
        if c is not None and k in {_key(c.code), _key(c.label)}:
            return True
        raise ValueError(f"got {cell!r}; expected 1 (checked) or 0 (unchecked)")


def read_dictionary(
    rows: Sequence[dict[str, str]], source: str = "dictionary"
) -> dict[str, list[tuple[str, str]]]:
    """A site's data dictionary (file headers or API keys) -> field -> its choices."""
    header = [str(c).strip().lower() for c in (rows[0] if rows else {})]
    known = (
        [h.lower() for h in design.DICTIONARY_HEADERS],
        list(design.METADATA_KEYS),
    )
    if header not in known:
        raise ImportFailed(
            source,
            [
                RowError(
                    None,
                    None,
                    "not a REDCap data dictionary (expected its 18 columns, "
                    "'Variable / Field Name' … 'Field Annotation')",
                )
            ],  # fmt: skip
        )
    out: dict[str, list[tuple[str, str]]] = {}
    for r in rows:
        values = list(r.values())
        name, ftype, choices = values[0], values[3], values[5]
        if ftype in {"radio", "dropdown", "checkbox", "yesno", "truefalse"}:
            out[str(name).strip()] = parse_choices(str(choices or ""))
        else:
            out[str(name).strip()] = []
    return out


def read_records(
    rows: Sequence[dict[str, Any]],
    source: str,
    dictionary: dict[str, list[tuple[str, str]]] | None = None,
    first_row: int = 2,
) -> list[PatientRecords]:
    """A flat REDCap export as psoreg records; ImportFailed names every bad row and column."""
    errors: list[RowError] = []
    columns = list(rows[0]) if rows else []
    index = design.field_index()
    column_field: dict[str, tuple[Field, str | None]] = {}
    for f in index.values():
        for col in f.export_columns():
            column_field[col] = (f, col.split("___", 1)[1] if "___" in col else None)
    forms = design.form_labels()
    if "variable / field name" in columns or "field_name" in columns:
        raise ImportFailed(
            source, [RowError(None, None, "this is a data dictionary, not a records export")]
        )
    for key in ("record_id", "redcap_event_name"):
        if key not in columns:
            errors.append(
                RowError(
                    None,
                    key,
                    "required column is missing (export the longitudinal project with "
                    "variable names, not labels, as column headers)",
                )
            )
    if errors:
        raise ImportFailed(source, errors)
    for col in columns:
        if col in column_field or col in RECORD_KEYS or col in IGNORED_COLUMNS:
            continue
        if col.endswith("_complete") and col.removesuffix("_complete") in forms:
            continue
        if col.endswith("_timestamp"):
            continue
        filled = next((i for i, r in enumerate(rows) if str(r.get(col) or "").strip()), None)
        if filled is not None:
            errors.append(
                RowError(
                    filled + first_row,
                    col,
                    "not a field of psoreg's REDCap project; its values would be lost "
                    "(remove the column, or map the field in psoreg/data/redcap/fields.csv)",
                )
            )
    if errors:
        raise ImportFailed(source, errors)
    decoders = {f.name: _Decoder(f, (dictionary or {}).get(f.name)) for f in index.values()}
    events = {e.unique_name: e for e in design.event_list()}
    event_by_label = {_key(e.name): e for e in design.event_list()}
    form_by_label = {_key(label): name for name, label in forms.items()}
    patients: dict[str, PatientRecords] = {}
    children: list[tuple[str, str, Rec, str, str]] = []  # pid, table, rec, course id, column
    courses: dict[tuple[str, str], CourseRecords] = {}
    seen: dict[tuple[str, str, str], int] = {}

    for i, raw in enumerate(rows):
        n = i + first_row

        def err(col: str, msg: str, n: int = n) -> None:
            errors.append(RowError(n, col, msg))

        cell = {k: str(x).strip() if x is not None else "" for k, x in raw.items()}
        pid = cell.get("record_id", "")
        if not pid:
            err("record_id", "required: the patient's registry id")
            continue
        ev_text = cell.get("redcap_event_name", "")
        event = events.get(ev_text) or event_by_label.get(_key(ev_text))
        if event is None:
            err("redcap_event_name", f"got {ev_text!r}; expected one of: {', '.join(events)}")
            continue
        inst_text = cell.get("redcap_repeat_instrument", "")
        form = None
        if inst_text:
            form = inst_text if inst_text in forms else form_by_label.get(_key(inst_text))
            if form not in event.repeating:
                err(
                    "redcap_repeat_instrument",
                    f"got {inst_text!r}; repeating instruments of {event.unique_name} are: "
                    f"{', '.join(event.repeating) or 'none'}",
                )
                continue
            inst = cell.get("redcap_repeat_instance", "").removesuffix(".0")  # from a sheet
            if not inst.isdigit() or int(inst) < 1:
                err("redcap_repeat_instance", f"got {inst!r}; expected an instance number 1, 2, …")
                continue
            key = (pid, form, inst)
            if key in seen:
                err("redcap_repeat_instance", f"{form} instance {inst} repeats row {seen[key]}")
                continue
            seen[key] = n
            allowed = {form}
        else:
            allowed = set(event.forms) - set(event.repeating)
            key = (pid, event.unique_name, "")
            if key in seen:
                err("redcap_event_name", f"record {pid} has this event in row {seen[key]} too")
                continue
            seen[key] = n
        values: dict[str, Any] = {}
        cols: dict[str, str] = {}
        checkbox: dict[str, set[str]] = {}
        table = None
        link = None
        for col, text in cell.items():
            if col not in column_field or col == "record_id":
                continue
            f, code = column_field[col]
            if f.type == "calc":
                continue
            if not text and code is None:
                continue
            if f.form not in allowed:
                if text and not (code and _key(text) in UNCHECKED):
                    err(col, f"belongs to form {f.form}, not to this row's "
                        f"{form or ', '.join(sorted(allowed)) or 'event'}")  # fmt: skip
                continue
            table = f.table
            try:
                if code is not None:
                    chosen = checkbox.setdefault(f.target, set())
                    if decoders[f.name].checked(code, text):
                        chosen.add(str(decoders[f.name].by_code[_key(code)].value))
                    cols[f.target] = f.name
                    continue
                value = decoders[f.name].value(text)
            except ValueError as exc:
                err(col, str(exc))
                continue
            if f.target == "course":
                link = (value, col)
            else:
                values[f.target] = value
                cols[f.target] = col
        for target, chosen in checkbox.items():
            values[target] = ";".join(sorted(chosen)) if chosen else None
        if form is None:
            table = "patients"
        if table is None:
            continue
        rec = Rec(values, n, cols, source)
        if table == "patients":
            cols["patient_id"] = "record_id"
            values["patient_id"] = pid
            if pid in patients and patients[pid].patient.row is not None:
                patients[pid].patient.values.update(values)
                patients[pid].patient.columns.update(cols)
            else:
                old = patients.get(pid)
                patients[pid] = PatientRecords(rec, old.courses if old else [])
        elif table == "courses":
            p = patients.setdefault(pid, PatientRecords(Rec({"patient_id": pid}, None)))
            cid = values.get("course_id")
            if cid is None:
                err("course_id", "required: the course's id")
                continue
            if (pid, cid) in courses:
                err("course_id", f"course {cid} appears twice for record {pid}")
                continue
            courses[(pid, cid)] = CourseRecords(rec)
            p.courses.append(courses[(pid, cid)])
        else:
            if link is None:
                f0 = next(f for f in index.values() if f.table == table and f.target == "course")
                err(f0.name, "required: the id of the course this belongs to")
                continue
            _check_calcs(table, cell, values, err)
            children.append((pid, table, rec, link[0], link[1]))
    for pid, table, rec, cid, col in children:
        course = courses.get((pid, cid))
        if course is None:
            errors.append(RowError(rec.row, col, f"record {pid} has no course {cid!r}"))
            continue
        getattr(course, table).append(rec)
    if errors:
        raise ImportFailed(source, sorted(errors, key=lambda e: (e.row or 0, e.column or "")))
    return list(patients.values())


def _check_calcs(table: str, cell: dict[str, str], values: dict[str, Any], err: Any) -> None:
    """A calc value in the export must be psoreg's score of the same answers."""
    if table != "visits":
        return
    given = cell.get("pasi_calc", "")
    grid = {k: values.get(k) for k in v.PASI_FIELDS}
    if given and all(x not in (None, "") for x in grid.values()):
        try:
            ours = pasi_from_components(**{k: float(x) for k, x in grid.items()}).total
        except (ValueError, TypeError):
            return  # the grid's own errors are reported by the service layer
        if abs(float(given) - ours) > 0.05:
            err("pasi_calc", f"REDCap computed {given}, psoreg computes {ours:.1f} from the grid")
    given = cell.get("dlqi_calc", "")
    answers = [values.get(k) for k in v.DLQI_FIELDS]
    if given and any(a is not None for a in answers):
        try:
            ours_dlqi = dlqi(answers).total
        except ValueError:
            return
        if ours_dlqi is not None and _num(given) != str(ours_dlqi):
            err("dlqi_calc", f"REDCap computed {given}, psoreg computes {ours_dlqi}")

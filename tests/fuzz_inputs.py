"""Hostile inputs for the fuzz suite: a mutation corpus over ``examples/`` and hypothesis
strategies for hostile CSV, XLSX and JSON.

A *mutation* of an example file is either

* **preserving** - the same data written differently (another encoding, quoting, padding,
  column order, delimiter, line ends, number and yes/no spellings, blank lines, as a workbook):
  the file must load to exactly the clean file's cohort; or
* **damaging** - the data made unreadable or impossible (a row cut short or too long, an
  unclosed quote, a thousands separator, an underscore, NaN, garbage after a value, a future
  date, a duplicated row, a missing required column, a duplicated header, a truncated file, a
  formula or a spreadsheet error as a value): the file must be refused with a problem naming
  row and column.

Mutations never change a value into another *valid* value (a digit for a digit), which no
reader could detect.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

from tests.conftest import CASE_SERIES, VISIT_COHORT

# --- the corpus ------------------------------------------------------------------------------

NUMBER, DATE, BOOL, TEXT, ID = "number", "date", "bool", "text", "id"

#: column kinds of every example table (what a mutation may do to a cell depends on it)
KINDS: dict[str, dict[str, str]] = {
    "abstracted": {
        **dict.fromkeys(
            ["age_years", "disease_duration_years", "baseline_pasi", "baseline_dlqi",
             "pasi75_week", "pasi90_week", "pasi100_week", "treatment_duration_weeks",
             "time_to_relapse_weeks", "secondary_failure_week", "paradoxical_event_week"],
            NUMBER,
        ),
        **dict.fromkeys(
            ["psoriatic_arthritis", "biologic_naive", "prior_phototherapy",
             "treatment_success_week12", "on_treatment_at_data_collection"],
            BOOL,
        ),
        "patient": ID,
        "course": ID,
    },
    "patients": {"birth_year": NUMBER, "weight_kg": NUMBER, "onset_year": NUMBER,
                 "psoriatic_arthritis": BOOL, "biologic_naive": BOOL, "prior_phototherapy": BOOL,
                 "patient": ID},
    "courses": {"start_date": DATE, "stop_date": DATE, "stop_week": NUMBER,
                "followup_week": NUMBER, "baseline_pasi": NUMBER, "course": ID, "patient": ID},
    "assessments": {"week": NUMBER, "date": DATE, "pasi": NUMBER, "dlqi": NUMBER, "course": ID,
                    "patient": ID,
                    **{f"{r}_{s}": NUMBER for r in ("head", "upper_limbs", "trunk", "lower_limbs")
                       for s in ("erythema", "induration", "desquamation", "area_percent")}},
    "events": {"week": NUMBER, "date": DATE, "bsa": NUMBER, "drug_continued": BOOL,
               "course": ID},
    "doses": {"week": NUMBER, "date": DATE, "dose_mg": NUMBER, "course": ID},
    "relapses": {"weeks_after_stop": NUMBER, "date": DATE, "course": ID},
}  # fmt: skip
REQUIRED = {
    "abstracted": ["patient", "drug"],
    "patients": ["patient"],
    "courses": ["course", "patient", "drug"],
    "assessments": ["pasi"],
    "events": ["course", "kind"],
    "doses": ["course", "dose_mg"],
    "relapses": ["course"],
}
VISIT_TABLES = ("patients", "courses", "assessments", "events", "doses", "relapses")


def read_rows(path: Path) -> list[list[str]]:
    return list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))


CORPUS: dict[str, list[list[str]]] = {"abstracted": read_rows(CASE_SERIES)}
CORPUS.update({t: read_rows(VISIT_COHORT / f"{t}.csv") for t in VISIT_TABLES})


# --- rendering -------------------------------------------------------------------------------


@dataclass
class Rendering:
    """How a table is written out (all preserving)."""

    encoding: str = "utf-8"
    delimiter: str = ","
    line_end: str = "\n"
    quote_all: bool = False
    xlsx: bool = False
    xlsx_numbers: bool = False


def render(rows: list[list[str]], how: Rendering) -> bytes:
    buf = io.StringIO()
    quoting = csv.QUOTE_ALL if how.quote_all else csv.QUOTE_MINIMAL
    csv.writer(
        buf, delimiter=how.delimiter, lineterminator=how.line_end, quoting=quoting
    ).writerows(rows)
    return buf.getvalue().encode(how.encoding)


def to_xlsx(tables: dict[str, list[list[Any]]], numbers: bool) -> bytes:
    import openpyxl

    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in tables.items():
        ws = wb.create_sheet(name)
        kinds = KINDS.get(name, {})
        for i, row in enumerate(rows):
            if i == 0 or not numbers:
                ws.append(list(row))
                continue
            out = []
            for col, v in zip(rows[0], row, strict=False):
                k = kinds.get(col.strip().lower())
                if k == NUMBER and v.strip() and _is_plain_number(v):
                    out.append(float(v))
                elif k == DATE and v.strip() and len(v.strip()) == 10:
                    out.append(dt.datetime.fromisoformat(v.strip()))
                else:
                    out.append(v)
            ws.append(out)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _is_plain_number(v: str) -> bool:
    """A finite number psoreg reads as such (a workbook cannot hold NaN or infinity)."""
    try:
        x = float(v)
    except ValueError:
        return False
    return "_" not in v and math.isfinite(x)


# --- mutations -------------------------------------------------------------------------------

PRESERVING = ("encoding", "crlf", "quote_all", "pad", "header_case", "reorder", "semicolon",
              "tab", "blank_lines", "number_spelling", "bool_spelling", "xlsx")  # fmt: skip
DAMAGING = ("cut_short", "extra_cell", "unclosed_quote", "thousands", "underscore", "nan",
            "garbage_suffix", "hostile_char", "future_date", "duplicate_row", "drop_required",
            "duplicate_header", "truncate", "formula", "error_value", "header_only",
            "empty")  # fmt: skip
HOSTILE_CHARS = "#%&*!?~^|$\\/<>`\x00\x01\x7f\ufffd\u200b"


@dataclass
class Mutant:
    """A mutated file: its bytes, suffix, the mutation, and whether it must be refused."""

    data: bytes
    suffix: str
    name: str
    damaging: bool
    #: for a preserving mutation that changed text on purpose (accents, to test encodings):
    #: the rows the mutant must read as; ``None``: the clean file's
    reference: list[list[str]] | None = None


#: a free-text column per table, where accented text may go
TEXT_COLUMNS = {"abstracted": "ethnicity", "patients": "ethnicity", "courses": "regimen",
                "events": "description", "relapses": "treatment"}  # fmt: skip
ACCENTS = ("café", "Müller – Grüße", "naïve €", "São Tomé", "Ærø")


def _cells_of(rows: list[list[str]], kind: str | None, table: str) -> list[tuple[int, int]]:
    """(row, column) of data cells of a kind (``None``: any)."""
    kinds = KINDS[table]
    header = [h.strip().lower() for h in rows[0]]
    return [
        (i, j)
        for i in range(1, len(rows))
        for j, col in enumerate(header)
        if j < len(rows[i]) and (kind is None or kinds.get(col) == kind)
    ]


OPTIONAL_TABLES = ("events", "doses", "relapses")


def mutate(draw: Any, table: str, rows: list[list[str]], damaging: bool) -> Mutant:
    rows = [list(r) for r in rows]
    how = Rendering()
    # a header-only optional table means "none": valid, so not a damaging mutation there
    ops = [d for d in DAMAGING if not (d == "header_only" and table in OPTIONAL_TABLES)]
    name = draw(st.sampled_from(ops if damaging else PRESERVING))
    header = [h.lower() for h in rows[0]]
    if name == "encoding":
        how.encoding = draw(st.sampled_from(["utf-8-sig", "utf-16", "utf-16-le", "utf-16-be",
                                             "cp1252", "utf-32"]))  # fmt: skip
        col = TEXT_COLUMNS.get(table)
        if col in header:
            j = header.index(col)
            for i in range(1, len(rows)):
                if draw(st.booleans()):
                    rows[i][j] = (rows[i][j] + " " + draw(st.sampled_from(ACCENTS))).strip()
        return Mutant(render(rows, how), ".csv", name, False, [list(r) for r in rows])
    elif name == "crlf":
        how.line_end = "\r\n"
    elif name == "quote_all":
        how.quote_all = True
    elif name == "pad":
        for i, j in draw(st.lists(st.sampled_from(_cells_of(rows, None, table)), max_size=8)):
            rows[i][j] = " " + rows[i][j] + "  "
    elif name == "header_case":
        rows[0] = [f" {h.upper()} " for h in rows[0]]
    elif name == "reorder":
        order = draw(st.permutations(range(len(header))))
        rows = [[r[k] for k in order] for r in rows]
    elif name == "semicolon":
        how.delimiter = ";"
    elif name == "tab":
        how.delimiter = "\t"
    elif name == "blank_lines":
        at = draw(st.integers(1, len(rows)))
        rows.insert(at, [""] * len(header))
        rows.append([])
    elif name == "number_spelling":
        for i, j in _cells_of(rows, NUMBER, table):
            v = rows[i][j]
            if v and _is_plain_number(v):
                spelled = draw(st.sampled_from(["{:.1f}", "+{}", "{}", "{:e}"]))
                x = float(v)
                rows[i][j] = spelled.format(x) if "{:" in spelled else spelled.format(v)
                if float(rows[i][j]) != x:
                    rows[i][j] = v
    elif name == "bool_spelling":
        yes = draw(st.sampled_from(["YES", "Y", "true", "1", "On", "t"]))
        no = draw(st.sampled_from(["NO", "n", "False", "0", "off", "F"]))
        for i, j in _cells_of(rows, BOOL, table):
            rows[i][j] = {"yes": yes, "no": no}.get(rows[i][j].strip().lower(), rows[i][j])
    elif name == "xlsx":
        data = to_xlsx({table if table != "abstracted" else "Sheet1": rows},
                       draw(st.booleans()))  # fmt: skip
        return Mutant(data, ".xlsx", name, False)
    else:
        return _damage(draw, table, rows, name)
    return Mutant(render(rows, how), ".csv", name, False)


def _pick(draw: Any, rows: list[list[str]], kind: str | None, table: str) -> tuple[int, int]:
    cells = _cells_of(rows, kind, table) or _cells_of(rows, None, table)
    return draw(st.sampled_from(cells))


def _damage(draw: Any, table: str, rows: list[list[str]], name: str) -> Mutant:
    header = [h.lower() for h in rows[0]]
    suffix = ".csv"
    if name == "cut_short":
        i = draw(st.integers(1, len(rows) - 1))
        rows[i] = rows[i][: draw(st.integers(1, len(rows[i]) - 1))]
    elif name == "extra_cell":
        i = draw(st.integers(1, len(rows) - 1))
        rows[i].append(draw(st.sampled_from(["", "x", "1", "yes"])))
    elif name == "unclosed_quote":
        i, j = _pick(draw, rows, None, table)
        text = render(rows, Rendering()).decode()
        lines = text.split("\n")
        cells = lines[i].split(",")
        cells[j] = '"' + cells[j].lstrip('"')
        if cells[j].count('"') % 2 == 0:
            cells[j] += "x"
        lines[i] = ",".join(cells)
        return Mutant("\n".join(lines).encode(), suffix, name, True)
    elif name in {"thousands", "underscore", "nan", "garbage_suffix", "hostile_char",
                  "formula", "error_value"}:  # fmt: skip
        i, j = _pick(draw, rows, NUMBER, table)
        v = rows[i][j].strip() or "1"
        digits = v if len(v) >= 2 else v + "0"
        rows[i][j] = {
            "thousands": digits[0] + "," + digits[1:],
            "underscore": digits[0] + "_" + digits[1:],
            "nan": draw(st.sampled_from(["NaN", "nan", "inf", "-Infinity", "N/A"])),
            "garbage_suffix": v + draw(st.sampled_from(["abc", "x", " 2", "%", "wk"])),
            "formula": "=" + v + "+1",
            "error_value": draw(st.sampled_from(["#DIV/0!", "#N/A", "#VALUE!", "#REF!"])),
            "hostile_char": None,
        }[name] or _insert(draw, v)
    elif name == "future_date":
        dates = _cells_of(rows, DATE, table)
        dates = [(i, j) for i, j in dates if rows[i][j].strip()]
        if not dates:
            return _damage(draw, table, rows, "garbage_suffix")
        i, j = draw(st.sampled_from(dates))
        rows[i][j] = (dt.date.today() + dt.timedelta(days=draw(st.integers(1, 30000)))).isoformat()
    elif name == "duplicate_row":
        i = draw(st.integers(1, len(rows) - 1))
        rows.insert(draw(st.integers(i + 1, len(rows))), list(rows[i]))
    elif name == "drop_required":
        col = draw(st.sampled_from(REQUIRED[table]))
        k = header.index(col)
        rows = [[c for n, c in enumerate(r) if n != k] for r in rows]
    elif name == "duplicate_header":
        a, b = draw(st.lists(st.integers(0, len(header) - 1), min_size=2, max_size=2,
                             unique=True))  # fmt: skip
        rows[0][b] = rows[0][a]
    elif name == "truncate":
        text = render(rows, Rendering()).decode()
        lines = text.split("\n")
        i = draw(st.integers(1, len(rows) - 1))
        line = lines[i]
        # cut after some real content and before the row's last delimiter: fewer cells
        starts = [k + 1 for k, ch in enumerate(line) if ch not in ', "']
        ends = [k for k in starts if k <= line.rfind(",")]
        if not ends:
            return _damage(draw, table, rows, "cut_short")
        cut = draw(st.sampled_from(ends))
        return Mutant(("\n".join(lines[:i]) + "\n" + line[:cut]).encode(), suffix, name, True)
    elif name == "header_only":
        rows = rows[:1]
    elif name == "empty":
        return Mutant(draw(st.sampled_from([b"", b"\xef\xbb\xbf", b"\n\n", b"  \r\n"])),
                      suffix, name, True)  # fmt: skip
    xlsx_safe = not any(ch in c for r in rows for c in r for ch in "\x00\x01\x7f")
    # a workbook has no "cut short" or "extra blank cell": those are CSV damage only
    csv_only = {"truncate", "unclosed_quote", "cut_short", "extra_cell"}
    if xlsx_safe and draw(st.booleans()) and name not in csv_only:
        data = to_xlsx({table if table != "abstracted" else "Sheet1": rows}, True)
        return Mutant(data, ".xlsx", name, True)
    return Mutant(render(rows, Rendering()), suffix, name, True)


def _insert(draw: Any, v: str) -> str:
    ch = draw(st.sampled_from(HOSTILE_CHARS))
    at = draw(st.integers(0, len(v)))
    return v[:at] + ch + v[at:]


# --- hypothesis strategies for hostile inputs from scratch -----------------------------------

#: cells a spreadsheet user could type or a program could write
hostile_cell = st.one_of(
    st.text(max_size=12),
    st.sampled_from(
        [
            "=1+1",
            "+1",
            "-1",
            "@SUM(A1)",
            "\t=1",
            "'=x",
            "1,000",
            "1_4",
            "NaN",
            "inf",
            "#DIV/0!",
            "2024-01-08garbage",
            "2099-01-01",
            "yes",
            "no",
            "",
            '"',
            '""',
            "\x00",
            "ustekinumab",
            "Stelara",
            "M",
            "F",
            "1e400",
            "-0",
            "12.5",
            "0x1F",
            "١٢",
            "１２",
        ]
    ),  # fmt: skip
    st.floats(allow_nan=True, allow_infinity=True).map(repr),
    st.integers(-(10**20), 10**20).map(str),
)


@st.composite
def hostile_csv(draw: Any) -> bytes:
    """CSV-ish bytes: a real header (some of the abstracted columns) or noise, hostile cells,
    hostile quoting, any of several encodings, sometimes not valid CSV at all."""
    known = list(read_rows(CASE_SERIES)[0])
    header = draw(
        st.one_of(
            st.lists(st.sampled_from(known), min_size=1, max_size=8),
            st.lists(st.text(max_size=8), min_size=1, max_size=5),
        )
    )
    n = len(header)
    rows = draw(
        st.lists(
            st.lists(hostile_cell, min_size=max(0, n - 1), max_size=n + 1), min_size=0, max_size=6
        )
    )
    if draw(st.booleans()):
        buf = io.StringIO()
        csv.writer(buf, lineterminator="\n").writerows([header, *rows])
        text = buf.getvalue()
    else:
        text = "\n".join(",".join(r) for r in [header, *rows])
    enc = draw(st.sampled_from(["utf-8", "utf-16", "utf-16-le", "cp1252", "latin-1"]))
    return text.encode(enc, errors="replace")


@st.composite
def hostile_xlsx(draw: Any) -> bytes:
    """A workbook with hostile values of every cell type (text, numbers, dates, booleans,
    formulas without cached values), with or without the example's header."""
    import openpyxl

    known = list(read_rows(CASE_SERIES)[0])
    wb = openpyxl.Workbook()
    ws = wb.active
    header = draw(st.lists(st.sampled_from(known), min_size=1, max_size=6, unique=True))
    if draw(st.booleans()):
        header = ["patient", "drug", *header]
    ws.append(list(dict.fromkeys(header)))
    value = st.one_of(
        hostile_cell,
        st.floats(allow_nan=False, allow_infinity=False),
        st.integers(-(10**6), 10**6),
        st.booleans(),
        st.dates(min_value=dt.date(1900, 1, 1), max_value=dt.date(2200, 1, 1)),
        st.sampled_from(["=1/0", "=A1*2", "=SUM(A1:A3)", None]),
    )
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    for _ in range(draw(st.integers(0, 4))):
        row = draw(st.lists(value, max_size=len(header) + 1))
        # a workbook cannot hold control characters: they are not a hostile input of one
        ws.append([ILLEGAL_CHARACTERS_RE.sub("", v) if isinstance(v, str) else v for v in row])
    buf = io.BytesIO()
    try:
        wb.save(buf)
    except Exception:  # noqa: BLE001 - openpyxl refuses some control characters
        return b""
    return buf.getvalue()


json_scalar = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=10)
)
json_value = st.recursive(
    json_scalar,
    lambda inner: st.one_of(st.lists(inner, max_size=4),
                            st.dictionaries(st.text(max_size=8), inner, max_size=4)),
    max_leaves=20,
)  # fmt: skip


@st.composite
def hostile_json(draw: Any) -> bytes:
    """A case file: nonsense JSON, a case-like object with hostile values, deep nesting, or
    invalid JSON, in UTF-8 or UTF-16."""
    import json

    kind = draw(st.sampled_from(["value", "case", "deep", "broken"]))
    if kind == "value":
        text = json.dumps(draw(json_value))
    elif kind == "case":
        case = {
            "case_id": draw(st.one_of(st.text(max_size=12), st.just("case-1"))),
            "suspect_drugs": draw(st.one_of(json_value, st.just([{"drug": "ustekinumab"}]))),
            "age_years": draw(st.one_of(json_scalar, st.just(40))),
            "sex": draw(st.one_of(json_scalar, st.sampled_from(["F", "M"]))),
            "notes": draw(json_value),
        }
        text = json.dumps({"format": "psoreg-cases", "version": 1, "cases": [case]})
    elif kind == "deep":
        depth = draw(st.integers(30, 5000))
        opener, closer = draw(st.sampled_from([("[", "]"), ('{"a":', "}")]))
        text = opener * depth + "1" + closer * depth
    else:
        text = draw(st.text(max_size=40))
    enc = draw(st.sampled_from(["utf-8", "utf-16", "utf-8-sig"]))
    return text.encode(enc, errors="replace")

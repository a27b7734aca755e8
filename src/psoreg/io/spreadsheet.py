"""Writing tables that are safe to open in a spreadsheet: the one helper every export uses.

**Formula injection** (OWASP "CSV Injection"): a spreadsheet runs a cell that starts with
``=``, ``+``, ``-`` or ``@`` (and, in some programs, tab or carriage return) as a formula, so a
free-text field typed as ``=HYPERLINK(...)`` would become live in the analyst's Excel. Every
CSV and XLSX psoreg writes - web exports, ``psoreg outcomes --out``, ``doses --out``,
``cases export``/``list``/``compare``, ``report --tables-dir``, identified or de-identified -
goes through :func:`neutralise`:

* a **text** value starting with one of those characters (or their full-width forms) is written
  with a leading apostrophe, ``'=1+1``, which spreadsheets show as text;
* **numbers stay numbers**: numeric values are never changed, and text that is exactly a number
  (``-0.24`` in a formatted table) is left alone, since a spreadsheet reads it as that number;
* a text that already starts with apostrophes before such a character gets one more, so that
  :func:`unescape` (applied by :mod:`psoreg.io.source` to every cell it reads) gives back
  exactly the original text: exports stay valid inputs.

Characters that XLSX cannot hold (control characters other than tab, newline, carriage return)
are replaced by U+FFFD in XLSX output; CSV keeps them.

Written by hand: the rule is six lines, and the libraries that do it (defusedcsv) cover only
the csv module, not pandas or openpyxl.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

#: Characters that make a spreadsheet treat a cell as a formula (OWASP), with full-width forms.
TRIGGERS = frozenset("=+-@\t\r\uff1d\uff0b\uff0d\uff20")
_PLAIN_NUMBER = re.compile(r"-?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?")
_XLSX_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _dangerous(text: str) -> bool:
    rest = text.lstrip("'")
    return bool(rest) and rest[0] in TRIGGERS and not _PLAIN_NUMBER.fullmatch(text)


def neutralise(value: Any) -> Any:
    """``value``, with a text that a spreadsheet would run as a formula escaped by ``'``."""
    if isinstance(value, str) and value and _dangerous(value):
        return "'" + value
    return value


def unescape(text: str) -> str:
    """The original text of a cell :func:`neutralise` escaped (other text is unchanged)."""
    if text[:1] == "'" and _dangerous(text[1:]):
        return text[1:]
    return text


def safe_frame(df: Any) -> Any:
    """A copy of a pandas DataFrame with every text cell neutralised (numbers untouched)."""
    out = df.copy()
    for col in out.columns:
        if out[col].dtype == object or str(out[col].dtype) in {"string", "str"}:
            out[col] = out[col].map(neutralise, na_action="ignore")
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def _quoting_characters() -> str:
    """The characters that make the csv module quote a field (``QUOTE_MINIMAL``, ``\\n`` line
    ends), asked of the csv module itself: whether a lone ``\\r`` is quoted changed between
    Python versions."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    found = []
    for c in ',"\r\n':
        buf.seek(0)
        buf.truncate()
        w.writerow([f"a{c}b", "x"])
        if buf.getvalue().startswith('"'):
            found.append(c)
    return "".join(found)


_ESCAPABLE = TRIGGERS | {"'"}
_QUOTED = re.compile(f"[{re.escape(_quoting_characters())}]")


def csv_cell(value: Any) -> str:
    """One cell, neutralised, exactly as ``csv.writer(lineterminator="\\n")`` writes it in a row
    of two fields or more (``None`` is empty; numbers and booleans as ``str``). Lets a line be
    put together from cells written at different times (the stored ``outcomes.csv`` lines)."""
    if value is None:
        return ""
    if value.__class__ is str:  # only text starting with a trigger or ' can need escaping
        text = neutralise(value) if value[:1] in _ESCAPABLE else value
    else:
        text = neutralise(value) if isinstance(value, str) else str(value)
    if _QUOTED.search(text) is None:
        return text
    return '"' + text.replace('"', '""') + '"'


def csv_uncell(cell: str) -> str:
    """The text :func:`csv_cell` wrote as ``cell`` (an empty cell, from ``None`` or ``""``, is
    ``""``)."""
    if cell[:1] == '"':
        cell = cell[1:-1].replace('""', '"')
    return unescape(cell)


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """CSV text (``\\n`` line ends) with every cell neutralised."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow([neutralise(h) for h in header])
    w.writerows([["" if v is None else neutralise(v) for v in r] for r in rows])
    return buf.getvalue()


def dict_csv_text(fieldnames: Sequence[str], rows: Iterable[Mapping[str, Any]]) -> str:
    """:func:`csv_text` of mappings (one per row, keyed by ``fieldnames``)."""
    return csv_text(fieldnames, ([r.get(k) for k in fieldnames] for r in rows))


def frame_csv(df: Any) -> str:
    """A DataFrame as CSV text, neutralised."""
    return safe_frame(df).to_csv(index=False)


def write_frame(df: Any, path: Path) -> None:
    """A DataFrame to ``.csv`` or ``.xlsx`` (by suffix), neutralised."""
    if path.suffix.lower() == ".xlsx":
        write_workbook({"Sheet1": df}, path)
    else:
        path.write_text(frame_csv(df), encoding="utf-8")


def _xlsx_text(value: Any) -> Any:
    if isinstance(value, str):
        return _XLSX_ILLEGAL.sub("\ufffd", value)
    return value


def write_workbook(frames: Mapping[str, Any], target: Path | io.BytesIO) -> None:
    """DataFrames as the sheets of one .xlsx workbook, neutralised; no cell is a formula."""
    import pandas as pd

    with pd.ExcelWriter(target, engine="openpyxl") as xw:
        for sheet, df in frames.items():
            safe = safe_frame(df)
            for col in safe.columns:
                if safe[col].dtype == object:
                    safe[col] = safe[col].map(_xlsx_text, na_action="ignore")
            safe.to_excel(xw, sheet_name=sheet, index=False)

"""The reading layer: every file psoreg reads (CLI, ``cases import``, web upload) starts here.

It turns a file into a header and a stream of rows, and refuses what cannot be read faithfully,
each problem naming file, row, column, the value and what was expected:

* **file type by content**, not by name: an ``.xlsx`` that is really CSV text is read as CSV
  (and an ``.xlsx`` named ``.csv`` as a workbook), with a note; an old ``.xls``, an ``.ods``, a
  PDF or other binary data, and an empty file are refused;
* **text encoding**: a byte-order mark (UTF-8, UTF-16, UTF-32) decides; otherwise UTF-8 if the
  whole file is valid UTF-8; otherwise charset-normalizer checks UTF-16/32 without a mark and
  cp1252 (what Excel's "CSV" writes on Windows in Western locales); any other encoding must be
  named with ``--encoding`` (``ReadOptions.encoding``). A file that is not UTF-8 gets a note
  naming the encoding used;
* **CSV**: the delimiter is the header's (``,``, ``;`` or tab); rows with more or fewer cells
  than the header, unclosed quotes and text after a closing quote are refused; blank lines are
  skipped but still counted, so row numbers are those a spreadsheet shows (header = row 1);
* **Excel**: cached values are read; a formula with no saved value and an error cell
  (``#DIV/0!``) are refused; a value under a column with no header is refused;
* **header**: names are trimmed and lower-cased; a name given twice is refused;
* **formula escapes**: a text cell that psoreg's own exports escaped (``'=...``, see
  :mod:`psoreg.io.spreadsheet`) is read back without the apostrophe, so exports round-trip;
* **JSON**: decoded like text; nesting deeper than :data:`MAX_JSON_DEPTH` is refused.

Rows are produced lazily (:meth:`Sheet.rows`), so a reader validates a million-row file while
holding one row at a time.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import io
import json
import zipfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from psoreg.errors import ImportFailed, RowError
from psoreg.io.spreadsheet import unescape

#: JSON nested deeper than this is refused (a case file is 4 levels deep).
MAX_JSON_DEPTH = 32
#: Encodings tried, in this order, when the file is not valid UTF-8 and has no byte-order mark.
DETECTED_ENCODINGS = ("utf_16", "utf_16_le", "utf_16_be", "utf_32", "cp1252")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CHUNK = 1 << 20


@dataclass(frozen=True)
class ReadOptions:
    """What the user chose about reading (each changes what is accepted, so each is named in
    the output: :meth:`describe`)."""

    #: decode text files with this encoding instead of detecting it (``--encoding``)
    encoding: str | None = None
    #: read ``21,4`` as 21.4 (``--decimal-comma``); ``1.000`` is then refused
    decimal_comma: bool = False

    def describe(self) -> list[str]:
        out = []
        if self.encoding:
            out.append(f"--encoding {self.encoding}: text decoded as {self.encoding}")
        if self.decimal_comma:
            out.append("--decimal-comma: ',' read as the decimal point")
        return out


def fail(source: str, message: str, column: str | None = None) -> ImportFailed:
    return ImportFailed(source, [RowError(None, column, message)])


# --- what the file is ------------------------------------------------------------------------


def sniff(path: Path) -> str:
    """The file's real type from its first bytes: ``xlsx``, ``text`` (CSV/JSON), ``empty``, or
    a type psoreg cannot read (``xls``, ``ods``, ``zip``, ``pdf``)."""
    with path.open("rb") as fh:
        head = fh.read(8)
    if not head:
        return "empty"
    if head.startswith(b"PK\x03\x04"):
        try:
            with zipfile.ZipFile(path) as z:
                names = set(z.namelist())
        except zipfile.BadZipFile:
            return "zip"
        if "xl/workbook.xml" in names:
            return "xlsx"
        return "ods" if "mimetype" in names else "zip"
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        return "xls"
    if head.startswith(b"%PDF"):
        return "pdf"
    return "text"


_UNREADABLE = {
    "xls": "an old Excel .xls workbook; save it as .xlsx or as CSV (UTF-8)",
    "ods": "an OpenDocument spreadsheet; save it as .xlsx or as CSV (UTF-8)",
    "zip": "a zip archive, not a spreadsheet; expected CSV text or an .xlsx workbook",
    "pdf": "a PDF document; expected CSV text or an .xlsx workbook",
}


def check_readable(path: Path, source: str) -> str:
    """:func:`sniff`, refusing what cannot be read; returns ``xlsx`` or ``text``."""
    if not path.exists():
        raise fail(source, "no such file or folder")
    if path.is_dir():
        raise fail(source, "is a folder; expected a file")
    kind = sniff(path)
    if kind == "empty":
        raise fail(source, "the file is empty; expected a header row and data rows")
    if kind in _UNREADABLE:
        raise fail(source, f"the file is {_UNREADABLE[kind]}")
    return kind


def misnamed_note(path: Path, kind: str) -> str | None:
    suffix = path.suffix.lower()
    if kind == "xlsx" and suffix not in {".xlsx", ".xlsm"}:
        return f"{path.name} holds an Excel workbook, not text; read as .xlsx"
    if kind == "text" and suffix in {".xlsx", ".xlsm", ".xls"}:
        return f"{path.name} holds text, not an Excel workbook; read as CSV"
    return None


# --- text encoding ---------------------------------------------------------------------------


def _valid_utf8(path: Path) -> bool:
    dec = codecs.getincrementaldecoder("utf-8")()
    try:
        with path.open("rb") as fh:
            while chunk := fh.read(_CHUNK):
                if b"\x00" in chunk:  # UTF-16 text is "valid UTF-8" with NULs between letters
                    return False
                dec.decode(chunk)
            dec.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def encoding_of(path: Path, source: str, forced: str | None = None) -> tuple[str, str | None]:
    """(encoding to read ``path`` with, a note for the user or ``None`` for plain UTF-8)."""
    if forced:
        try:
            name = codecs.lookup(forced).name
        except LookupError:
            raise fail(source, f"--encoding: unknown encoding {forced!r}") from None
        return name, None
    with path.open("rb") as fh:
        head = fh.read(4)
    for bom, name in _BOMS:
        if head.startswith(bom):
            note = None if name == "utf-8-sig" else f"decoded as {name.upper()} (byte-order mark)"
            return name, note
    if _valid_utf8(path):
        return "utf-8", None
    from charset_normalizer import from_path

    best = from_path(path, cp_isolation=list(DETECTED_ENCODINGS)).best()
    if best is None:
        raise fail(
            source,
            "cannot tell the text encoding (not UTF-8, UTF-16 or cp1252, or not text at all); "
            "save the file as CSV UTF-8, or name the encoding with --encoding",
        )
    name = codecs.lookup(best.encoding).name
    if name == "cp1252":
        why = "not UTF-8; taken as Windows cp1252, Excel's 'CSV' encoding in Western locales"
    else:
        why = "not UTF-8; detected"
    return name, f"decoded as {name} ({why}; another one can be named with --encoding)"


def read_text(path: Path, source: str, options: ReadOptions) -> tuple[str, list[str]]:
    """The whole file as text (for small files: JSON, case files), and notes for the user."""
    kind = check_readable(path, source)
    if kind != "text":
        raise fail(source, "expected a text file (JSON or CSV), got an Excel workbook")
    enc, note = encoding_of(path, source, options.encoding)
    try:
        text = path.read_bytes().decode(enc)
    except UnicodeDecodeError as exc:
        raise fail(source, _decode_problem(exc, enc)) from None
    return text.lstrip("\ufeff"), [n for n in (note,) if n]


def _decode_problem(exc: UnicodeDecodeError, enc: str) -> str:
    bad = exc.object[exc.start : exc.start + 4]
    return (
        f"byte(s) {bad!r} are not valid {enc} text; save the file as CSV UTF-8 or name its "
        "encoding with --encoding"
    )


# --- JSON ------------------------------------------------------------------------------------


def read_json(path: Path, source: str, options: ReadOptions) -> tuple[Any, list[str]]:
    """The parsed JSON document of ``path`` (depth-checked), and notes for the user."""
    text, notes = read_text(path, source, options)
    return parse_json(text, source), notes


def parse_json(text: str, source: str) -> Any:
    if not text.strip():
        raise fail(source, "the file is empty; expected a JSON document")
    try:
        doc = json.loads(text)
    except json.JSONDecodeError as exc:
        msg = f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno}"
        raise fail(source, msg) from None
    except RecursionError:
        msg = f"JSON nested too deeply; expected at most {MAX_JSON_DEPTH} levels"
        raise fail(source, msg) from None
    depth = json_depth(doc)
    if depth > MAX_JSON_DEPTH:
        raise fail(source, f"JSON nested more than {MAX_JSON_DEPTH} levels deep")
    return doc


def json_depth(doc: Any) -> int:
    """Nesting depth of a parsed JSON value (iterative: no recursion on hostile input)."""
    deepest, stack = 0, [(doc, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest = max(deepest, depth)
            if depth > MAX_JSON_DEPTH:
                return depth
            children = value.values() if isinstance(value, dict) else value
            stack.extend((v, depth + 1) for v in children)
    return deepest


# --- tables ----------------------------------------------------------------------------------


@dataclass
class Sheet:
    """One table of a file: its header, and its rows read lazily by :meth:`rows`.

    Problems found while reading (ragged rows, bad quotes, formula and error cells) are
    appended to ``errors``; such rows are not produced. ``data_rows`` counts the rows produced
    so far (so a reader can refuse a header-only table after reading).
    """

    label: str
    columns: list[str]
    _rows: Iterator[tuple[int, dict[str, Any]]]
    errors: list[RowError] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    data_rows: int = 0

    def rows(self) -> Iterator[tuple[int, dict[str, Any]]]:
        """(row number as a spreadsheet shows it, {column: raw cell}) for each data row."""
        for item in self._rows:
            self.data_rows += 1
            yield item


def _header(raw: list[Any], source: str) -> list[str]:
    names = ["" if c is None else unescape(str(c)).strip().lower() for c in raw]
    while names and not names[-1]:
        names.pop()
    if not names:
        raise fail(source, "row 1 is empty; expected the header (the column names)")
    seen: dict[str, int] = {}
    problems = []
    for i, name in enumerate(names, start=1):
        if name and name in seen:
            problems.append(RowError(1, name, f"given twice (columns {seen[name]} and {i})"))
        seen.setdefault(name, i)
    if problems:
        raise ImportFailed(source, problems)
    return names


def _column_label(columns: list[str], i: int) -> str:
    if i < len(columns) and columns[i]:
        return columns[i]
    return f"{i + 1} (no header)"


def open_table(
    path: Path,
    options: ReadOptions | None = None,
    sheet: str | int = 0,
    label: str | None = None,
) -> Sheet:
    """The table of a CSV file, or of sheet ``sheet`` of a workbook (type sniffed by content)."""
    options = options or ReadOptions()
    source = label or str(path)
    kind = check_readable(path, source)
    notes = [n for n in (misnamed_note(path, kind),) if n]
    if kind == "xlsx":
        return _xlsx_sheet(path, sheet, source, notes)
    enc, note = encoding_of(path, source, options.encoding)
    if note:
        notes.append(f"{source}: {note}")
    stream = path.open(encoding=enc, newline="")
    return csv_sheet(stream, source, enc, notes)


def text_table(text: str, source: str) -> Sheet:
    """The table of CSV text already in memory (same rules as a file)."""
    if not text.strip():
        raise fail(source, "the file is empty; expected a header row and data rows")
    return csv_sheet(io.StringIO(text.lstrip("\ufeff")), source, "utf-8", [])


class _Lines:
    """Feeds lines to the csv module, keeping the raw lines of the record being read."""

    def __init__(self, stream: Iterable[str]) -> None:
        self.it = iter(stream)
        self.current: list[str] = []

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        line = next(self.it)
        if len(self.current) < 3:  # enough to locate a bad quote; an unclosed one reads on
            self.current.append(line)
        return line


def _delimiter(line: str) -> str:
    counts = {d: 0 for d in ",;\t"}
    quoted = False
    for ch in line:
        if ch == '"':
            quoted = not quoted
        elif not quoted and ch in counts:
            counts[ch] += 1
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def _open_quote_column(raw: str, delim: str) -> int:
    """0-based index of the cell where a record's quoting goes wrong, from its raw text."""
    col, state = 0, "start"  # start | plain | quoted | closed
    for ch in raw:
        if state == "quoted":
            if ch == '"':
                state = "closed"
        elif state == "closed":
            if ch == '"':
                state = "quoted"  # an escaped quote ("")
            elif ch == delim:
                col, state = col + 1, "start"
            else:
                return col  # text after the closing quote
        elif ch == delim:
            col, state = col + 1, "start"
        elif state == "start" and ch == '"':
            state = "quoted"
        else:
            state = "plain"
    return col


def csv_sheet(stream: IO[str] | io.StringIO, source: str, enc: str, notes: list[str]) -> Sheet:
    """Header and lazy rows of CSV text (see the module's rules)."""
    try:
        first = stream.readline()
    except UnicodeDecodeError as exc:
        stream.close()
        raise fail(source, _decode_problem(exc, enc)) from None
    first = first.lstrip("\ufeff")
    if not first.strip():
        stream.close()
        raise fail(source, "row 1 is empty; expected the header (the column names)")
    delim = _delimiter(first)
    lines = _Lines(_chain([first], stream))
    reader = csv.reader(lines, delimiter=delim, strict=True)
    try:
        header_cells = next(reader)
    except (csv.Error, UnicodeDecodeError) as exc:
        stream.close()
        msg = f"the header is not valid CSV: {exc}"
        raise ImportFailed(source, [RowError(1, None, msg)]) from None
    columns = _header(header_cells, source)
    # a header written with a trailing delimiter ("a,b,c,") has empty names at the end: rows
    # may then have that width too (their cells there must be blank)
    widths = {len(columns), len(header_cells)}
    if delim != ",":
        name = {";": "';'", "\t": "tab"}[delim]
        notes.append(f"{source}: cells separated by {name} (as in the header)")
    errors: list[RowError] = []

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        row = 1
        try:
            while True:
                lines.current = []
                try:
                    cells = next(reader)
                except StopIteration:
                    return
                except csv.Error as exc:
                    raw = "".join(lines.current)
                    col = _column_label(columns, _open_quote_column(raw, delim))
                    why = str(exc)
                    if "unexpected end of data" in why or "EOF" in why:
                        why = 'a quote (") is opened and never closed; the rest of the file '
                        why += "would be read into this cell"
                    else:
                        why = f"not valid CSV ({why}); a cell with quotes must be quoted whole"
                    errors.append(RowError(row + 1, col, f"{why}: {raw[:60]!r}"))
                    return
                except UnicodeDecodeError as exc:
                    errors.append(RowError(row + 1, None, _decode_problem(exc, enc)))
                    return
                row += 1
                if not any(c.strip() for c in cells):
                    continue
                if len(cells) not in widths:
                    errors.append(_ragged(row, cells, columns))
                    continue
                rec = {}
                bad = False
                for k, cell in enumerate(cells):
                    name = columns[k] if k < len(columns) else ""
                    if not name:
                        if cell.strip():
                            errors.append(
                                RowError(row, _column_label(columns, k),
                                         f"a value ({cell!r}) under a column with no name")
                            )  # fmt: skip
                            bad = True
                        continue
                    rec[name] = unescape(cell) if cell[:1] == "'" else cell
                if not bad:
                    yield row, rec
        finally:
            stream.close()

    return Sheet(source, [c for c in columns if c], rows(), errors, notes)


def _chain(first: list[str], rest: Iterable[str]) -> Iterator[str]:
    yield from first
    yield from rest


def _ragged(row: int, cells: list[str], columns: list[str]) -> RowError:
    n, m = len(cells), len(columns)
    if n > m:
        extra = next((c for c in cells[m:] if c.strip()), cells[m])
        return RowError(
            row,
            _column_label(columns, m),
            f"the row has {n} cells but the header has {m} columns: extra value {extra!r} "
            "(a comma inside a cell must be quoted)",
        )
    return RowError(
        row,
        _column_label(columns, n),
        f"the row has {n} cells but the header has {m} columns: the row is cut short "
        f"(last value {cells[-1]!r} in column '{_column_label(columns, n - 1)}')",
    )


# --- Excel -----------------------------------------------------------------------------------


def workbook_sheets(path: Path, source: str | None = None) -> list[str]:
    """Sheet names of a workbook (``[]`` for a file that is not an .xlsx workbook)."""
    if sniff(path) != "xlsx":
        return []
    import openpyxl

    try:
        with path.open("rb") as fh:  # a file object: openpyxl would refuse a name not .xlsx
            wb = openpyxl.load_workbook(fh, read_only=True)
            names = list(wb.sheetnames)
            wb.close()
    except Exception as exc:  # noqa: BLE001 - a damaged workbook: one line, never a traceback
        raise fail(source or str(path), f"not a readable .xlsx workbook ({exc})") from None
    return names


def _has_formulas(path: Path) -> bool:
    with zipfile.ZipFile(path) as z:
        for name in z.namelist():
            if name.startswith("xl/worksheets/") and name.endswith(".xml"):
                with z.open(name) as fh:
                    while chunk := fh.read(_CHUNK):
                        if b"<f>" in chunk or b"<f " in chunk or b"<f/>" in chunk:
                            return True
    return False


def _xlsx_sheet(path: Path, sheet: str | int, source: str, notes: list[str]) -> Sheet:
    import openpyxl

    handles: list[IO[bytes]] = []

    def workbook(data_only: bool) -> Any:
        fh = path.open("rb")  # a file object: openpyxl would refuse a name not ending .xlsx
        handles.append(fh)
        return openpyxl.load_workbook(fh, read_only=True, data_only=data_only)

    try:
        wb = workbook(True)
        fwb = workbook(False) if _has_formulas(path) else None
        if isinstance(sheet, str) and sheet not in wb.sheetnames:
            raise KeyError(f"no sheet {sheet!r}")
    except Exception as exc:  # noqa: BLE001 - a damaged workbook: one line, never a traceback
        for fh in handles:
            fh.close()
        raise fail(source, f"not a readable .xlsx workbook ({exc})") from None
    name = wb.sheetnames[sheet] if isinstance(sheet, int) else sheet
    values = wb[name].iter_rows()
    formulas = fwb[name].iter_rows() if fwb is not None else None
    try:
        header_row = next(values, None)
        if formulas is not None:
            next(formulas, None)
    except Exception as exc:  # noqa: BLE001
        raise fail(source, f"not a readable .xlsx workbook ({exc})") from None
    if header_row is None:
        wb.close()
        for fh in handles:
            fh.close()
        raise fail(source, "the sheet is empty; expected a header row and data rows")
    columns = _header([c.value for c in header_row], source)
    errors: list[RowError] = []

    def rows() -> Iterator[tuple[int, dict[str, Any]]]:
        try:
            for i, cells in enumerate(values, start=2):
                fcells = next(formulas, ()) if formulas is not None else ()
                rec: dict[str, Any] = {}
                bad = False
                for j, c in enumerate(cells):
                    v = c.value
                    if v is None or (isinstance(v, str) and not v.strip()):
                        if j < len(fcells) and fcells[j].data_type == "f":
                            errors.append(
                                RowError(i, _column_label(columns, j),
                                         f"the formula {fcells[j].value!r} has no saved value "
                                         "(the file was written by a program that does not "
                                         "calculate); open and save it in Excel, or paste the "
                                         "values")
                            )  # fmt: skip
                            bad = True
                        continue
                    if c.data_type == "e":
                        errors.append(
                            RowError(i, _column_label(columns, j),
                                     f"the spreadsheet error {v!r}; correct the cell or leave it "
                                     "empty")
                        )  # fmt: skip
                        bad = True
                        continue
                    if j >= len(columns) or not columns[j]:
                        errors.append(
                            RowError(i, _column_label(columns, j),
                                     f"a value ({v!r}) under a column with no name")
                        )  # fmt: skip
                        bad = True
                        continue
                    if isinstance(v, str) and v[:1] == "'":
                        v = unescape(v)
                    elif isinstance(v, dt.time):
                        v = v.isoformat()
                    rec[columns[j]] = v
                if rec and not bad:
                    yield i, rec
        finally:
            wb.close()
            if fwb is not None:
                fwb.close()
            for fh in handles:
                fh.close()

    return Sheet(source, [c for c in columns if c], rows(), errors, notes)

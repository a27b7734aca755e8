"""Ingest FAERS / legacy AERS quarterly ASCII zips into a Parquet store, one quarter at a time.

A *store* is a folder:

* ``raw/<table>/quarter=YYYYqN/data.parquet``: every row of every table of every quarter, as
  text (canonical column names, :data:`LAYOUTS`), with ``quarter`` and ``layout`` columns;
* ``manifest.json``: per quarter, the zip it came from (name, size, modification time), its
  layout, and per table the member file, its raw data lines, the rows stored and rejected;
* ``current/``: the de-duplicated analysis tables written by :mod:`psoreg.signals.build`.

Each member file is streamed out of the zip to a temporary file (its lines counted on the way),
then DuckDB parses it in parallel and writes Parquet: no quarter is ever held in memory, let
alone in pandas. The header is checked against the layout first; a data line with too many or
too few ``$``-separated fields is schema drift, reported with the file, the line and the column
(:class:`SchemaDrift`), and nothing of that quarter is kept. ``on_bad_line="skip"`` keeps the
other lines instead, writing the refused ones to ``rejects/`` and counting them in the manifest
(never a silent loss). Rows stored plus rows refused must equal the raw file's data lines.

Ingest is incremental: a quarter already in the manifest from the same zip (same size and
modification time) is skipped; a changed zip is ingested again.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import tempfile
import threading
import time
import zipfile
import zlib
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any, Literal

import duckdb

from psoreg.errors import PsoregError

__all__ = [
    "LAYOUTS",
    "TABLES",
    "IngestReport",
    "SchemaDrift",
    "discover",
    "ingest",
    "quarter_of",
    "read_manifest",
]

#: The tables of a quarter, in the order they are read.
TABLES = ("demo", "drug", "reac", "outc", "rpsr", "ther", "indi")
REQUIRED_TABLES = ("demo", "drug", "reac")
MANIFEST = "manifest.json"
BadLine = Literal["error", "skip"]


def _load_layouts() -> dict[str, Any]:
    text = resources.files("psoreg.data").joinpath("signals/faers_layouts.json").read_text()
    return json.loads(text)


#: The FAERS / AERS table layouts (``psoreg/data/signals/faers_layouts.json``).
LAYOUTS: dict[str, Any] = _load_layouts()

_MEMBER = re.compile(
    r"(?i)^(?P<table>demo|drug|reac|outc|rpsr|ther|indi)(?P<yy>\d{2})q(?P<q>[1-4])[\w-]*\.txt$"
)
_DELETED = re.compile(r"(?i)^dele[\w-]*\.txt$")
_QUARTER = re.compile(r"(?i)(?P<year>(19|20)\d{2})[ _-]?q(?P<q>[1-4])")
_TRAILER = re.compile(r"^v\d+$")


class SchemaDrift(PsoregError):
    """A quarter file that does not have the layout psoreg knows: names file, line, column."""

    def __init__(self, file: str, line: int | None, column: str | None, message: str) -> None:
        self.file, self.line, self.column, self.message = file, line, column, message
        where = [file]
        if line is not None:
            where.append(f"line {line}")
        if column:
            where.append(f"column '{column}'")
        super().__init__(f"{', '.join(where)}: {message}")


@dataclass(frozen=True)
class QuarterZip:
    """One quarterly zip: its quarter (``2017Q2``) and path."""

    quarter: str
    path: Path

    def signature(self) -> dict[str, Any]:
        st = self.path.stat()
        return {"zip": self.path.name, "size": st.st_size, "mtime": int(st.st_mtime)}


def quarter_of(name: str) -> str:
    """``faers_ascii_2017q2.zip`` -> ``2017Q2`` (raises if the name holds no quarter)."""
    m = _QUARTER.search(name)
    if m is None:
        raise SchemaDrift(name, None, None, "no quarter (YYYYqN) in the file name")
    return f"{m['year']}Q{m['q']}"


def discover(source: Path) -> list[QuarterZip]:
    """The quarterly zips of a folder (or one zip), in quarter order; two zips of one quarter
    are an error."""
    paths = (
        [source]
        if source.is_file()
        else sorted(source.glob("*.zip")) + sorted(source.glob("*.ZIP"))
    )
    if not paths:
        raise PsoregError(f"{source}: no quarterly .zip files found")
    seen: dict[str, Path] = {}
    for p in paths:
        q = quarter_of(p.name)
        if q in seen:
            raise PsoregError(f"{p.name} and {seen[q].name} are both quarter {q}; keep one")
        seen[q] = p
    return [QuarterZip(q, seen[q]) for q in sorted(seen)]


def read_manifest(store: Path) -> dict[str, Any]:
    path = store / MANIFEST
    if not path.exists():
        return {"format": 1, "quarters": {}}
    return json.loads(path.read_text())


def _write_manifest(store: Path, manifest: dict[str, Any]) -> None:
    tmp = store / (MANIFEST + ".tmp")
    tmp.write_text(json.dumps(manifest, indent=2, sort_keys=True))
    tmp.replace(store / MANIFEST)


@dataclass
class TableResult:
    member: str
    raw_lines: int
    rows: int
    rejected: int
    columns: list[str]

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.member,
            "raw_lines": self.raw_lines,
            "rows": self.rows,
            "rejected": self.rejected,
            "columns": self.columns,
        }


@dataclass
class IngestReport:
    """What an ingest did: quarters ingested and skipped, rows per table."""

    ingested: list[str] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    rows: dict[str, dict[str, int]] = field(default_factory=dict)  # quarter -> table -> rows
    rejected: dict[str, dict[str, int]] = field(default_factory=dict)
    seconds: float = 0.0


def _members(zf: zipfile.ZipFile, quarter: str, zname: str) -> dict[str, zipfile.ZipInfo]:
    """table -> member; ``dele`` for the deleted-cases list. Checks the member's quarter."""
    found: dict[str, zipfile.ZipInfo] = {}
    yy = quarter[2:4]
    q = quarter[-1]
    for info in zf.infolist():
        if info.is_dir():
            continue
        base = info.filename.rsplit("/", 1)[-1]
        m = _MEMBER.match(base)
        if m:
            table = m["table"].lower()
            if (m["yy"], m["q"]) != (yy, q):
                raise SchemaDrift(
                    f"{zname}:{info.filename}", None, None,
                    f"member is quarter 20{m['yy']}Q{m['q']}, but the zip is {quarter}",
                )  # fmt: skip
            if table in found:
                raise SchemaDrift(
                    f"{zname}:{info.filename}", None, None,
                    f"second {table.upper()} file (first: {found[table].filename})",
                )  # fmt: skip
            found[table] = info
        elif _DELETED.match(base):
            found["dele"] = info
    missing = [t.upper() for t in REQUIRED_TABLES if t not in found]
    if missing:
        raise SchemaDrift(zname, None, None, f"no {', '.join(missing)} file in the zip")
    return found


def _extract(
    zf: zipfile.ZipInfo | Any, src: zipfile.ZipFile, dest: Path, advance: Callable[[int], None]
) -> tuple[int, bytes]:
    """Stream one member to ``dest``; returns (lines, first line)."""
    lines = 0
    last = b"\n"
    first = b""
    with src.open(zf) as fin, dest.open("wb") as fout:
        while chunk := fin.read(1 << 22):
            if not first:
                first = chunk.split(b"\n", 1)[0]
            lines += chunk.count(b"\n")
            last = chunk[-1:]
            fout.write(chunk)
            advance(len(chunk))
    if last != b"\n":
        lines += 1
    return lines, first


def _header(
    first: bytes, table: str, where: str, encoding: str
) -> tuple[str, list[str], list[str]]:
    """(layout, raw header columns, canonical names per raw column) of a table's header."""
    text = first.decode(encoding).rstrip("\r\n")
    raw = [c.strip().lower() for c in text.split("$")]
    if not raw or raw == [""]:
        raise SchemaDrift(where, 1, None, "empty header line")
    layout = LAYOUTS["layout_key"].get(raw[0])
    if layout is None:
        raise SchemaDrift(
            where, 1, raw[0], "first header column must be primaryid (FAERS) or isr (legacy AERS)"
        )
    aliases = {
        **LAYOUTS["aliases"][layout].get("*", {}),
        **LAYOUTS["aliases"][layout].get(table, {}),
    }
    known = set(LAYOUTS["tables"][table]["columns"])
    canon: list[str] = []
    for i, col in enumerate(raw):
        if i == len(raw) - 1 and (col == "" or _TRAILER.match(col)):
            canon.append("")  # legacy trailing empty field
            continue
        name = aliases.get(col, col)
        if name not in known:
            raise SchemaDrift(
                where, 1, col or f"#{i + 1}",
                f"unknown column in a {layout.upper()} {table.upper()} file "
                f"(known: {', '.join(sorted(known))})",
            )  # fmt: skip
        if name in canon:
            raise SchemaDrift(where, 1, col, "column appears twice")
        canon.append(name)
    missing = [c for c in LAYOUTS["tables"][table]["required"][layout] if c not in canon]
    if missing:
        raise SchemaDrift(
            where, 1, missing[0], f"required column missing from the header: {', '.join(missing)}"
        )
    return layout, raw, canon


def _sql_str(text: str) -> str:
    return "'" + text.replace("'", "''") + "'"


def _copy_table(
    con: duckdb.DuckDBPyConnection,
    src: Path,
    out: Path,
    table: str,
    quarter: str,
    layout: str,
    raw: list[str],
    canon: list[str],
    encoding: str,
) -> tuple[int, list[tuple[int, str | None, str, str]]]:
    """Parse ``src`` with DuckDB and write ``out``; returns (rows written, rejects)."""
    names = [f"c{i}" for i in range(len(raw))]
    spec = "{" + ", ".join(f"'{n}': 'VARCHAR'" for n in names) + "}"
    by_canon = {c: n for c, n in zip(canon, names, strict=True) if c}
    select = ", ".join(
        f"{by_canon.get(c, 'NULL::VARCHAR')} AS {c}" for c in LAYOUTS["tables"][table]["columns"]
    )
    con.execute("DROP TABLE IF EXISTS reject_errors; DROP TABLE IF EXISTS reject_scans")
    out.parent.mkdir(parents=True, exist_ok=True)
    reader = (
        f"read_csv({_sql_str(str(src))}, delim='$', quote='', escape='', header=true, "
        f"columns={spec}, auto_detect=false, strict_mode=true, store_rejects=true, "
        f"encoding={_sql_str(encoding)}, null_padding=false)"
    )
    con.execute(
        f"COPY (SELECT {select}, {_sql_str(quarter)} AS quarter, {_sql_str(layout)} AS layout "
        f"FROM {reader}) TO {_sql_str(str(out))} (FORMAT parquet, COMPRESSION zstd)"
    )
    rows = con.execute(f"SELECT count(*) FROM read_parquet({_sql_str(str(out))})").fetchone()[0]
    rejects = con.execute(
        "SELECT line, column_name, error_type, coalesce(csv_line, '') FROM reject_errors "
        "ORDER BY line"
    ).fetchall()
    return int(rows), [(int(r[0]), r[1], str(r[2]), str(r[3])) for r in rejects]


def _drift_from_rejects(
    where: str, raw: list[str], rejects: list[tuple[int, str | None, str, str]]
) -> SchemaDrift:
    line, col, kind, text = rejects[0]
    fields = text.count("$") + 1 if text else None
    if col is not None and re.fullmatch(r"c\d+", col) and int(col[1:]) < len(raw):
        col = raw[int(col[1:])]  # DuckDB names the columns c0..cN; the header's own name
    if col is None and fields is not None:
        col = (
            raw[min(fields, len(raw)) - 1] if fields <= len(raw) else f"#{fields} (after {raw[-1]})"
        )
    expected = len(raw)
    found = f"; found {fields}" if fields is not None else ""
    more = f" ({len(rejects)} bad line(s) in all)" if len(rejects) > 1 else ""
    return SchemaDrift(
        where, line, col,
        f"{kind.lower()}: expected {expected} '$'-separated fields as in the header{found}{more}",
    )  # fmt: skip


def _ingest_deleted(
    src: zipfile.ZipFile, info: zipfile.ZipInfo, out: Path, where: str, quarter: str
) -> TableResult:
    ids: list[str] = []
    lines = 0
    with src.open(info) as fin:
        for i, raw_line in enumerate(fin, start=1):
            lines = i
            text = raw_line.decode("latin-1").strip().rstrip("$").strip()
            if not text:
                continue
            if not text.isdigit():
                if i == 1:
                    continue  # a header line
                raise SchemaDrift(where, i, "caseid", f"expected a case number; got {text[:40]!r}")
            ids.append(text)
    import pyarrow as pa
    import pyarrow.parquet as pq

    out.parent.mkdir(parents=True, exist_ok=True)
    pq.write_table(
        pa.table({"caseid": ids, "quarter": [quarter] * len(ids)}), out, compression="zstd"
    )
    return TableResult(info.filename, lines, len(ids), 0, ["caseid"])


def _ingest_quarter(
    qz: QuarterZip,
    staging: Path,
    tmp: Path,
    on_bad_line: BadLine,
    encoding: str,
    advance: Callable[[int], None],
    threads: int | None,
) -> tuple[str, dict[str, TableResult]]:
    results: dict[str, TableResult] = {}
    layouts: set[str] = set()
    con = duckdb.connect()
    if threads:
        con.execute(f"SET threads={int(threads)}")
    con.execute("SET preserve_insertion_order=false")
    try:
        with zipfile.ZipFile(qz.path) as zf:
            members = _members(zf, qz.quarter, qz.path.name)
            for table in (*TABLES, "dele"):
                info = members.get(table)
                if info is None:
                    continue
                where = f"{qz.path.name}:{info.filename}"
                out = staging / table / f"quarter={qz.quarter}" / "data.parquet"
                if table == "dele":
                    results[table] = _ingest_deleted(zf, info, out, where, qz.quarter)
                    advance(info.file_size)
                    continue
                part = tmp / f"{table}.txt"
                lines, first = _extract(info, zf, part, advance)
                layout, raw, canon = _header(first, table, where, encoding)
                layouts.add(layout)
                rows, rejects = _copy_table(
                    con, part, out, table, qz.quarter, layout, raw, canon, encoding
                )
                part.unlink()
                if rejects and on_bad_line == "error":
                    raise _drift_from_rejects(where, raw, rejects)
                if rejects:
                    rej = staging.parent / "rejects" / f"{qz.quarter}_{table}.txt"
                    rej.parent.mkdir(parents=True, exist_ok=True)
                    rej.write_text(
                        "".join(f"{ln}\t{kind}\t{text}\n" for ln, _, kind, text in rejects)
                    )
                data_lines = max(lines - 1, 0)
                if rows + len(rejects) != data_lines:
                    raise SchemaDrift(
                        where, None, None,
                        f"{data_lines} data line(s) in the file but {rows} row(s) stored and "
                        f"{len(rejects)} refused; nothing of {qz.quarter} was kept",
                    )  # fmt: skip
                results[table] = TableResult(info.filename, data_lines, rows, len(rejects), canon)
    except (zipfile.BadZipFile, zlib.error, EOFError) as exc:  # found while streaming a member
        raise SchemaDrift(qz.path.name, None, None, f"corrupt zip: {exc}") from None
    finally:
        con.close()
    if len(layouts) != 1:
        raise SchemaDrift(qz.path.name, None, None, f"tables of mixed layouts: {sorted(layouts)}")
    return layouts.pop(), results


def _pending(zips: list[QuarterZip], manifest: dict[str, Any], force: bool) -> list[QuarterZip]:
    todo = []
    for qz in zips:
        known = manifest["quarters"].get(qz.quarter)
        sig = qz.signature()
        if force or known is None or any(known.get(k) != v for k, v in sig.items()):
            todo.append(qz)
    return todo


def _data_bytes(qz: QuarterZip) -> int:
    try:
        zf = zipfile.ZipFile(qz.path)
    except (zipfile.BadZipFile, OSError) as exc:
        raise SchemaDrift(qz.path.name, None, None, f"not a readable zip file ({exc})") from None
    with zf:
        return sum(
            i.file_size
            for i in zf.infolist()
            if _MEMBER.match(i.filename.rsplit("/", 1)[-1])
            or _DELETED.match(i.filename.rsplit("/", 1)[-1])
        )


def _default_jobs() -> int:
    return 2 if (os.cpu_count() or 1) >= 2 else 1


def _commit_quarter(
    store: Path,
    tmp: Path,
    qz: QuarterZip,
    layout: str,
    results: dict[str, TableResult],
    manifest: dict[str, Any],
    on_bad_line: str,
    encoding: str,
) -> None:
    """Move a staged quarter into ``raw/`` and record it in the manifest."""
    staging = tmp / "raw"
    for table in (*TABLES, "dele"):
        final = store / "raw" / table / f"quarter={qz.quarter}"
        if final.exists():
            shutil.rmtree(final)
        staged = staging / table / f"quarter={qz.quarter}"
        if staged.exists():
            final.parent.mkdir(parents=True, exist_ok=True)
            staged.replace(final)
    rejects = tmp / "rejects"
    if rejects.exists():
        for f in rejects.iterdir():
            (store / "rejects").mkdir(exist_ok=True)
            f.replace(store / "rejects" / f.name)
    manifest["quarters"][qz.quarter] = {
        **qz.signature(),
        "layout": layout,
        "tables": {t: r.as_dict() for t, r in results.items()},
        "ingested_at": time.strftime("%Y-%m-%dT%H:%M:%S"),
        "on_bad_line": on_bad_line,
        "encoding": encoding,
    }
    _write_manifest(store, manifest)


def ingest(
    source: Path,
    store: Path,
    *,
    force: bool = False,
    on_bad_line: BadLine = "error",
    encoding: str = "latin-1",
    threads: int | None = None,
    jobs: int | None = None,
    progress: Callable[[int, int, str], None] | None = None,
) -> IngestReport:
    """Ingest every new quarter of ``source`` (a folder of zips, or one zip) into ``store``.

    ``progress(done_bytes, total_bytes, label)`` is called as member files stream (uncompressed
    bytes). A quarter is first written to a staging folder and moved into ``raw/`` only when
    all its tables succeeded, then recorded in the manifest: an error leaves the store as it
    was. ``jobs`` quarters are ingested at once (default 2 on a machine with 2 or more cores),
    committed in order. Files are decoded as ``encoding`` (default latin-1, which accepts every
    byte; FAERS files are ASCII with occasional Windows-1252 letters).
    """
    if on_bad_line not in ("error", "skip"):
        raise PsoregError(f"on_bad_line: got {on_bad_line!r}; expected error or skip")
    t0 = time.perf_counter()
    store.mkdir(parents=True, exist_ok=True)
    manifest = read_manifest(store)
    zips = discover(source)
    todo = _pending(zips, manifest, force)
    report = IngestReport(skipped=[q.quarter for q in zips if q not in todo])
    total = sum(_data_bytes(q) for q in todo)
    done = 0
    lock = threading.Lock()
    workers = max(1, min(jobs or _default_jobs(), len(todo)))
    # two quarters at once keep both cores busy: Python inflates one zip member (zlib releases
    # the GIL) while DuckDB parses another; each quarter's connection then gets its share of cores
    per_threads = threads or (max(1, (os.cpu_count() or 1) // workers) if workers > 1 else None)

    def run(qz: QuarterZip) -> tuple[Path, str, dict[str, TableResult]]:
        def advance(n: int) -> None:
            nonlocal done
            with lock:
                done += n
                if progress is not None:
                    progress(done, total, qz.quarter)

        tmp = Path(tempfile.mkdtemp(dir=store, prefix=".ingest-"))
        try:
            layout, results = _ingest_quarter(
                qz, tmp / "raw", tmp, on_bad_line, encoding, advance, per_threads
            )
        except BaseException:
            shutil.rmtree(tmp, ignore_errors=True)
            raise
        return tmp, layout, results

    # quarters are committed to raw/ and the manifest in order: an error keeps the quarters
    # before the bad one, as the sequential ingest did, and drops the ones after it
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [pool.submit(run, qz) for qz in todo]
        try:
            for qz, fut in zip(todo, futures, strict=True):
                tmp, layout, results = fut.result()
                try:
                    _commit_quarter(
                        store, tmp, qz, layout, results, manifest, on_bad_line, encoding
                    )
                finally:
                    shutil.rmtree(tmp, ignore_errors=True)
                report.ingested.append(qz.quarter)
                report.rows[qz.quarter] = {t: r.rows for t, r in results.items()}
                report.rejected[qz.quarter] = {
                    t: r.rejected for t, r in results.items() if r.rejected
                }
        except BaseException:
            for f in futures:
                f.cancel()
            for f in futures:
                if not f.cancelled() and f.exception() is None:
                    shutil.rmtree(f.result()[0], ignore_errors=True)
            raise
    report.seconds = time.perf_counter() - t0
    return report


def raw_glob(store: Path, table: str) -> str:
    """The Parquet glob of a raw table of the store."""
    return str(store / "raw" / table / "*" / "*.parquet")


def iter_quarters(store: Path) -> Iterator[str]:
    yield from sorted(read_manifest(store)["quarters"])

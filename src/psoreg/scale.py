"""Outcomes for cohorts of any size: Parquet in, Parquet out, on DuckDB or on Spark.

:func:`run_outcomes_parquet` reads a cohort written as Parquet files (one per
:class:`~psoreg.cohort.Cohort` table, as :func:`psoreg.synth.synthesize` or an export writes
them), runs the *same* Ibis outcome expressions (:func:`psoreg.outcomes.engine.outcome_expr`)
on the chosen backend, and streams the per-course result to Parquet.

* **DuckDB** (default, embedded). Inputs are read lazily (``read_parquet`` views; nothing is
  loaded up front). A cohort whose query fits in the memory limit runs in one pass, written by
  DuckDB's parallel ``COPY … TO``. A larger one runs in *batches*: consecutive ranges of
  ``course_id``, each copied from the Parquet files into temporary tables (DuckDB skips row
  groups outside the range) and run through the full expression, its result appended to the
  output file; memory is then bounded by the batch, not by the cohort, and the progress bar
  advances batch by batch. The number of batches follows from the size of the visit table and
  the memory limit (:func:`plan_batches`); a batch that still runs out of memory is split in
  two, and DuckDB spills to a temporary directory beside the output. Output rows are sorted by
  ``course_id`` either way.
* **Spark** (``engine="spark"``; PySpark, local mode here, a cluster under ``spark-submit`` or
  Databricks). The active SparkSession is used when there is one (else a local one is started);
  Spark writes the result as a directory of Parquet part files at ``out`` (the Spark convention),
  sorted by ``course_id`` across the parts.

See ``docs/scale.md`` for recipes and ``benchmarks/README.md`` for measurements.
"""

from __future__ import annotations

import logging
import math
import os
import re
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb
import ibis
import ibis.expr.types as ir
import pyarrow.parquet as pq

from psoreg.cohort import empty
from psoreg.errors import PsoregError
from psoreg.outcomes.engine import Tables, outcome_expr
from psoreg.outcomes.options import OutcomeOptions
from psoreg.outcomes.run import drug_weeks_frame

__all__ = [
    "ENGINES",
    "INPUT_TABLES",
    "BYTES_PER_VISIT",
    "QUERY_FLOOR_BYTES",
    "ScaleError",
    "duckdb_tables",
    "is_uri",
    "plan_batches",
    "run_outcomes_parquet",
    "spark_session",
    "spark_tables",
]

ENGINES = ("duckdb", "spark")
#: The cohort tables the engine reads; the first two are required, the others may be absent.
INPUT_TABLES = ("courses", "assessments", "milestones", "events", "relapses")
REQUIRED_TABLES = ("courses", "assessments")
#: Working memory of the outcome query per visit row, the batch's own copy of its rows included
#: (measured ≈ 160 B on DuckDB 2.0).
BYTES_PER_VISIT = 170
#: Working memory of the outcome query however small the data (measured ≈ 58 MB on DuckDB 2.0:
#: dozens of hash tables, windows and materialised CTEs, each with its minimum allocation).
QUERY_FLOOR_BYTES = 64 * 10**6
#: A batch needs at least this much beyond the floor.
MIN_BATCH_BYTES = 16 * 10**6
#: Batches are never cut smaller than this many courses.
MIN_BATCH_COURSES = 1000
#: At most this many visit rows per batch, so that a long run advances its progress bar.
MAX_VISITS_PER_BATCH = 20_000_000


log = logging.getLogger(__name__)


#: A range of course identifiers, ``lo <= course_id < hi`` (``None``: unbounded).
Range = tuple[str | None, str | None]


class ScaleError(PsoregError):
    """An input directory or option that :func:`run_outcomes_parquet` cannot use."""


# --------------------------------------------------------------------------------------------
# Inputs
# --------------------------------------------------------------------------------------------


def _input_paths(input_dir: Path) -> dict[str, Path | None]:
    """Each input table's Parquet file (or directory of part files), ``None`` when absent."""
    input_dir = Path(input_dir)
    if not input_dir.is_dir():
        raise ScaleError(f"{input_dir}: not a directory of Parquet files")
    paths: dict[str, Path | None] = {}
    for name in INPUT_TABLES:
        candidates = [input_dir / f"{name}.parquet", input_dir / name]
        found = next((p for p in candidates if p.exists()), None)
        if found is None and name in REQUIRED_TABLES:
            raise ScaleError(f"{input_dir}: {name}.parquet is missing (required)")
        paths[name] = found
    return paths


def _duckdb_source(path: Path) -> str | list[str]:
    if path.is_dir():
        return [str(p) for p in sorted(path.glob("**/*.parquet"))]
    return str(path)


def duckdb_tables(con: Any, input_dir: Path) -> Tables:
    """Lazy Ibis tables over the cohort's Parquet files on a DuckDB connection."""
    paths = _input_paths(input_dir)
    tables: dict[str, ir.Table] = {}
    for name, path in paths.items():
        if path is None:
            tables[name] = con.create_table(f"psoreg_{name}", empty(name), overwrite=True)
        else:
            tables[name] = con.read_parquet(_duckdb_source(path), table_name=f"psoreg_{name}")
    drug_weeks = con.create_table("psoreg_drug_weeks", drug_weeks_frame(), overwrite=True)
    return Tables(drug_weeks=drug_weeks, **tables)


def is_uri(path: str | Path) -> bool:
    """Whether ``path`` is a URI (``s3a://…``, ``abfss://…``, ``dbfs:/…``), not a local path."""
    return isinstance(path, str) and re.match(r"^[A-Za-z][A-Za-z0-9+.-]+:/", path) is not None


def spark_tables(con: Any, input_dir: str | Path) -> Tables:
    """Ibis tables over the cohort's Parquet files on a PySpark connection.

    ``input_dir`` may be a local directory or a URI that Spark reads (``s3a://bucket/cohort``,
    ``abfss://…``, ``dbfs:/…``); the optional tables may be absent either way.
    """
    tables: dict[str, ir.Table] = {}
    if is_uri(input_dir):
        from pyspark.errors import AnalysisException

        base = str(input_dir).rstrip("/")
        for name in INPUT_TABLES:
            try:
                tables[name] = con.read_parquet(
                    f"{base}/{name}.parquet", table_name=f"psoreg_{name}"
                )
            except AnalysisException as e:
                if name in REQUIRED_TABLES:
                    raise ScaleError(f"{base}: cannot read {name}.parquet ({e})") from e
                tables[name] = ibis.memtable(empty(name))
    else:
        for name, path in _input_paths(Path(input_dir)).items():
            if path is None:
                tables[name] = ibis.memtable(empty(name))
            else:
                tables[name] = con.read_parquet(str(path), table_name=f"psoreg_{name}")
    return Tables(drug_weeks=ibis.memtable(drug_weeks_frame()), **tables)


# --------------------------------------------------------------------------------------------
# Batches
# --------------------------------------------------------------------------------------------

_UNITS = {"": 1, "b": 1, "k": 10**3, "m": 10**6, "g": 10**9, "t": 10**12}


def parse_bytes(text: str) -> int:
    """Bytes in a DuckDB-style size (``"64MB"``, ``"4GiB"``, ``"512 MiB"``, ``"2g"``)."""
    m = re.fullmatch(r"\s*([0-9.]+)\s*([kmgt]?)(i?)b?\s*", text.lower())
    if not m:
        raise ScaleError(f"memory_limit: got {text!r}; expected a size such as '4GB' or '512MiB'")
    number, unit, binary = float(m.group(1)), m.group(2), m.group(3)
    factor = 1024 ** "bkmgt".index(unit or "b") if binary else _UNITS[unit]
    return int(number * factor)


def _physical_memory() -> int:
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):  # pragma: no cover - non-POSIX
        return 8 * 1024**3


def _rows(path: Path | None) -> int:
    if path is None:
        return 0
    files = sorted(path.glob("**/*.parquet")) if path.is_dir() else [path]
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def plan_batches(visit_rows: int, memory_limit: str | None = None) -> int:
    """How many ``course_id`` ranges to run so that each range fits the memory limit.

    The outcome query needs about :data:`QUERY_FLOOR_BYTES` whatever the data, plus about
    :data:`BYTES_PER_VISIT` per visit row (measured on DuckDB 2.0 for batches in temporary
    tables: 65 MB for 1,500 courses, 99 MB for 15,000, 374 MB for 100k). The limit defaults
    to DuckDB's own (80 % of physical memory). Ranges are also capped at
    :data:`MAX_VISITS_PER_BATCH` visits so that a long run shows progress. (A range that still
    runs out of memory is split at run time.)
    """
    limit = parse_bytes(memory_limit) if memory_limit else int(0.8 * _physical_memory())
    usable = limit - QUERY_FLOOR_BYTES
    if usable < MIN_BATCH_BYTES:
        least = math.ceil((QUERY_FLOOR_BYTES + MIN_BATCH_BYTES) / 1e6)
        raise ScaleError(
            f"memory_limit: got {memory_limit!r}; the outcome query needs at least {least}MB "
            "on DuckDB"
        )
    by_memory = math.ceil(visit_rows * BYTES_PER_VISIT / usable)
    by_progress = math.ceil(visit_rows / MAX_VISITS_PER_BATCH)
    return max(1, by_memory, by_progress)


def _sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def _where(lo: str | None, hi: str | None) -> str:
    cond = [f"course_id >= {_sql_text(lo)}"] if lo is not None else []
    cond += [f"course_id < {_sql_text(hi)}"] if hi is not None else []
    return " AND ".join(cond) or "true"


class _Batches:
    """The outcome query over one range of ``course_id`` at a time.

    Each batch copies its rows of the input tables into temporary tables first: DuckDB sizes a
    query's hash tables from its estimate of the input, so a range filtered from a large Parquet
    file needs nearly the memory of the whole file (185 MB for 1,500 courses of a 60k-course
    cohort), while the same courses in a table of their own need 65 MB. The query is compiled
    once, against the temporary tables.
    """

    def __init__(self, con: Any, options: OutcomeOptions) -> None:
        self.con = con
        temp = {}
        for name in INPUT_TABLES:
            self._sql(
                f"CREATE OR REPLACE TEMP TABLE psoreg_batch_{name} AS "
                f"SELECT * FROM psoreg_{name} LIMIT 0"
            )
            temp[name] = con.table(f"psoreg_batch_{name}", database=("temp", "main"))
        expr = outcome_expr(Tables(drug_weeks=con.table("psoreg_drug_weeks"), **temp), options)
        self.schema = expr.schema().to_pyarrow()
        self.query = str(ibis.to_sql(expr, dialect="duckdb"))

    def _sql(self, query: str) -> list[tuple[Any, ...]]:
        result = self.con.con.sql(query)  # None for a statement with no result
        return result.fetchall() if result is not None else []

    def load(self, lo: str | None, hi: str | None) -> None:
        """Fill the temporary tables with the courses of the range."""
        for name in INPUT_TABLES:
            self._sql(
                f"CREATE OR REPLACE TEMP TABLE psoreg_batch_{name} AS "
                f"SELECT * FROM psoreg_{name} WHERE {_where(lo, hi)}"
            )

    def split(
        self, lo: str | None, hi: str | None, parts: int = 1, most: int | None = None
    ) -> tuple[int, list[Range]]:
        """The number of courses in the range, and the range cut into ``parts`` ranges of about
        equal numbers of courses, more if needed for at most ``most`` courses each (but never
        fewer than :data:`MIN_BATCH_COURSES` courses each)."""
        where = _where(lo, hi)
        ((n,),) = self._sql(f"SELECT count(*) FROM psoreg_courses WHERE {where}")
        if most:
            parts = max(parts, math.ceil(n / most))
        parts = max(1, min(parts, n // MIN_BATCH_COURSES))
        if parts == 1:
            return n, [(lo, hi)]
        probs = ", ".join(repr(i / parts) for i in range(1, parts))
        ((cuts,),) = self._sql(
            f"SELECT quantile_disc(course_id, [{probs}]) FROM psoreg_courses WHERE {where}"
        )
        inner = sorted({c for c in cuts or [] if c is not None and (lo is None or c > lo)})
        bounds: list[str | None] = [lo, *inner, hi]
        return n, list(zip(bounds[:-1], bounds[1:], strict=True))


# --------------------------------------------------------------------------------------------
# Progress
# --------------------------------------------------------------------------------------------


@contextmanager
def _progress_bar(enabled: bool, total: int, description: str) -> Iterator[Any]:
    """A Rich progress bar on stderr (or a silent stand-in); yields ``advance(n)``."""
    if not enabled:
        yield lambda n: None
        return
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn

    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=Console(stderr=True),
    ) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def run_outcomes_parquet(
    input_dir: Path | str,
    out: Path | str,
    engine: str = "duckdb",
    options: OutcomeOptions | None = None,
    memory_limit: str | None = None,
    threads: int | None = None,
    progress: bool = True,
    *,
    batches: int | None = None,
) -> int:
    """Per-course outcomes of the Parquet cohort in ``input_dir``, written to ``out``.

    ``engine`` is ``"duckdb"`` (``out`` is one Parquet file) or ``"spark"`` (``out`` is a
    directory of part files; with Spark, ``input_dir`` and ``out`` may also be URIs such as
    ``s3a://bucket/cohort``). ``memory_limit`` (e.g. ``"4GB"``) and ``threads`` bound DuckDB
    (for Spark they size a local session when none is active). ``batches`` overrides the number
    of ``course_id`` ranges DuckDB runs (default: planned from the visit count and the memory
    limit, DuckDB's default being 80 % of the RAM; a limit below the query's floor is then
    refused up front). Returns the number of courses written.
    """
    if engine not in ENGINES:
        raise ScaleError(f"engine: got {engine!r}; expected one of {', '.join(ENGINES)}")
    if batches is not None and batches < 1:
        raise ScaleError(f"batches: got {batches}; expected a positive integer")
    options = options or OutcomeOptions()
    if engine == "spark":
        if not is_uri(out):
            Path(out).parent.mkdir(parents=True, exist_ok=True)
        return _run_spark(input_dir, str(out), options, memory_limit, threads, progress)
    if is_uri(input_dir) or is_uri(out):
        raise ScaleError("URIs are for engine='spark'; DuckDB reads and writes local paths")
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    return _run_duckdb(Path(input_dir), out, options, memory_limit, threads, progress, batches)


def _run_duckdb(
    input_dir: Path,
    out: Path,
    options: OutcomeOptions,
    memory_limit: str | None,
    threads: int | None,
    progress: bool,
    batches: int | None,
) -> int:
    paths = _input_paths(input_dir)
    visits = _rows(paths["assessments"])
    if memory_limit and not batches:
        plan_batches(visits, memory_limit)  # refuse a limit below the query's floor up front
    partial = out.with_name(out.name + ".partial")
    with tempfile.TemporaryDirectory(prefix=".psoreg-spill-", dir=out.parent) as spill:
        config: dict[str, Any] = {"temp_directory": spill, "preserve_insertion_order": False}
        if memory_limit:
            config["memory_limit"] = memory_limit
        if threads:
            config["threads"] = threads
        con = ibis.duckdb.connect(**config)
        try:
            con.raw_sql("SET enable_progress_bar = false")  # psoreg shows its own
            # DuckDB's own limit when none is given (80 % of RAM, or of a container's limit)
            ((limit,),) = con.con.sql("SELECT current_setting('memory_limit')").fetchall()
            n_batches = batches or plan_batches(visits, memory_limit or limit)
            tables = duckdb_tables(con, input_dir)
            total = _rows(paths["courses"])
            with _progress_bar(progress, total, "courses") as advance:
                rows = None
                if n_batches == 1:
                    # one pass: DuckDB's own parallel COPY is the fastest writer
                    try:
                        con.to_parquet(outcome_expr(tables, options), partial)
                        rows = pq.ParquetFile(partial).metadata.num_rows
                        advance(rows)
                    except duckdb.OutOfMemoryException:
                        log.info("one pass ran out of memory; running in batches")
                        partial.unlink(missing_ok=True)
                        n_batches = 2  # it did not fit after all: run in halves
                if rows is None:
                    batches = _Batches(con, options)
                    ranges = batches.split(None, None, parts=n_batches)[1]
                    rows = _write_batches(batches, ranges, partial, advance)
        except BaseException:
            partial.unlink(missing_ok=True)  # never leave half a result behind
            raise
        finally:
            con.disconnect()
    os.replace(partial, out)
    return rows


def _write_batches(batches: _Batches, ranges: list[Range], path: Path, advance: Any) -> int:
    """Run the query range by range, appending each result to one Parquet file.

    A range that runs out of memory before producing rows is split in two and retried, and the
    ranges after it are cut as finely from the start.
    """
    rows, most = 0, None  # most: courses per batch known to fit, once a batch has run out
    with pq.ParquetWriter(path, batches.schema) as writer:
        for lo, hi in ranges:
            pending = batches.split(lo, hi, most=most)[1] if most else [(lo, hi)]
            while pending:
                a, b = pending.pop(0)
                written = 0
                try:
                    batches.load(a, b)
                    for batch in _arrow_batches(batches.con, batches.query):
                        if batch.schema != batches.schema:
                            batch = batch.cast(batches.schema)
                        writer.write_batch(batch)
                        written += batch.num_rows
                        advance(batch.num_rows)
                except duckdb.OutOfMemoryException as e:
                    n, halves = batches.split(a, b, 2)
                    if written:
                        raise
                    if len(halves) < 2:
                        raise ScaleError(
                            f"memory_limit: too small for the outcome query; {n} courses did "
                            f"not fit ({str(e).splitlines()[0]})"
                        ) from e
                    log.info("batch of %d courses ran out of memory; splitting it", n)
                    most = min(most or n, n // 2)
                    pending[:0] = halves
                    continue
                rows += written
    return rows


def _arrow_batches(con: Any, sql: str, rows: int = 1 << 17) -> Any:
    """Stream a query's result from DuckDB as Arrow record batches.

    (Ibis 12's ``to_pyarrow_batches`` calls ``fetch_record_batch``, which DuckDB 2.0 renamed to
    ``to_arrow_reader``; this works with both.)
    """
    result = con.con.sql(sql)
    reader = getattr(result, "to_arrow_reader", None) or result.fetch_arrow_reader
    return reader(rows)


def spark_session(
    master: str | None = None, memory: str | None = None, app_name: str = "psoreg"
) -> Any:
    """The active SparkSession, or a new local one (``local[*]``, no UI) when there is none."""
    from pyspark.sql import SparkSession

    active = SparkSession.getActiveSession()
    if active is not None:
        return active
    builder = (
        SparkSession.builder.appName(app_name)
        .master(master or "local[*]")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        .config("spark.sql.session.timeZone", "UTC")
    )
    if memory:
        builder = builder.config("spark.driver.memory", memory)
    return get_or_create(builder)


def get_or_create(builder: Any) -> Any:
    """``builder.getOrCreate()``, with the Java gateway started without Python code between
    fork and exec.

    PySpark starts the JVM with a ``preexec_fn`` (to ignore Ctrl-C). In a process that already
    runs threads (DuckDB, a web server), Python code in the forked child can crash it (seen in
    the test suite: a segfault in the child, then "Java gateway process exited"). A new process
    group keeps the terminal's Ctrl-C from the JVM just the same, and is set by the C fork code.
    """
    import pyspark.java_gateway as gateway

    original = gateway.Popen

    def popen(*args: Any, **kwargs: Any) -> Any:
        if kwargs.pop("preexec_fn", None) is not None:
            kwargs["process_group"] = 0
        return original(*args, **kwargs)

    gateway.Popen = popen
    try:
        return builder.getOrCreate()
    finally:
        gateway.Popen = original


def _run_spark(
    input_dir: str | Path,
    out: str,
    options: OutcomeOptions,
    memory_limit: str | None,
    threads: int | None,
    progress: bool,
) -> int:
    session = spark_session(
        master=f"local[{threads}]" if threads else None,
        memory=_spark_memory(memory_limit) if memory_limit else None,
    )
    con = ibis.pyspark.connect(session)
    tables = spark_tables(con, input_dir)
    expr = outcome_expr(tables, options)
    with _progress_bar(progress, 1, "outcomes on Spark") as advance:
        con.to_parquet(expr, out, mode="overwrite")
        advance(1)
    return session.read.parquet(out).count()


def _spark_memory(memory_limit: str) -> str:
    """A DuckDB-style size as a JVM size (``4GB`` → ``3815m``)."""
    return f"{max(1, parse_bytes(memory_limit) // 2**20)}m"


def main(argv: list[str] | None = None) -> int:
    """``python -m psoreg.scale INPUT OUT [--engine spark]``; also a ``spark-submit`` script."""
    import argparse
    import json

    parser = argparse.ArgumentParser(
        prog="psoreg.scale", description="Per-course outcomes of a Parquet cohort, to Parquet."
    )
    parser.add_argument("input_dir", help="directory (or, with Spark, URI) of the cohort tables")
    parser.add_argument("out", help="output Parquet file (DuckDB) or directory (Spark)")
    parser.add_argument("--engine", choices=ENGINES, default="duckdb")
    parser.add_argument("--options", help="outcome options as JSON, e.g. '{\"primary_week\": 16}'")
    parser.add_argument("--memory-limit", help="e.g. 4GB (DuckDB; Spark driver memory if local)")
    parser.add_argument("--threads", type=int)
    parser.add_argument("--no-progress", action="store_true")
    args = parser.parse_args(argv)
    options = OutcomeOptions(**json.loads(args.options)) if args.options else None
    n = run_outcomes_parquet(
        args.input_dir,
        args.out,
        engine=args.engine,
        options=options,
        memory_limit=args.memory_limit,
        threads=args.threads,
        progress=not args.no_progress,
    )
    print(f"{n} courses written to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())

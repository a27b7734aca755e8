"""Compile once: the outcome expressions as SQL, cached per (definitions, options, dialect).

The Ibis expressions of :mod:`psoreg.outcomes.engine` stay the single definition of every
outcome. Building them and compiling them to SQL takes about a second (mostly sqlglot); running
that SQL on a clinic's data takes milliseconds. So each combination of options and SQL dialect
is compiled **once** and the data are then bound to the compiled query:

* in the process, by :func:`compiled` (``functools.lru_cache``);
* across processes, in a small JSON file per combination in the cache folder
  (``$PSOREG_CACHE_DIR``, else ``$XDG_CACHE_HOME/psoreg``, else ``~/.cache/psoreg``), so that a
  command such as ``psoreg summarize`` or a new server worker runs the SQL without importing
  Ibis at all.

A cached query is keyed by :func:`definitions_fingerprint` (a hash of the source of every module
that defines an outcome or the engine's input tables), the options, the dialect and the Ibis and
sqlglot versions: a changed definition, option or compiler is never answered from an old file.
:func:`outcomes_version` is the same fingerprint without the compiler versions; the registry
database stores it beside each course's materialised outcomes (:mod:`psoreg.store.outcomes`).

The data are bound by name: the query reads the tables ``psoreg_courses``, ``psoreg_assessments``,
``psoreg_milestones``, ``psoreg_events``, ``psoreg_relapses`` and ``psoreg_drug_weeks``, which
:func:`run_compiled` registers on an in-memory DuckDB connection as Arrow tables.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import logging
import os
import re
import tempfile
import threading
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from psoreg import __version__
from psoreg.cohort import SCHEMAS
from psoreg.outcomes.options import OutcomeOptions

if TYPE_CHECKING:  # pragma: no cover
    import pandas as pd
    import pyarrow as pa

    from psoreg.cohort import Cohort

log = logging.getLogger(__name__)

#: The engine's input tables, in the order of :class:`psoreg.outcomes.engine.Tables`.
INPUT_TABLES = ("courses", "assessments", "milestones", "events", "relapses", "drug_weeks")
DRUG_WEEKS_SCHEMA = {"drug": "string", "response_week": "float64"}
#: Format of the cache files; bump it when their layout changes.
CACHE_FORMAT = 1

_PACKAGE = Path(__file__).resolve().parent.parent
#: The modules (and data) whose source defines the outcomes: any change to them is a new
#: definitions version. Generous on purpose: recompiling is cheap, a stale answer is not.
DEFINITION_SOURCES = (
    "outcomes/*.py",
    "cohort.py",
    "model/*.py",
    "catalogue.py",
    "data/*",
    "store/export.py",
)


#: The cohort's pandas dtypes as the query's column types (a start date is a calendar date).
_QUERY_TYPES = {"datetime64[ns]": "date"}


def input_schema(name: str) -> dict[str, str]:
    """Column → type (``string``, ``float64``, ``boolean``, ``date``) of an input table."""
    if name == "drug_weeks":
        return DRUG_WEEKS_SCHEMA
    return {c: _QUERY_TYPES.get(t, t) for c, t in SCHEMAS[name].items()}


@functools.cache
def definitions_fingerprint() -> str:
    """SHA-256 of the source of every module that defines an outcome (see DEFINITION_SOURCES)."""
    h = hashlib.sha256()
    for pattern in DEFINITION_SOURCES:
        for path in sorted(_PACKAGE.glob(pattern)):
            if path.is_file() and path.suffix not in {".pyc", ".pyo"}:
                h.update(path.relative_to(_PACKAGE).as_posix().encode())
                h.update(b"\0")
                h.update(path.read_bytes())
                h.update(b"\0")
    return h.hexdigest()


def outcomes_version(options: OutcomeOptions | None = None) -> str:
    """The version of the outcomes under ``options``: definitions, options and psoreg version.

    Stored outcomes carrying another version are stale and are recomputed.
    """
    options = options or OutcomeOptions()
    payload = json.dumps(
        {
            "psoreg": __version__,
            "definitions": definitions_fingerprint(),
            "options": options.model_dump(mode="json"),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _compiler_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for dist in ("ibis-framework", "sqlglot"):
        try:
            out[dist] = version(dist)
        except PackageNotFoundError:  # pragma: no cover - both are dependencies
            out[dist] = "?"
    return out


def cache_dir() -> Path:
    """Where compiled queries are kept between processes."""
    if env := os.environ.get("PSOREG_CACHE_DIR"):
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "psoreg"


@dataclass(frozen=True)
class CompiledOutcomes:
    """The outcome query for one (options, dialect): SQL text and the output columns' types."""

    key: str
    dialect: str
    sql: str
    #: (column, type) of the result, type one of string, float64, boolean, int64
    columns: tuple[tuple[str, str], ...]

    @property
    def names(self) -> tuple[str, ...]:
        return tuple(name for name, _ in self.columns)


def cache_key(options: OutcomeOptions, dialect: str) -> str:
    payload = json.dumps(
        {
            "format": CACHE_FORMAT,
            "version": outcomes_version(options),
            "dialect": dialect,
            "compilers": _compiler_versions(),
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:32]


def _kind(dtype: Any) -> str:
    if dtype.is_string():
        return "string"
    if dtype.is_boolean():
        return "boolean"
    if dtype.is_integer():
        return "int64"
    if dtype.is_floating():
        return "float64"
    raise TypeError(f"unexpected outcome column type {dtype}")  # pragma: no cover


def build_query(options: OutcomeOptions, dialect: str) -> tuple[str, tuple[tuple[str, str], ...]]:
    """Build the Ibis expression on unbound tables and compile it (the slow step)."""
    import ibis

    from psoreg.outcomes.engine import Tables, outcome_expr

    tables = {
        name: ibis.table(ibis.schema(input_schema(name)), name=f"psoreg_{name}")
        for name in INPUT_TABLES
    }
    expr = outcome_expr(Tables(**tables), options)
    sql = str(ibis.to_sql(expr, dialect=dialect))
    if dialect == "duckdb":
        sql = duckdb_lambdas(sql)
    columns = tuple((name, _kind(t)) for name, t in expr.schema().items())
    return sql, columns


_ARROW_LAMBDA = re.compile(r"\b(__ibis_param_\w+?__) ->")


def duckdb_lambdas(sql: str) -> str:
    """Ibis 12 writes DuckDB's list lambdas as ``x -> body``, a syntax DuckDB 2.0 refuses by
    default (deprecated); the same lambda as ``lambda x: body`` runs on DuckDB 1.3 and later."""
    return _ARROW_LAMBDA.sub(r"lambda \1:", sql)


def _read_cache(path: Path, key: str) -> CompiledOutcomes | None:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return None
    if data.get("key") != key or data.get("format") != CACHE_FORMAT:
        return None
    return CompiledOutcomes(
        key=key,
        dialect=data["dialect"],
        sql=data["sql"],
        columns=tuple((n, t) for n, t in data["columns"]),
    )


def _write_cache(path: Path, c: CompiledOutcomes) -> None:
    """Write atomically (a concurrent reader sees the old file or the new, never half)."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".outcomes-", suffix=".tmp")
        with os.fdopen(fd, "w") as f:
            json.dump(
                {
                    "format": CACHE_FORMAT,
                    "key": c.key,
                    "dialect": c.dialect,
                    "sql": c.sql,
                    "columns": [list(x) for x in c.columns],
                },
                f,
            )
        os.replace(tmp, path)
    except OSError as exc:  # a read-only home is no reason to fail: compile again next time
        log.debug("could not cache the compiled outcome query in %s: %s", path.parent, exc)


_lock = threading.Lock()


@functools.lru_cache(maxsize=64)
def compiled(options: OutcomeOptions | None = None, dialect: str = "duckdb") -> CompiledOutcomes:
    """The compiled outcome query for ``options`` on ``dialect`` (once per process, and kept on
    disk for the next process)."""
    options = options or OutcomeOptions()
    key = cache_key(options, dialect)
    path = cache_dir() / f"outcomes-{dialect}-{key}.json"
    with _lock:
        found = _read_cache(path, key)
        if found is not None:
            return found
        sql, columns = build_query(options, dialect)
        c = CompiledOutcomes(key=key, dialect=dialect, sql=sql, columns=columns)
        _write_cache(path, c)
        return c


def warm(options: OutcomeOptions | None = None) -> CompiledOutcomes:
    """Compile now (e.g. at server start) so that no request pays for it."""
    return compiled(options or OutcomeOptions())


# --- binding data ----------------------------------------------------------------------------

_ARROW = {"string": "string", "float64": "float64", "boolean": "bool_", "date": "date32"}


def arrow_schema(name: str) -> pa.Schema:
    import pyarrow as pa

    return pa.schema([(c, getattr(pa, _ARROW[t])()) for c, t in input_schema(name).items()])


def arrow_table(name: str, df: pd.DataFrame) -> pa.Table:
    """``df`` as an Arrow table with exactly the input table's columns and types."""
    import pyarrow as pa

    schema = arrow_schema(name)
    return pa.Table.from_pandas(df[list(schema.names)], schema=schema, preserve_index=False)


@functools.cache
def drug_weeks_table() -> pa.Table:
    """The catalogue's response-assessment week per drug (constant for the process)."""
    from psoreg.outcomes.run import drug_weeks_frame

    return arrow_table("drug_weeks", drug_weeks_frame())


def cohort_tables(cohort: Cohort) -> dict[str, pa.Table]:
    tables = {name: arrow_table(name, getattr(cohort, name)) for name in INPUT_TABLES[:-1]}
    tables["drug_weeks"] = drug_weeks_table()
    return tables


_local = threading.local()


def _connection() -> Any:
    """This thread's in-memory DuckDB connection (created once per thread)."""
    con = getattr(_local, "con", None)
    if con is None:
        import duckdb

        con = duckdb.connect(config={"threads": 1})
        _local.con = con
    return con


def run_compiled(
    tables: dict[str, pa.Table], options: OutcomeOptions | None = None, con: Any | None = None
) -> pd.DataFrame:
    """Run the compiled outcome query on ``tables`` (Arrow, named as :data:`INPUT_TABLES`).

    ``con`` is a DuckDB connection (or an Ibis DuckDB backend); by default this thread's own.
    The result has the same columns, order and pandas types as executing the Ibis expression.
    """
    c = compiled(options or OutcomeOptions(), "duckdb")
    con = getattr(con, "con", con) or _connection()
    names = [f"psoreg_{n}" for n in INPUT_TABLES]
    try:
        for n in INPUT_TABLES:
            con.register(f"psoreg_{n}", tables[n])
        # con.execute: DuckDB parses, binds and plans the 45 KB query once. con.sql() would
        # bind it for a lazy relation's schema first, then again to run it (40-50 ms more per
        # call). DuckDB 2 warns that Arrow from a DB-API result copies the rows once: one row
        # per course of the cohort given, a copy that costs far less than that bind. (The
        # filter is the only one added while catch_warnings swaps the process's list; threads
        # overlapping here can at worst leave this same filter in place.)
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Arrow output on a DB-API result", UserWarning)
            result = con.execute(c.sql).to_arrow_table()
    finally:
        for name in names:
            with contextlib.suppress(Exception):  # nothing to unregister after a failed register
                con.unregister(name)
    return to_pandas(result, c.columns)


def to_pandas(table: pa.Table, columns: tuple[tuple[str, str], ...]) -> pd.DataFrame:
    """The result as pandas, converted exactly as Ibis converts a DuckDB result.

    A column with nulls becomes Python objects (``None`` for null) before the conversion by
    type, so a boolean column with nulls is ``object`` (True/False/None) and one without is
    ``bool``; floats are ``float64`` with NaN; strings are ``object``; counts are ``int64``.
    """
    import pandas as pd

    raw = pd.DataFrame(
        {
            name: (col.to_pylist() if col.null_count else col.to_pandas())
            for name, col in zip(table.column_names, table.columns, strict=True)
        }
    )
    out = {}
    for name, kind in columns:
        s = raw[name]
        if kind == "boolean":
            if s.empty:
                s = s.astype(bool)
            elif s.dtype != object and s.dtype != bool:
                s = s.map(bool, na_action="ignore")
        elif kind == "string":
            s = s.astype(object)
        else:
            with contextlib.suppress(TypeError, ValueError):  # as Ibis: keep what cannot convert
                s = s.astype(kind)
        out[name] = s
    return pd.DataFrame(out)


def execute(cohort: Cohort, options: OutcomeOptions | None = None, con: Any | None = None):
    """Per-course outcomes of ``cohort`` as a DataFrame (the compiled query; see module doc)."""
    return run_compiled(cohort_tables(cohort), options, con).reset_index(drop=True)

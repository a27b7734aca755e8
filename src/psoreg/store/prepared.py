"""Fixed reading statements of the request path, compiled once and run on the DBAPI cursor.

Why SQLAlchemy's ``Connection.execute`` is bypassed here: it costs about 0.2 ms of CPU per
statement beyond the query itself (cache key, parameters, events, result metadata), more than
the indexed reads of the patient page take in SQLite, and a page runs five to seven of them.

The SQLAlchemy select stays the one definition of each query; only its execution changes. A
:class:`Prepared` compiles its select once per dialect (constant ``IN`` lists expanded as
SQLAlchemy would) and converts each value with the result processor SQLAlchemy itself would
apply (SQLite's dates and times stored as text, JSON, booleans stored as 0/1), so the rows hold
the same Python values as ``conn.execute(select).all()``.
"""

from __future__ import annotations

from collections import namedtuple
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, Select
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError


@dataclass(frozen=True)
class Reader:
    """A DBAPI cursor and the dialect of its database, to run :class:`Prepared` statements on.

    :meth:`psoreg.store.db.Store.prepared_reader` gives one on a pooled connection; :meth:`on`
    one on the connection (and transaction) of a SQLAlchemy ``Connection``."""

    cursor: Any
    dialect: Dialect

    @classmethod
    def on(cls, conn: Connection) -> Reader:
        """A reader on ``conn``'s DBAPI connection, inside whatever transaction it has."""
        return cls(conn.connection.cursor(), conn.dialect)


@dataclass
class _Compiled:
    """A select as one dialect runs it."""

    sql: str
    #: the values of the select's own parameters (constant ``IN`` lists, ...), processed
    constants: dict[str, Any]
    #: parameter names in the order of the SQL's placeholders (None: named placeholders)
    order: tuple[str, ...] | None
    #: set at the first run: they depend on the column types the cursor reports (PostgreSQL)
    names: tuple[str, ...] = ()
    converters: tuple[tuple[int, Callable[[Any], Any]], ...] = ()
    record: Any = None
    described: bool = False


class Prepared:
    """A select run by :class:`Reader`s without SQLAlchemy's per-statement work.

    Its parameters are given by name at each run; they must be plain values that the driver
    takes as they are (integers, text), not lists for ``IN``: a statement whose SQL depends on
    its parameters belongs to SQLAlchemy's ``execute``."""

    def __init__(self, statement: Select[Any]) -> None:
        self.statement = statement
        #: by dialect class (a database and its driver: psycopg and psycopg2 differ)
        self._by_dialect: dict[type, _Compiled] = {}

    def rows(self, reader: Reader, **params: Any) -> list[Sequence[Any]]:
        """The rows of the select with ``params``, each value as SQLAlchemy would give it."""
        return self._run(reader, params)[1]

    def records(self, reader: Reader, **params: Any) -> list[Any]:
        """:meth:`rows` as named tuples (``r.date``), as SQLAlchemy's rows are read."""
        c, rows = self._run(reader, params)
        return [c.record._make(r) for r in rows]

    def dicts(self, reader: Reader, **params: Any) -> list[dict[str, Any]]:
        """:meth:`rows` as dicts by column name."""
        c, rows = self._run(reader, params)
        return [dict(zip(c.names, r, strict=True)) for r in rows]

    def _run(self, reader: Reader, params: dict[str, Any]) -> tuple[_Compiled, list[Any]]:
        c = self._by_dialect.get(type(reader.dialect)) or self._compile(reader.dialect, params)
        merged = {**c.constants, **params}
        args = merged if c.order is None else tuple(merged[name] for name in c.order)
        cursor, dbapi = reader.cursor, reader.dialect.loaded_dbapi
        try:
            cursor.execute(c.sql, args)
            if not c.described:
                self._describe(c, reader.dialect, cursor.description)
            rows = cursor.fetchall()
        except dbapi.Error as exc:  # as SQLAlchemy raises it (a locked database answers 503)
            raise DBAPIError.instance(
                c.sql, args, exc, dbapi.Error, hide_parameters=True, dialect=reader.dialect
            ) from exc
        if not c.converters:
            return c, rows
        out = []
        for row in rows:
            values = list(row)
            for i, convert in c.converters:
                values[i] = convert(values[i])
            out.append(values)
        return c, out

    def _compile(self, dialect: Dialect, params: dict[str, Any]) -> _Compiled:
        state = self.statement.compile(dialect=dialect).construct_expanded_state(params)
        given = set(params)
        odd = given & (set(state.processors) | set(state.parameter_expansion))
        if odd:
            raise ValueError(f"parameters {sorted(odd)} need SQLAlchemy's execute")
        constants = {
            name: state.processors[name](value) if name in state.processors else value
            for name, value in state.parameters.items()
            if name not in given
        }
        order = None if state.positiontup is None else tuple(state.positiontup)
        compiled = _Compiled(state.statement, constants, order)
        self._by_dialect[type(dialect)] = compiled
        return compiled

    def _describe(self, c: _Compiled, dialect: Dialect, description: Any) -> None:
        columns = list(self.statement.selected_columns)
        converters = []
        for i, (column, described) in enumerate(zip(columns, description, strict=True)):
            convert = column.type.dialect_impl(dialect).result_processor(dialect, described[1])
            if convert is not None:
                converters.append((i, convert))
        c.names = tuple(d[0] for d in description)
        c.converters = tuple(converters)
        c.record = namedtuple("Record", c.names, rename=True)
        c.described = True

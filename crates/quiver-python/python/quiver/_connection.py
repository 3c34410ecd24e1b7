"""Connections: a Quiver session, in memory or on a database directory."""

from __future__ import annotations

import os
import re
import sys
from typing import Any, Callable, Iterable, Mapping, Sequence

import pyarrow as pa

from . import _quiver
from ._convert import arrow_data, options_sql, parameter_row, quote_identifier, quote_string
from ._cursor import Cursor, Parameters
from ._quiver import QueryResult
from ._relation import Relation


class Connection:
    """A Quiver session: runs SQL, holds tables registered from Python, and
    reads files. In memory, or on a database directory whose tables, views
    and settings last between processes. Usable as a context manager
    (closed at the end of the block)."""

    def __init__(
        self,
        database: str | os.PathLike[str] | None = None,
        read_only: bool = False,
        config: Mapping[str, Any] | None = None,
    ) -> None:
        settings = [(str(key), str(value)) for key, value in (config or {}).items()]
        path = None if database in (None, ":memory:") else os.fspath(database)  # type: ignore[arg-type]
        self._native = _quiver.Connection(path, read_only, settings)

    # Running SQL.

    def _execute(self, query: str, parameters: Parameters | None = None) -> QueryResult:
        """Runs `query`; a table name that is not in the catalog but names a
        pyarrow, pandas or polars object in the calling Python code is read
        from that object (a replacement scan, as in DuckDB)."""
        arguments: tuple[Any, ...] = (query,)
        if parameters is not None:
            arguments = (query, *parameter_row(parameters))
        borrowed: list[str] = []
        try:
            while True:
                try:
                    return self._native.execute(*arguments)
                except _quiver.BinderException as error:
                    name = _missing_table(str(error))
                    data = None if name is None or name in borrowed else _caller_variable(name)
                    if data is None:
                        raise
                    self._native.register(name, arrow_data(data))
                    borrowed.append(name)
        finally:
            # The planned query holds what it read; the names go.
            for name in borrowed:
                self._native.unregister(name)

    def sql(self, query: str, params: Parameters | None = None) -> Relation | None:
        """Runs `query` (one statement, or a script whose statements before
        the last run at once) and returns the last statement's rows as a
        lazy Relation; None for statements that give no rows (DDL, data
        changes without RETURNING), which have run. `params` fill `?`/`$1`
        (a sequence) or `$name` (a mapping) placeholders."""
        result = self._execute(query, params)
        if not result.returns_rows:
            return None
        return Relation(self, result)

    query = sql

    def execute(self, query: str, parameters: Parameters | None = None) -> Cursor:
        """Runs `query` on a new cursor and returns the cursor (DB-API)."""
        return self.cursor().execute(query, parameters)

    def executemany(self, query: str, seq_of_parameters: Iterable[Parameters]) -> Cursor:
        """Runs `query` once per set of parameters on a new cursor."""
        return self.cursor().executemany(query, seq_of_parameters)

    def cursor(self) -> Cursor:
        """A new DB-API cursor on this connection."""
        if self.closed:
            raise _quiver.ConnectionException("Connection Error: the connection is closed")
        return Cursor(self)

    # Tables and files.

    def register(self, name: str, data: Any) -> Connection:
        """Makes `data` the table `name` (replacing one of that name): a
        pyarrow Table, RecordBatch or RecordBatchReader, a pandas or polars
        DataFrame, or any object with `__arrow_c_stream__`. Arrow buffers
        are shared, not copied. A RecordBatchReader is not read here: the
        first query that scans the table reads it as it runs, and a later
        one raises, as a reader can be read only once (register
        `reader.read_all()` to query its rows more than once)."""
        if isinstance(data, pa.RecordBatchReader):
            self._native.register_stream(name, data)
        else:
            self._native.register(name, arrow_data(data))
        return self

    def unregister(self, name: str) -> Connection:
        """Removes the table `name`."""
        self._native.unregister(name)
        return self

    def table(self, name: str) -> Relation:
        """The rows of the table or view `name`."""
        return self._relation(f"SELECT * FROM {quote_identifier(name)}")

    view = table

    def tables(self) -> list[str]:
        """The names of the session's tables and views."""
        return self._native.table_names()

    def _read(self, function: str, path: str | Sequence[str], options: Mapping[str, Any]) -> Relation:
        if isinstance(path, (str, os.PathLike)):
            location = quote_string(os.fspath(path))
        else:
            location = "[" + ", ".join(quote_string(os.fspath(p)) for p in path) + "]"
        return self._relation(f"SELECT * FROM {function}({location}{options_sql(options)})")

    def read_parquet(self, path: str | Sequence[str], **options: Any) -> Relation:
        """The rows of Parquet files: a path, glob, URL or list of them."""
        return self._read("read_parquet", path, options)

    def read_csv(self, path: str | Sequence[str], **options: Any) -> Relation:
        """The rows of CSV files (options as read_csv's: `header=True`,
        `delim=';'`, …)."""
        return self._read("read_csv", path, options)

    def read_json(self, path: str | Sequence[str], **options: Any) -> Relation:
        """The rows of newline-delimited JSON files."""
        return self._read("read_json", path, options)

    def from_arrow(self, data: Any, name: str) -> Relation:
        """Registers Arrow data (or a pandas or polars DataFrame) as `name`
        and returns its rows."""
        self.register(name, data)
        return self.table(name)

    def create_function(
        self,
        name: str,
        function: Callable[..., Any],
        parameters: Sequence[str],
        return_type: str,
        *,
        type: str = "native",
        side_effects: bool = False,
    ) -> Connection:
        """Makes the Python `function` the SQL scalar function `name`, taking
        `parameters` and giving `return_type` (SQL type names: "BIGINT",
        "VARCHAR", "DOUBLE[]"). With `type="native"` it is called once per
        row with Python values, and a row with a NULL argument gives NULL
        without a call (as DuckDB does); with `type="arrow"` it is called
        once per batch with a pyarrow Array per argument and returns an
        array (or anything `pa.array` takes) of as many values. Results are
        cast to `return_type`. `side_effects=True` makes it run for every
        row, never computed ahead or shared (as `random()`). An exception it
        raises fails the query with its message."""
        if type == "native":

            def call(arguments: Any, rows: int) -> pa.Table:
                table = pa.table(arguments)
                columns = [column.to_pylist() for column in table.columns]
                if not columns:
                    return pa.table({"result": pa.array([function() for _ in range(rows)])})
                values = [
                    None if any(v is None for v in row) else function(*row)
                    for row in zip(*columns)
                ]
                return pa.table({"result": pa.array(values)})

        elif type == "arrow":

            def call(arguments: Any, rows: int) -> pa.Table:
                table = pa.table(arguments)
                result = function(*(column.combine_chunks() for column in table.columns))
                if not isinstance(result, (pa.Array, pa.ChunkedArray)):
                    result = pa.array(result)
                return pa.table({"result": result})

        else:
            raise _quiver.InvalidInputException(
                f"Invalid Input Error: a function's type is 'native' or 'arrow', not {type!r}"
            )
        self._native.create_function(name, call, list(parameters), return_type, side_effects)
        return self

    def _relation(self, query: str) -> Relation:
        relation = self.sql(query)
        assert relation is not None
        return relation

    # Transactions (DB-API).

    def begin(self) -> None:
        """Starts a transaction."""
        self._execute("BEGIN TRANSACTION")

    def commit(self) -> None:
        """Commits the open transaction; nothing when none is open."""
        if self._native.in_transaction:
            self._execute("COMMIT")

    def rollback(self) -> None:
        """Rolls the open transaction back; nothing when none is open."""
        if self._native.in_transaction:
            self._execute("ROLLBACK")

    # Life.

    def interrupt(self) -> None:
        """Cancels the queries running on this connection (call it from
        another thread); they raise InterruptException."""
        self._native.interrupt()

    def close(self) -> None:
        """Closes the connection; later calls raise ConnectionException."""
        self._native.close()

    @property
    def closed(self) -> bool:
        """Whether the connection is closed."""
        return self._native.closed

    def __enter__(self) -> Connection:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()


_MISSING_TABLE = re.compile(r'table "([^"]+)" not found')


def _missing_table(message: str) -> str | None:
    """The table a binder error says is missing, if it says so."""
    found = _MISSING_TABLE.search(message)
    return found.group(1) if found else None


def _caller_variable(name: str) -> Any:
    """The Arrow-compatible object (a pyarrow table, batch or reader, a
    pandas or polars DataFrame) that `name` is in the nearest Python frame
    outside this package that has it, locals first; None when there is
    none."""
    frame = sys._getframe(1)
    package = __name__.rsplit(".", 1)[0]
    while frame is not None:
        if frame.f_globals.get("__name__", "").split(".")[0] != package:
            for scope in (frame.f_locals, frame.f_globals):
                if name in scope and _is_arrow_like(scope[name]):
                    return scope[name]
        frame = frame.f_back
    return None


def _is_arrow_like(value: Any) -> bool:
    module = type(value).__module__.split(".")[0]
    return hasattr(value, "__arrow_c_stream__") or module in ("pandas", "polars", "pyarrow")


def connect(
    database: str | os.PathLike[str] | None = None,
    read_only: bool = False,
    config: Mapping[str, Any] | None = None,
) -> Connection:
    """A connection: in memory when `database` is None (or ":memory:"), else
    on the database directory `database` (created when missing, unless
    `read_only`). `config` holds settings (`{"threads": 4,
    "memory_limit": "2GB"}`)."""
    return Connection(database, read_only, config)

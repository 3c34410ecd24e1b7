"""Quiver: a SQL query engine over Parquet, CSV and JSON files, embedded in
Python, with results and inputs exchanged as Arrow data without copies.

    >>> import quiver
    >>> con = quiver.connect()
    >>> con.sql("SELECT 42 AS answer").fetchall()
    [(42,)]

`connect()` gives a connection (DB-API 2.0 as well: `cursor`, `execute`
with `?` parameters, `fetchmany`, …); `Connection.sql` returns a lazy
Relation, fetched as pyarrow (`arrow`), pandas (`df`), polars (`pl`) or
tuples (`fetchall`). Module-level `sql`, `execute`, `read_parquet`, … use
one default in-memory connection.
"""

from __future__ import annotations

from typing import Any

from ._connection import Connection, connect
from ._cursor import Cursor
from ._quiver import (
    BinderException,
    ConnectionException,
    DatabaseError,
    DataError,
    Error,
    ExecutionException,
    IntegrityError,
    InterfaceError,
    InternalError,
    InternalException,
    InterruptException,
    InvalidInputException,
    IOException,
    NotImplementedException,
    NotSupportedError,
    OperationalError,
    OutOfMemoryException,
    ParserException,
    ProgrammingError,
    TypeMismatchException,
    Warning,
    __version__,
)
from ._relation import Relation

apilevel = "2.0"
threadsafety = 1
paramstyle = "qmark"

_default: Connection | None = None


def default_connection() -> Connection:
    """The in-memory connection the module-level functions use."""
    global _default
    if _default is None or _default.closed:
        _default = connect()
    return _default


def sql(query: str, params: Any = None) -> Relation | None:
    """`Connection.sql` on the default connection."""
    return default_connection().sql(query, params)


query = sql


def execute(query: str, parameters: Any = None) -> Cursor:
    """`Connection.execute` on the default connection."""
    return default_connection().execute(query, parameters)


def register(name: str, data: Any) -> Connection:
    """`Connection.register` on the default connection."""
    return default_connection().register(name, data)


def read_parquet(path: Any, **options: Any) -> Relation:
    """`Connection.read_parquet` on the default connection."""
    return default_connection().read_parquet(path, **options)


def read_csv(path: Any, **options: Any) -> Relation:
    """`Connection.read_csv` on the default connection."""
    return default_connection().read_csv(path, **options)


def read_json(path: Any, **options: Any) -> Relation:
    """`Connection.read_json` on the default connection."""
    return default_connection().read_json(path, **options)


__all__ = [
    "BinderException",
    "Connection",
    "ConnectionException",
    "Cursor",
    "DataError",
    "DatabaseError",
    "Error",
    "ExecutionException",
    "IOException",
    "IntegrityError",
    "InterfaceError",
    "InternalError",
    "InternalException",
    "InterruptException",
    "InvalidInputException",
    "NotImplementedException",
    "NotSupportedError",
    "OperationalError",
    "OutOfMemoryException",
    "ParserException",
    "ProgrammingError",
    "Relation",
    "TypeMismatchException",
    "Warning",
    "__version__",
    "apilevel",
    "connect",
    "default_connection",
    "execute",
    "paramstyle",
    "query",
    "read_csv",
    "read_json",
    "read_parquet",
    "register",
    "sql",
    "threadsafety",
]

"""Relations: a query's rows, lazy until fetched, and the methods that build
new queries on them."""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any, Iterable

import pyarrow as pa

from ._convert import quote_identifier, quote_string
from ._quiver import InvalidInputException, QueryResult
from ._rows import RowReader, rebatched

if TYPE_CHECKING:
    import pandas
    import polars

    from ._connection import Connection

_JOIN_KINDS = {
    "inner": "JOIN",
    "left": "LEFT JOIN",
    "right": "RIGHT JOIN",
    "outer": "FULL JOIN",
    "full": "FULL JOIN",
    "semi": "SEMI JOIN",
    "anti": "ANTI JOIN",
}

_aliases = itertools.count(1)


def _expressions(expressions: str | Iterable[str]) -> str:
    """One expression, or several joined with commas."""
    if isinstance(expressions, str):
        return expressions
    return ", ".join(expressions)


class Relation:
    """The rows of a query. Nothing runs until rows are fetched (`arrow`,
    `df`, `pl`, `fetchall`, …; each full fetch runs the query again), and
    methods such as `filter`, `aggregate` and `join` return new relations
    built on this one's SQL. Also an Arrow stream (`pa.table(rel)`,
    `polars.from_arrow(rel)`)."""

    def __init__(self, connection: Connection, result: QueryResult, alias: str | None = None):
        self._connection = connection
        self._result = result
        self._reader: RowReader | None = None
        self.alias = alias or f"rel{next(_aliases)}"

    # What it is.

    @property
    def sql(self) -> str:
        """The query, with its parameters in place."""
        return self._result.sql

    @property
    def columns(self) -> list[str]:
        """The column names."""
        return self._result.column_names

    @property
    def types(self) -> list[str]:
        """The column types as SQL names (`BIGINT`, `VARCHAR`, …)."""
        return self._result.column_types

    dtypes = types

    @property
    def description(self) -> list[tuple[Any, ...]]:
        """The columns as DB-API describes them: (name, type, None × 5)."""
        return [
            (name, type_name, None, None, None, None, None)
            for name, type_name in zip(self.columns, self.types)
        ]

    def set_alias(self, alias: str) -> Relation:
        """This relation under another name, for the conditions of `join`."""
        return Relation(self._connection, self._result, alias)

    # Fetching.

    def arrow(self) -> pa.Table:
        """Runs the query and returns its rows as a pyarrow Table."""
        return pa.table(self._result.fetch_all())

    fetch_arrow_table = arrow
    to_arrow_table = arrow

    def fetch_record_batch(self, rows_per_batch: int | None = None) -> pa.RecordBatchReader:
        """Runs the query and streams its rows as a pyarrow RecordBatchReader,
        batch by batch as they are read (of `rows_per_batch` rows when
        given); dropping the reader stops it."""
        return rebatched(pa.RecordBatchReader.from_stream(self._result), rows_per_batch)

    def __arrow_c_stream__(self, requested_schema: Any = None) -> Any:
        """The Arrow PyCapsule interface: the query's rows as a stream."""
        return self._result.__arrow_c_stream__(requested_schema)

    def df(self) -> pandas.DataFrame:
        """Runs the query and returns its rows as a pandas DataFrame."""
        # pyarrow's pandas conversion takes UUIDs at the top level only (bytes below).
        return pa.table(self._result.fetch_all(uuids="pandas")).to_pandas()

    to_df = df
    to_pandas = df

    def pl(self) -> polars.DataFrame:
        """Runs the query and returns its rows as a polars DataFrame."""
        try:
            import polars
        except ImportError:
            raise InvalidInputException(
                "Invalid Input Error: pl() needs polars (pip install polars)"
            ) from None
        # polars has no UUID type: UUIDs come as their text, as DuckDB gives them.
        return polars.from_arrow(pa.table(self._result.fetch_all(uuids="text")))

    to_polars = pl

    def _rows(self) -> RowReader:
        if self._reader is None:
            self._reader = RowReader(self._result)
        return self._reader

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row (the query starts on the first call), or None."""
        return self._rows().fetchone()

    def fetchmany(self, size: int = 1) -> list[tuple[Any, ...]]:
        """Up to `size` next rows."""
        return self._rows().fetchmany(size)

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every row not fetched yet, as tuples."""
        rows = self._rows().fetchall()
        self._reader = None
        return rows

    def show(self, max_rows: int = 40, max_width: int | None = None) -> None:
        """Prints the first `max_rows` rows as a table."""
        print(self._result.render(max_rows, max_width), end="")

    def __repr__(self) -> str:
        return self._result.render(10, None)

    def explain(self, analyze: bool = False) -> str:
        """The query's plan as text (EXPLAIN); with `analyze`, run it and
        add what each operator did (EXPLAIN ANALYZE)."""
        prefix = "EXPLAIN ANALYZE " if analyze else "EXPLAIN "
        rows = self._connection.sql(prefix + self.sql).fetchall()
        return "\n".join(str(value) for row in rows for value in row[1:] or row)

    # Writing.

    def _copy(self, path: str, file_format: str, options: dict[str, Any]) -> None:
        extra = "".join(f", {key} {_option_value(value)}" for key, value in options.items())
        self._connection.execute(
            f"COPY ({self.sql}) TO {quote_string(path)} (FORMAT {file_format}{extra})"
        )

    def write_parquet(self, path: str, **options: Any) -> None:
        """Writes the rows to a Parquet file (options as COPY's:
        `compression='zstd'`, `partition_by='(a, b)'`, …)."""
        self._copy(path, "parquet", options)

    to_parquet = write_parquet

    def write_csv(self, path: str, **options: Any) -> None:
        """Writes the rows to a CSV file (options as COPY's: `header=True`,
        `delimiter=';'`, …)."""
        self._copy(path, "csv", options)

    to_csv = write_csv

    def write_json(self, path: str, **options: Any) -> None:
        """Writes the rows to a newline-delimited JSON file."""
        self._copy(path, "json", options)

    def to_view(self, name: str, replace: bool = True) -> Relation:
        """Makes the temporary view `name` over this query (as DuckDB's
        relations do: a database directory does not store it); returns
        this relation."""
        verb = "CREATE OR REPLACE TEMP VIEW" if replace else "CREATE TEMP VIEW"
        self._connection.execute(f"{verb} {quote_identifier(name)} AS {self.sql}")
        return self

    create_view = to_view

    def to_table(self, name: str) -> None:
        """Makes the table `name` holding this query's rows."""
        self._connection.execute(f"CREATE TABLE {quote_identifier(name)} AS {self.sql}")

    create = to_table

    def insert_into(self, table: str) -> None:
        """Appends this query's rows to the table `table`."""
        self._connection.execute(f"INSERT INTO {quote_identifier(table)} {self.sql}")

    # New relations.

    def _derive(self, sql: str) -> Relation:
        relation = self._connection.sql(sql)
        assert relation is not None
        return relation

    def _from(self, beside: Relation | None = None) -> str:
        """This relation in a FROM clause; renamed when `beside`, the other
        side of a join, has the same alias (a relation joined to itself)."""
        alias = self.alias
        if beside is not None and beside.alias == alias:
            alias += "_2"
        return f"({self.sql}) AS {quote_identifier(alias)}"

    def filter(self, condition: str) -> Relation:
        """The rows for which the SQL `condition` is true."""
        return self._derive(f"SELECT * FROM {self._from()} WHERE {condition}")

    def project(self, *expressions: str) -> Relation:
        """The SQL `expressions` (`"a", "b * 2 AS c"`) of each row."""
        return self._derive(f"SELECT {_expressions(expressions)} FROM {self._from()}")

    select = project

    def aggregate(self, aggregates: str | Iterable[str], groups: str | Iterable[str] | None = None) -> Relation:
        """The `aggregates` (`"g, sum(x)"`), over groups by `groups`, or, when
        no groups are given, by every column of `aggregates` outside an
        aggregate (GROUP BY ALL)."""
        group_by = "ALL" if groups is None else _expressions(groups)
        return self._derive(
            f"SELECT {_expressions(aggregates)} FROM {self._from()} GROUP BY {group_by}"
        )

    def order(self, *keys: str) -> Relation:
        """The rows sorted by the SQL `keys` (`"a DESC", "b"`)."""
        return self._derive(f"SELECT * FROM {self._from()} ORDER BY {_expressions(keys)}")

    sort = order

    def limit(self, n: int, offset: int = 0) -> Relation:
        """At most `n` rows, after skipping `offset`."""
        return self._derive(
            f"SELECT * FROM {self._from()} LIMIT {int(n)} OFFSET {int(offset)}"
        )

    def distinct(self) -> Relation:
        """The rows without duplicates."""
        return self._derive(f"SELECT DISTINCT * FROM {self._from()}")

    def join(self, other: Relation, condition: str, how: str = "inner") -> Relation:
        """This relation joined with `other`: `condition` is a SQL condition
        naming the two by their aliases (`set_alias`), or a column name (or
        comma-separated names) that both have (USING). `how` is inner,
        left, right, outer (full), semi or anti."""
        kind = _JOIN_KINDS.get(how.lower())
        if kind is None:
            raise InvalidInputException(
                f"Invalid Input Error: join kind {how!r} is not one of {', '.join(_JOIN_KINDS)}"
            )
        names = [part.strip() for part in condition.split(",")]
        if all(name.isidentifier() for name in names):
            on = f"USING ({', '.join(names)})"
        else:
            on = f"ON {condition}"
        return self._derive(f"SELECT * FROM {self._from()} {kind} {other._from(self)} {on}")

    def cross(self, other: Relation) -> Relation:
        """Every pair of a row of this relation and a row of `other`."""
        return self._derive(f"SELECT * FROM {self._from()} CROSS JOIN {other._from(self)}")

    def union(self, other: Relation) -> Relation:
        """The rows of both relations, duplicates kept (UNION ALL, as DuckDB's
        relations do)."""
        return self._derive(f"({self.sql}) UNION ALL ({other.sql})")

    def except_(self, other: Relation) -> Relation:
        """The distinct rows of this relation that `other` lacks."""
        return self._derive(f"({self.sql}) EXCEPT ({other.sql})")

    def intersect(self, other: Relation) -> Relation:
        """The distinct rows both relations hold."""
        return self._derive(f"({self.sql}) INTERSECT ({other.sql})")


def _option_value(value: Any) -> str:
    """A COPY option's value as SQL."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (int, float)):
        return repr(value)
    if isinstance(value, str):
        return value if value.startswith("(") else quote_string(value)
    raise InvalidInputException(
        f"Invalid Input Error: a COPY option takes a bool, number or string, not {type(value).__name__}"
    )


__all__ = ["Relation"]

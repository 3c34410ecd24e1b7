"""The DB-API 2.0 cursor."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Iterable, Iterator, Mapping, Sequence

import pyarrow as pa

from ._quiver import ConnectionException, ProgrammingError, QueryResult
from ._rows import RowReader, rebatched

if TYPE_CHECKING:
    import pandas
    import polars

    from ._connection import Connection

Parameters = Sequence[Any] | Mapping[str, Any]


class Cursor:
    """Runs statements and fetches their rows (PEP 249). Parameters are
    `?` / `$1` placeholders with a sequence of values, or `$name` with a
    mapping."""

    arraysize: int = 1

    def __init__(self, connection: Connection) -> None:
        self.connection = connection
        self._result: QueryResult | None = None
        self._reader: RowReader | None = None
        self._rowcount_total: int | None = None
        self._closed = False

    def _check_open(self) -> None:
        if self._closed:
            raise ConnectionException("Connection Error: the cursor is closed")

    def execute(self, operation: str, parameters: Parameters | None = None) -> Cursor:
        """Runs `operation` with `parameters`; its rows are fetched next."""
        self._check_open()
        self._finish()
        self._result = self.connection._execute(operation, parameters)
        if self._result.returns_rows:
            self._reader = RowReader(self._result)
        return self

    def executemany(self, operation: str, seq_of_parameters: Iterable[Parameters]) -> Cursor:
        """Runs `operation` once for each set of parameters, in order;
        `rowcount` is the total of rows changed."""
        total = 0
        changed = False
        for parameters in seq_of_parameters:
            self.execute(operation, parameters)
            if self.rowcount >= 0:
                total += self.rowcount
                changed = True
        self._rowcount_total = total if changed else -1
        return self

    @property
    def description(self) -> list[tuple[Any, ...]] | None:
        """(name, SQL type, None, None, None, None, None) per result column;
        None when the last statement gave no rows."""
        if self._result is None or not self._result.returns_rows:
            return None
        return [
            (name, type_name, None, None, None, None, None)
            for name, type_name in zip(self._result.column_names, self._result.column_types)
        ]

    @property
    def rowcount(self) -> int:
        """Rows the last data change inserted, updated or deleted; -1 for
        other statements."""
        if self._rowcount_total is not None:
            return self._rowcount_total
        if self._result is None or self._result.rows_changed is None:
            return -1
        return self._result.rows_changed

    def _rows(self) -> RowReader:
        self._check_open()
        if self._reader is None:
            raise ProgrammingError("Programming Error: no statement with rows was executed")
        return self._reader

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None after the last."""
        return self._rows().fetchone()

    def fetchmany(self, size: int | None = None) -> list[tuple[Any, ...]]:
        """Up to `size` (default `arraysize`) next rows."""
        return self._rows().fetchmany(self.arraysize if size is None else size)

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every remaining row."""
        return self._rows().fetchall()

    def fetch_arrow_table(self) -> pa.Table:
        """The result's rows as a pyarrow Table (the query runs whole)."""
        self._rows()
        assert self._result is not None
        return pa.table(self._result.fetch_all())

    arrow = fetch_arrow_table

    def fetch_record_batch(self, rows_per_batch: int | None = None) -> pa.RecordBatchReader:
        """The result's rows streamed as a pyarrow RecordBatchReader (of
        `rows_per_batch` rows per batch when given)."""
        self._rows()
        return rebatched(pa.RecordBatchReader.from_stream(self._result), rows_per_batch)

    def df(self) -> pandas.DataFrame:
        """The result's rows as a pandas DataFrame."""
        return self.fetch_arrow_table().to_pandas()

    fetchdf = df

    def pl(self) -> polars.DataFrame:
        """The result's rows as a polars DataFrame."""
        import polars

        return polars.from_arrow(self.fetch_arrow_table())

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return self

    def __next__(self) -> tuple[Any, ...]:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def setinputsizes(self, sizes: Any) -> None:
        """Does nothing (PEP 249)."""

    def setoutputsize(self, size: Any, column: Any = None) -> None:
        """Does nothing (PEP 249)."""

    def _finish(self) -> None:
        """Stops the query of the last statement, if it still runs."""
        if self._reader is not None:
            self._reader.close()
        self._reader = None
        self._result = None
        self._rowcount_total = None

    def close(self) -> None:
        """Closes the cursor; its running query stops."""
        self._finish()
        self._closed = True

    def __enter__(self) -> Cursor:
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

"""Reading a result's rows as Python tuples, a batch at a time."""

from __future__ import annotations

from collections import deque
from typing import Any, Iterator

import pyarrow as pa

from ._quiver import QueryResult


class RowReader:
    """The rows of a running query, fetched batch by batch as asked for."""

    def __init__(self, result: QueryResult) -> None:
        self._result = result
        self._rows: deque[tuple[Any, ...]] = deque()
        self._done = False

    def _fill(self, wanted: int | None) -> None:
        """Reads batches until `wanted` rows are buffered (all when None)."""
        while not self._done and (wanted is None or len(self._rows) < wanted):
            batch = self._result.next_batch()
            if batch is None:
                self._done = True
                break
            table = pa.table(batch)
            columns = [column.to_pylist() for column in table.columns]
            self._rows.extend(zip(*columns))

    def fetchone(self) -> tuple[Any, ...] | None:
        """The next row, or None after the last."""
        self._fill(1)
        return self._rows.popleft() if self._rows else None

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        """Up to `size` next rows."""
        self._fill(size)
        return [self._rows.popleft() for _ in range(min(size, len(self._rows)))]

    def fetchall(self) -> list[tuple[Any, ...]]:
        """Every row not fetched yet."""
        self._fill(None)
        rows = list(self._rows)
        self._rows.clear()
        return rows

    def close(self) -> None:
        """Stops the query."""
        self._done = True
        self._rows.clear()
        self._result.close()


def rebatched(reader: pa.RecordBatchReader, rows_per_batch: int | None) -> pa.RecordBatchReader:
    """`reader` with batches of `rows_per_batch` rows (the last one
    shorter), read as lazily as `reader`; `reader` itself when None."""
    if rows_per_batch is None:
        return reader
    if rows_per_batch < 1:
        from ._quiver import InvalidInputException

        raise InvalidInputException(
            f"Invalid Input Error: rows_per_batch must be at least 1, not {rows_per_batch}"
        )

    def batches() -> Iterator[pa.RecordBatch]:
        pending: list[pa.RecordBatch] = []
        held = 0
        for batch in reader:
            pending.append(batch)
            held += batch.num_rows
            while held >= rows_per_batch:
                table = pa.Table.from_batches(pending, reader.schema)
                yield from table.slice(0, rows_per_batch).combine_chunks().to_batches()
                rest = table.slice(rows_per_batch)
                pending = rest.to_batches()
                held = rest.num_rows
        if held:
            yield from pa.Table.from_batches(pending, reader.schema).combine_chunks().to_batches()

    return pa.RecordBatchReader.from_batches(reader.schema, batches())

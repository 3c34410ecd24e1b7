"""Reading a result's rows as Python tuples, a batch at a time."""

from __future__ import annotations

from collections import deque
from typing import Any

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

"""Python values and objects turned into Arrow data for the native module."""

from __future__ import annotations

from typing import Any, Mapping, Sequence

import pyarrow as pa

from ._quiver import InvalidInputException


_PLAIN = (bool, int, float, str, bytes, type(None))


def _is_plain(value: Any) -> bool:
    """Whether the native module reads `value` itself (an int only within
    BIGINT's range, as pyarrow would infer it)."""
    if type(value) is int:
        return -(2**63) <= value < 2**63
    return type(value) in _PLAIN


def parameter_row(parameters: Sequence[Any] | Mapping[str, Any]) -> tuple[Any, bool]:
    """The parameter values for the native module, and whether they are
    named: plain values (None, bool, int, float, str, bytes) as a list or
    dict, anything else as a one-row table (each value's type inferred by
    pyarrow: Decimal, date, datetime, lists, dicts as structs, …)."""
    if isinstance(parameters, Mapping):
        names = [str(name).lstrip("$:") for name in parameters]
        values = list(parameters.values())
        named = True
    elif isinstance(parameters, (str, bytes)) or not isinstance(parameters, Sequence):
        raise InvalidInputException(
            "Invalid Input Error: parameters must be a list or tuple of values, or a dict of "
            f"named values, not {type(parameters).__name__}"
        )
    else:
        values = list(parameters)
        names = [f"${i + 1}" for i in range(len(values))]
        named = False
    if all(_is_plain(value) for value in values):
        # Read directly by the native module: no Arrow table to build.
        if named:
            return dict(zip(names, values)), True
        return values, False
    columns = []
    for name, value in zip(names, values):
        try:
            columns.append(pa.array([value]))
        except (pa.ArrowInvalid, pa.ArrowTypeError, TypeError, ValueError, OverflowError) as e:
            raise InvalidInputException(
                f"Invalid Input Error: the parameter {name} ({type(value).__name__}) has no "
                f"SQL type: {e}"
            ) from None
    return pa.Table.from_arrays(columns, names=names), named


def arrow_data(data: Any) -> Any:
    """`data` as an object exporting an Arrow stream: Arrow data as it is,
    pandas and polars DataFrames converted (sharing buffers where the
    libraries can)."""
    if hasattr(data, "__arrow_c_stream__"):
        return data
    module = type(data).__module__.split(".")[0]
    if module == "pandas":
        return pandas_table(data)
    if module == "polars":
        return data.to_arrow()
    if isinstance(data, pa.RecordBatch):
        return pa.Table.from_batches([data])
    raise InvalidInputException(
        "Invalid Input Error: can only register Arrow data (a pyarrow Table, RecordBatch or "
        "RecordBatchReader, a pandas or polars DataFrame, or an object with "
        f"__arrow_c_stream__), not {type(data).__name__}"
    )


def pandas_table(frame: Any) -> pa.Table:
    """A pandas DataFrame as a pyarrow Table, its index left out. NaN in a
    float column is NULL (as pyarrow's `from_pandas` and DuckDB have it);
    a float column without NaN, and integer and boolean columns, are
    shared with numpy rather than copied or scanned value by value."""
    if not frame.columns.is_unique:
        return pa.Table.from_pandas(frame, preserve_index=False)
    arrays = []
    for name in frame.columns:
        series = frame[name]
        kind = getattr(series.dtype, "kind", None)
        if kind in "iub" and type(series.dtype).__module__ == "numpy":
            arrays.append(pa.array(series.to_numpy()))
        elif kind == "f" and type(series.dtype).__module__ == "numpy":
            values = series.to_numpy()
            # The sum is NaN when a value is (or when infinities cancel,
            # which the slower path then handles right).
            clean = not _isnan(values.sum())
            arrays.append(pa.array(values, from_pandas=not clean))
        else:
            arrays.append(pa.array(series, from_pandas=True))
    return pa.Table.from_arrays(arrays, names=[str(name) for name in frame.columns])


def _isnan(value: Any) -> bool:
    return value != value


def quote_identifier(name: str) -> str:
    """`name` as a SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


def quote_string(text: str) -> str:
    """`text` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def options_sql(options: Mapping[str, Any]) -> str:
    """Keyword options as the named arguments of a table function
    (`, header => true, delim => ';'`)."""
    parts = []
    for key, value in options.items():
        if isinstance(value, bool):
            text = "true" if value else "false"
        elif isinstance(value, (int, float)):
            text = repr(value)
        elif isinstance(value, str):
            text = quote_string(value)
        else:
            raise InvalidInputException(
                f"Invalid Input Error: the option {key} takes a bool, number or string, "
                f"not {type(value).__name__}"
            )
        parts.append(f", {key} => {text}")
    return "".join(parts)

//! Statement parameters from Python: the Python half turns the values into
//! a one-row Arrow table (pyarrow infers each value's type: int to BIGINT,
//! float to DOUBLE, str, bytes, bool, Decimal, date, datetime, lists…),
//! named by the parameter names or by position.

use arrow::array::Array;
use arrow::record_batch::RecordBatchReader;
use pyo3::prelude::*;
use quiver::{ParameterValues, ScalarValue};

use crate::arrow_stream::import_stream;
use crate::errors::invalid_input;

/// The parameter values in `row`, a one-row Arrow table with a column per
/// value: by the column names when `named`, else in column order.
pub fn parameter_values(row: &Bound<'_, PyAny>, named: bool) -> PyResult<ParameterValues> {
    let reader = import_stream(row, "the parameters")?;
    let schema = reader.schema();
    let batches = reader
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| invalid_input(format!("reading the parameters: {e}")))?;
    let batch = arrow::compute::concat_batches(&schema, &batches)
        .map_err(|e| invalid_input(format!("reading the parameters: {e}")))?;
    if batch.num_rows() != 1 {
        return Err(invalid_input(format!(
            "the parameters must be one row of values, not {}",
            batch.num_rows()
        )));
    }
    let values = batch
        .columns()
        .iter()
        .map(|column| scalar(column.as_ref()))
        .collect::<PyResult<Vec<_>>>()?;
    Ok(if named {
        ParameterValues::Named(
            schema
                .fields()
                .iter()
                .map(|f| f.name().clone())
                .zip(values)
                .collect(),
        )
    } else {
        ParameterValues::Positional(values)
    })
}

/// The first value of `column`.
fn scalar(column: &dyn Array) -> PyResult<ScalarValue> {
    ScalarValue::try_from_array(column, 0)
        .map_err(|e| invalid_input(format!("a parameter of type {}: {e}", column.data_type())))
}

//! Statement parameters from Python. Plain values (None, bool, int, float,
//! str, bytes) come as a list (by position) or a dict (by name) and are
//! read here directly; any other value makes the Python half send a
//! one-row Arrow table instead (pyarrow infers each value's type: Decimal,
//! date, datetime, lists…), named by the parameter names or by position.
//! Both give a value the type pyarrow would: int BIGINT, float DOUBLE.

use arrow::array::Array;
use arrow::record_batch::RecordBatchReader;
use pyo3::prelude::*;
use pyo3::types::{PyBool, PyBytes, PyDict, PyFloat, PyInt, PyList, PyString};
use quiver::{ParameterValues, ScalarValue};

use crate::arrow_stream::import_stream;
use crate::errors::invalid_input;

/// The parameter values in `row`: a list of plain values (by position), a
/// dict of them (by name), or a one-row Arrow table with a column per
/// value, by the column names when `named`, else in column order.
pub fn parameter_values(row: &Bound<'_, PyAny>, named: bool) -> PyResult<ParameterValues> {
    if let Ok(values) = row.cast::<PyList>() {
        return Ok(ParameterValues::Positional(
            values
                .iter()
                .map(|v| plain_value(&v))
                .collect::<PyResult<_>>()?,
        ));
    }
    if let Ok(values) = row.cast::<PyDict>() {
        return Ok(ParameterValues::Named(
            values
                .iter()
                .map(|(name, v)| Ok((name.extract::<String>()?, plain_value(&v)?)))
                .collect::<PyResult<_>>()?,
        ));
    }
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

/// A plain Python value as the scalar pyarrow would make of it.
fn plain_value(value: &Bound<'_, PyAny>) -> PyResult<ScalarValue> {
    Ok(if value.is_none() {
        ScalarValue::Null
    } else if value.is_instance_of::<PyBool>() {
        ScalarValue::Boolean(Some(value.extract::<bool>()?))
    } else if value.is_instance_of::<PyInt>() {
        let number = value.extract::<i64>().map_err(|_| {
            invalid_input(format!("the parameter {value} is out of BIGINT's range"))
        })?;
        ScalarValue::Int64(Some(number))
    } else if value.is_instance_of::<PyFloat>() {
        ScalarValue::Float64(Some(value.extract::<f64>()?))
    } else if let Ok(text) = value.cast::<PyString>() {
        ScalarValue::Utf8(Some(text.to_str()?.to_string()))
    } else if let Ok(bytes) = value.cast::<PyBytes>() {
        ScalarValue::Binary(Some(bytes.as_bytes().to_vec()))
    } else {
        return Err(invalid_input(format!(
            "a parameter of type {} is not a plain value",
            value.get_type().name()?
        )));
    })
}

//! Python functions as SQL scalar functions: the Python half wraps the
//! user's function in a callable that takes the arguments as an Arrow
//! stream of one batch (and the row count) and returns Arrow data with one
//! column of results; here that callable becomes a [`ScalarUdf`]. The
//! engine's threads take the GIL to call it; an exception it raises is an
//! error of the query naming the function.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::compute::{cast_with_options, concat, CastOptions};
use arrow::datatypes::{DataType, Field, Schema};
use arrow::record_batch::{RecordBatch, RecordBatchOptions, RecordBatchReader};
use pyo3::prelude::*;
use quiver::udf::ScalarUdf;
use quiver::QuiverError;

use crate::arrow_stream::{import_stream, ArrowStream};

/// The function `name(arguments…) -> returns` computed by the Python
/// callable `call`.
pub fn python_function(
    name: &str,
    arguments: Vec<DataType>,
    returns: DataType,
    call: Py<PyAny>,
) -> ScalarUdf {
    let function = name.to_string();
    let result_type = returns.clone();
    ScalarUdf::new(name, arguments, returns, move |args, rows| {
        Python::attach(|py| call_python(py, &call, args, rows, &result_type))
            .map_err(|e| QuiverError::Execution(format!("function {function} raised {e}")))
    })
}

/// Calls `call` on the argument columns of `rows` rows and reads back its
/// one result column, cast to `returns`.
fn call_python(
    py: Python<'_>,
    call: &Py<PyAny>,
    args: &[ArrayRef],
    rows: usize,
    returns: &DataType,
) -> PyResult<ArrayRef> {
    let fields: Vec<Field> = args
        .iter()
        .enumerate()
        .map(|(i, a)| Field::new(format!("argument{}", i + 1), a.data_type().clone(), true))
        .collect();
    let schema = Arc::new(Schema::new(fields));
    let options = RecordBatchOptions::new().with_row_count(Some(rows));
    let batch = RecordBatch::try_new_with_options(Arc::clone(&schema), args.to_vec(), &options)
        .map_err(arrow_error)?;
    let arguments = ArrowStream::of_batches(schema, vec![batch]);
    let result = call.call1(py, (arguments, rows))?;
    let reader = import_stream(result.bind(py), "the function's result")?;
    if reader.schema().fields().len() != 1 {
        return Err(pyo3::exceptions::PyValueError::new_err(
            "the function must give one column of results",
        ));
    }
    let batches = reader.collect::<Result<Vec<_>, _>>().map_err(arrow_error)?;
    let columns: Vec<&dyn arrow::array::Array> =
        batches.iter().map(|b| b.column(0).as_ref()).collect();
    let column = match columns.is_empty() {
        true => arrow::array::new_empty_array(returns),
        false => concat(&columns).map_err(arrow_error)?,
    };
    // A value that does not convert is an error, not a NULL.
    let options = CastOptions {
        safe: false,
        ..CastOptions::default()
    };
    cast_with_options(&column, returns, &options).map_err(arrow_error)
}

fn arrow_error(e: arrow::error::ArrowError) -> PyErr {
    pyo3::exceptions::PyValueError::new_err(e.to_string())
}

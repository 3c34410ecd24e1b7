//! Arrow data across the boundary with Python, through the Arrow PyCapsule
//! interface: `__arrow_c_stream__` hands an `ArrowArrayStream` over in a
//! capsule, and the buffers are shared, never copied. Any object that
//! exports one (pyarrow tables and readers, polars frames, …) can be read,
//! and results are exported the same way to pyarrow, pandas and polars.

use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::{DataType, FieldRef, Schema, SchemaRef};
use arrow::error::ArrowError;
use arrow::ffi_stream::{ArrowArrayStreamReader, FFI_ArrowArrayStream};
use arrow::record_batch::{RecordBatch, RecordBatchReader};
use futures::StreamExt;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use quiver::SendableRecordBatchStream;

use crate::errors::invalid_input;
use crate::waiting::runtime;

/// The capsule name the PyCapsule interface gives a stream.
const STREAM_CAPSULE: &std::ffi::CStr = c"arrow_array_stream";

/// Reads the Arrow stream `object` exports through `__arrow_c_stream__`;
/// `what` names the object in the error when it exports none.
pub fn import_stream(object: &Bound<'_, PyAny>, what: &str) -> PyResult<ArrowArrayStreamReader> {
    if !object.hasattr("__arrow_c_stream__")? {
        let type_name = object.get_type().name()?;
        return Err(invalid_input(format!(
            "{what} must be Arrow data (a pyarrow Table, RecordBatch or RecordBatchReader, \
             a pandas or polars DataFrame, or any object with __arrow_c_stream__), \
             not {type_name}"
        )));
    }
    let capsule = object
        .call_method0("__arrow_c_stream__")?
        .cast_into::<PyCapsule>()
        .map_err(|_| invalid_input(format!("{what}.__arrow_c_stream__() gave no capsule")))?;
    let pointer = capsule.pointer_checked(Some(STREAM_CAPSULE))?;
    // SAFETY: the capsule is named `arrow_array_stream`, so by the PyCapsule
    // interface it holds an `ArrowArrayStream`; `from_raw` moves the stream
    // out and leaves a released one for the capsule's destructor.
    let stream = unsafe { FFI_ArrowArrayStream::from_raw(pointer.as_ptr().cast()) };
    ArrowArrayStreamReader::try_new(stream)
        .map_err(|e| invalid_input(format!("reading {what}: {e}")))
}

/// How a result's UUIDs are handed to Python.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UuidForm {
    /// As Arrow's canonical `arrow.uuid` extension type at every depth
    /// (the same 16 bytes), which pyarrow reads as `uuid.UUID` values.
    Values,
    /// As text at the top level (for polars, which has no UUID type).
    Text,
    /// As `arrow.uuid` at the top level and as variable-length binaries
    /// inside lists and structs (for pandas: pyarrow's conversion takes
    /// neither extension types nor fixed-size binaries there).
    Pandas,
}

impl UuidForm {
    /// The form named `name` (`values`, `text` or `pandas`).
    pub fn named(name: &str) -> PyResult<Self> {
        match name {
            "values" => Ok(UuidForm::Values),
            "text" => Ok(UuidForm::Text),
            "pandas" => Ok(UuidForm::Pandas),
            other => Err(invalid_input(format!(
                "UUIDs can be handed over as values, text or pandas, not {other}"
            ))),
        }
    }
}

/// `schema` as it is handed to Python with its UUIDs as `arrow.uuid`
/// values ([`UuidForm::Values`]); the batches do not change.
pub fn python_schema(schema: &SchemaRef) -> SchemaRef {
    let fields: Vec<FieldRef> = schema
        .fields()
        .iter()
        .map(quiver::with_uuid_extension)
        .collect();
    Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()))
}

/// How [`python_stream`] changes a column's arrays.
enum ColumnChange {
    /// Kept as they are (perhaps described differently).
    Kept,
    /// UUIDs as their text.
    UuidText,
    /// Cast to this type (fixed-size binaries below the top level made
    /// variable-length).
    Cast(DataType),
}

/// `batches`, of `schema`, as a stream for Python with their UUIDs in
/// `form`.
pub fn python_stream(
    schema: &SchemaRef,
    batches: Vec<RecordBatch>,
    form: UuidForm,
) -> PyResult<ArrowStream> {
    if form == UuidForm::Values {
        return Ok(ArrowStream::of_batches(python_schema(schema), batches));
    }
    // Each column's field as handed over, and how its arrays change.
    let mut fields = vec![];
    let mut changes = vec![];
    for field in schema.fields() {
        let uuid = quiver::is_uuid(field.data_type());
        let (field, change) = match (form, uuid) {
            (UuidForm::Text, true) => (
                field.as_ref().clone().with_data_type(DataType::Utf8).into(),
                ColumnChange::UuidText,
            ),
            (_, true) => (quiver::with_uuid_extension(field), ColumnChange::Kept),
            (UuidForm::Pandas, false) => {
                let bytes = quiver::map_fields(field, &|f| match f.data_type() {
                    DataType::FixedSizeBinary(_) => f.with_data_type(DataType::Binary),
                    _ => f,
                });
                let change = match bytes.data_type() == field.data_type() {
                    true => ColumnChange::Kept,
                    false => ColumnChange::Cast(bytes.data_type().clone()),
                };
                (bytes, change)
            }
            _ => (Arc::clone(field), ColumnChange::Kept),
        };
        fields.push(field);
        changes.push(change);
    }
    let schema = Arc::new(Schema::new_with_metadata(fields, schema.metadata().clone()));
    let batches = batches
        .into_iter()
        .map(|batch| {
            let columns = batch
                .columns()
                .iter()
                .zip(&changes)
                .map(|(column, change)| match change {
                    ColumnChange::Kept => Ok(Arc::clone(column)),
                    ColumnChange::UuidText => {
                        Ok(Arc::new(StringArray::from(quiver::uuid_texts(column))) as ArrayRef)
                    }
                    ColumnChange::Cast(bytes) => arrow::compute::cast(column, bytes),
                })
                .collect::<Result<Vec<_>, _>>()
                .map_err(|e| invalid_input(e.to_string()))?;
            RecordBatch::try_new(Arc::clone(&schema), columns)
                .map_err(|e| invalid_input(e.to_string()))
        })
        .collect::<PyResult<Vec<_>>>()?;
    Ok(ArrowStream::of_batches(schema, batches))
}

/// A stream of record batches handed to Python once, through
/// `__arrow_c_stream__` (pyarrow's `pa.table(s)` and
/// `pa.RecordBatchReader.from_stream(s)`, `polars.from_arrow`, …).
#[pyclass(module = "quiver._quiver")]
pub struct ArrowStream {
    reader: Mutex<Option<Box<dyn RecordBatchReader + Send>>>,
}

impl ArrowStream {
    /// A stream that hands over `reader`.
    pub fn new(reader: Box<dyn RecordBatchReader + Send>) -> Self {
        Self {
            reader: Mutex::new(Some(reader)),
        }
    }

    /// A stream of batches already in memory.
    pub fn of_batches(schema: SchemaRef, batches: Vec<RecordBatch>) -> Self {
        Self::new(Box::new(arrow::record_batch::RecordBatchIterator::new(
            batches.into_iter().map(Ok),
            schema,
        )))
    }
}

#[pymethods]
impl ArrowStream {
    /// The PyCapsule interface: the stream, which can be taken once. A
    /// requested schema is not applied (the interface lets a producer
    /// ignore it).
    #[pyo3(signature = (requested_schema=None))]
    pub fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let _ = requested_schema;
        let reader = self
            .reader
            .lock()
            .map_err(|_| invalid_input("the stream was poisoned"))?
            .take()
            .ok_or_else(|| invalid_input("this Arrow stream was already read"))?;
        PyCapsule::new_with_value(py, FFI_ArrowArrayStream::new(reader), STREAM_CAPSULE)
    }
}

/// The batches of a running query, read as a [`RecordBatchReader`]: each
/// batch waits on the query runtime. Dropping it stops the query.
pub struct QueryBatches {
    schema: SchemaRef,
    stream: SendableRecordBatchStream,
    /// The statement, for error messages.
    sql: String,
}

impl QueryBatches {
    /// The batches of `stream`, of `schema`, which runs `sql`.
    pub fn new(schema: SchemaRef, stream: SendableRecordBatchStream, sql: String) -> Self {
        Self {
            schema,
            stream,
            sql,
        }
    }
}

impl Iterator for QueryBatches {
    type Item = Result<RecordBatch, ArrowError>;

    fn next(&mut self) -> Option<Self::Item> {
        let runtime = match runtime() {
            Ok(runtime) => runtime,
            Err(e) => return Some(Err(ArrowError::ExternalError(Box::new(e)))),
        };
        // The reader is read from C (pyarrow), perhaps holding the GIL: it
        // is let go while the batch is awaited, so that the query's Python
        // functions can take it.
        let stream = &mut self.stream;
        let next = Python::attach(|py| py.detach(|| runtime.block_on(stream.next())))?;
        Some(next.map_err(|e| {
            let message = quiver::error_report::StatementError::new(e, &self.sql, None);
            ArrowError::ExternalError(message.to_string().into())
        }))
    }
}

impl RecordBatchReader for QueryBatches {
    fn schema(&self) -> SchemaRef {
        self.schema.clone()
    }
}

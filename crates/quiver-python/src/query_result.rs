//! The result of one statement run from Python: the planned query (run when
//! its rows are fetched, and again on each full fetch), or the row count
//! of a data change.

use std::sync::{Arc, Mutex};

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use pyo3::prelude::*;
use pyo3::types::PyCapsule;
use quiver::pretty::{write_table, TableOptions, TableStyle};
use quiver::{DataFrame, SendableRecordBatchStream, SessionContext};

use crate::arrow_stream::{python_schema, python_stream, ArrowStream, QueryBatches, UuidForm};
use crate::errors::invalid_input;
use crate::waiting::wait;

/// A statement's result.
#[pyclass(module = "quiver._quiver")]
pub struct QueryResult {
    ctx: SessionContext,
    frame: Arc<DataFrame>,
    /// The statement as run (with its parameters in place).
    sql: String,
    /// The running query that `next_batch` reads, once started.
    cursor: Arc<Mutex<Option<SendableRecordBatchStream>>>,
}

impl QueryResult {
    /// The result of `frame`, planned from `sql`.
    pub fn new(ctx: SessionContext, frame: DataFrame, sql: String) -> Self {
        Self {
            ctx,
            frame: Arc::new(frame),
            sql,
            cursor: Arc::default(),
        }
    }

    fn schema(&self) -> SchemaRef {
        self.frame.schema()
    }

    /// The schema the result is handed to Python with ([`python_schema`]).
    fn exported_schema(&self) -> SchemaRef {
        python_schema(&self.schema())
    }

    /// Runs the query to its end (Ctrl-C cancels it) and returns its rows.
    fn collect(&self, py: Python<'_>) -> PyResult<Vec<RecordBatch>> {
        let frame = Arc::clone(&self.frame);
        wait(
            py,
            &self.ctx,
            &self.sql,
            async move { frame.collect().await },
        )
    }
}

#[pymethods]
impl QueryResult {
    /// The statement as run, with its parameters in place.
    #[getter]
    fn sql(&self) -> &str {
        &self.sql
    }

    /// Whether the statement gives rows (a query, or a data change with
    /// RETURNING); false for DDL and for changes that give a row count.
    #[getter]
    fn returns_rows(&self) -> bool {
        !self.frame.is_count() && !self.frame.is_empty_statement()
    }

    /// How many rows a data change inserted, updated or deleted; None for
    /// other statements.
    #[getter]
    fn rows_changed(&self) -> Option<u64> {
        self.frame.rows_changed()
    }

    /// The result's column names.
    #[getter]
    fn column_names(&self) -> Vec<String> {
        self.schema()
            .fields()
            .iter()
            .map(|f| f.name().clone())
            .collect()
    }

    /// The result's column types, as SQL names (`BIGINT`, `VARCHAR`,
    /// `DECIMAL(15,2)`, `INTEGER[]`).
    #[getter]
    fn column_types(&self) -> Vec<String> {
        self.schema()
            .fields()
            .iter()
            .map(|f| quiver::sql_type_name(f.data_type()))
            .collect()
    }

    /// Runs the query to its end and returns all its rows as an Arrow
    /// stream (read with `pa.table(...)`), UUIDs in the form `uuids` names
    /// (`values`, `text` or `pandas`: see `UuidForm`); Ctrl-C cancels it.
    #[pyo3(signature = (uuids="values"))]
    fn fetch_all(&self, py: Python<'_>, uuids: &str) -> PyResult<ArrowStream> {
        let form = UuidForm::named(uuids)?;
        let batches = self.collect(py)?;
        python_stream(&self.schema(), batches, form)
    }

    /// The next batch of the query, started by the first call, as an Arrow
    /// stream of that batch; None after the last. Ctrl-C cancels the query.
    fn next_batch(&self, py: Python<'_>) -> PyResult<Option<ArrowStream>> {
        let frame = Arc::clone(&self.frame);
        let cursor = Arc::clone(&self.cursor);
        let batch = wait(py, &self.ctx, &self.sql, async move {
            let running = cursor.lock().map(|mut c| c.take()).unwrap_or_default();
            let mut stream = match running {
                Some(stream) => stream,
                None => frame.execute_stream().await?,
            };
            let batch = stream.next().await.transpose()?;
            if batch.is_some() {
                if let Ok(mut c) = cursor.lock() {
                    *c = Some(stream);
                }
            }
            Ok(batch)
        })?;
        Ok(batch.map(|batch| ArrowStream::of_batches(self.exported_schema(), vec![batch])))
    }

    /// Runs the query and draws its first `max_rows` rows as the shell's
    /// boxed table, with column types, fitted to `max_width` display
    /// columns when given; a row of dots and a count follow when rows were
    /// left out.
    #[pyo3(signature = (max_rows=40, max_width=None))]
    fn render(
        &self,
        py: Python<'_>,
        max_rows: usize,
        max_width: Option<usize>,
    ) -> PyResult<String> {
        let batches = self.collect(py)?;
        let schema = self.schema();
        let total: usize = batches.iter().map(|b| b.num_rows()).sum();
        let shown = arrow::compute::concat_batches(&schema, &batches)
            .map_err(|e| invalid_input(e.to_string()))?
            .slice(0, total.min(max_rows));
        let options = TableOptions {
            with_types: true,
            max_width,
            gap_after: (total > max_rows).then_some(max_rows),
            ..TableOptions::new(TableStyle::Boxed)
        };
        let mut text = vec![];
        write_table(&mut text, &schema, &[shown], &options)
            .map_err(|e| crate::errors::to_py_error(e, &self.sql))?;
        let mut text = String::from_utf8_lossy(&text).into_owned();
        if total > max_rows {
            text.push_str(&format!("{total} rows ({max_rows} shown)\n"));
        }
        Ok(text)
    }

    /// Stops the query that `next_batch` reads, if it runs.
    fn close(&self) -> PyResult<()> {
        self.cursor
            .lock()
            .map_err(|_| invalid_input("the result was poisoned"))?
            .take();
        Ok(())
    }

    /// The PyCapsule interface: runs the query and streams its batches as
    /// they come (each call runs it anew). A requested schema is not
    /// applied.
    #[pyo3(signature = (requested_schema=None))]
    fn __arrow_c_stream__<'py>(
        &self,
        py: Python<'py>,
        requested_schema: Option<Bound<'py, PyAny>>,
    ) -> PyResult<Bound<'py, PyCapsule>> {
        let frame = Arc::clone(&self.frame);
        let stream = wait(py, &self.ctx, &self.sql, async move {
            frame.execute_stream().await
        })?;
        let batches = QueryBatches::new(self.exported_schema(), stream, self.sql.clone());
        ArrowStream::new(Box::new(batches)).__arrow_c_stream__(py, requested_schema)
    }
}

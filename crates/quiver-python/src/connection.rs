//! A connection: one Quiver session, in memory or on a database directory,
//! that runs SQL and holds the tables registered from Python.

use std::sync::RwLock;

use arrow::record_batch::RecordBatchReader;
use pyo3::prelude::*;
use quiver::database::OpenMode;
use quiver::error_report::headline;
use quiver::{ParameterValues, SessionConfig, SessionContext};

use crate::arrow_stream::import_stream;
use crate::errors::{closed, invalid_input, to_py_error, Warning};
use crate::parameters::parameter_values;
use crate::python_function::python_function;
use crate::query_result::QueryResult;
use crate::waiting::wait;

/// A Quiver session.
#[pyclass(module = "quiver._quiver")]
pub struct Connection {
    /// The session; None once closed.
    session: RwLock<Option<SessionContext>>,
}

impl Connection {
    /// The session, or the error for a closed connection.
    fn session(&self) -> PyResult<SessionContext> {
        self.session
            .read()
            .map_err(|_| invalid_input("the connection was poisoned"))?
            .clone()
            .ok_or_else(closed)
    }
}

#[pymethods]
impl Connection {
    /// A session in memory, or on the database directory `database`
    /// (created when missing, unless `read_only`); `config` holds settings
    /// made before anything runs: `threads` (how many partitions each scan
    /// and exchange aims for) and any `SET`-able one (`memory_limit`, …).
    #[new]
    #[pyo3(signature = (database=None, read_only=false, config=Vec::new()))]
    fn new(
        py: Python<'_>,
        database: Option<String>,
        read_only: bool,
        config: Vec<(String, String)>,
    ) -> PyResult<Self> {
        let mut session_config = SessionConfig::new();
        let mut settings = vec![];
        for (name, value) in config {
            if name.eq_ignore_ascii_case("threads") {
                let threads = value
                    .parse::<usize>()
                    .ok()
                    .filter(|n| *n > 0)
                    .ok_or_else(|| {
                        invalid_input(format!(
                            "threads must be a positive whole number, not {value}"
                        ))
                    })?;
                session_config = session_config.with_target_partitions(threads);
            } else {
                settings.push((name, value));
            }
        }
        let ctx = SessionContext::with_config(session_config);
        for (name, value) in &settings {
            ctx.set(name, value)
                .map_err(|e| to_py_error(e, &format!("SET {name} = '{value}'")))?;
        }
        if let Some(path) = database {
            let mode = if read_only {
                OpenMode::ReadOnly
            } else {
                OpenMode::ReadWrite
            };
            let opening = ctx.clone();
            let problems = wait(py, &ctx, "", async move {
                opening.open_database(&path, mode).await
            })?;
            for problem in problems {
                let (_, message) = headline(&problem);
                PyErr::warn(
                    py,
                    &py.get_type::<Warning>(),
                    &std::ffi::CString::new(message)?,
                    1,
                )?;
            }
        }
        Ok(Self {
            session: RwLock::new(Some(ctx)),
        })
    }

    /// Runs `sql` (one statement, or a script whose statements before the
    /// last run at once) and returns the last statement's result: DDL and
    /// data changes have run; a query runs when its rows are fetched.
    /// `parameters` is a one-row Arrow table of values for `?`/`$1`
    /// (`named` false) or `$name` (`named` true) placeholders.
    #[pyo3(signature = (sql, parameters=None, named=false))]
    fn execute(
        &self,
        py: Python<'_>,
        sql: String,
        parameters: Option<Bound<'_, PyAny>>,
        named: bool,
    ) -> PyResult<QueryResult> {
        let ctx = self.session()?;
        let values = match parameters {
            Some(row) => parameter_values(&row, named)?,
            None => ParameterValues::Positional(vec![]),
        };
        let running = ctx.clone();
        let script = sql.clone();
        let (text, frame) = wait(py, &ctx, &sql, async move {
            let last = running.run_script_head(&script, &values).await?;
            let frame = running.run_statement(&last).await?;
            Ok((last.text.clone(), frame))
        })?;
        Ok(QueryResult::new(ctx, frame, text))
    }

    /// Registers the Arrow data `data` (anything with `__arrow_c_stream__`)
    /// as the table `name`, in place of any table of that name; its
    /// buffers are shared, not copied.
    fn register(&self, py: Python<'_>, name: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let ctx = self.session()?;
        let reader = import_stream(data, "the registered object")?;
        let schema = reader.schema();
        let batches = py
            .detach(|| reader.collect::<Result<Vec<_>, _>>())
            .map_err(|e| invalid_input(format!("reading the data for {name}: {e}")))?;
        ctx.register_batches(name, schema, batches)
            .map_err(|e| to_py_error(e, ""))
    }

    /// Registers the stream `data` (a RecordBatchReader, or anything with
    /// `__arrow_c_stream__`) as the table `name`, in place of any table of
    /// that name, without reading it: the first query that scans the table
    /// reads it as it runs, and later ones are an error.
    fn register_stream(&self, name: &str, data: &Bound<'_, PyAny>) -> PyResult<()> {
        let ctx = self.session()?;
        let reader = import_stream(data, "the registered object")?;
        ctx.register_stream(name, Box::new(reader))
            .map_err(|e| to_py_error(e, ""))
    }

    /// Makes `function` the SQL scalar function `name(parameters…) ->
    /// return_type` (types as SQL names). `function` is the Python half's
    /// wrapper: called with the arguments (an Arrow stream of one batch)
    /// and the row count, it returns Arrow data of one column.
    #[pyo3(signature = (name, function, parameters, return_type, side_effects=false))]
    fn create_function(
        &self,
        name: &str,
        function: Py<PyAny>,
        parameters: Vec<String>,
        return_type: &str,
        side_effects: bool,
    ) -> PyResult<()> {
        let ctx = self.session()?;
        let type_of = |text: &str| quiver::parse_sql_type(text).map_err(|e| to_py_error(e, ""));
        let arguments = parameters
            .iter()
            .map(|p| type_of(p))
            .collect::<PyResult<Vec<_>>>()?;
        let udf = python_function(name, arguments, type_of(return_type)?, function);
        let udf = if side_effects { udf.volatile() } else { udf };
        ctx.register_scalar_function(udf)
            .map_err(|e| to_py_error(e, ""))
    }

    /// Removes the table `name`.
    fn unregister(&self, name: &str) -> PyResult<()> {
        self.session()?
            .deregister_table(name)
            .map_err(|e| to_py_error(e, ""))
    }

    /// The names of the session's tables and views.
    fn table_names(&self) -> PyResult<Vec<String>> {
        Ok(self
            .session()?
            .table_names()
            .into_iter()
            .map(|(name, _)| name)
            .collect())
    }

    /// Whether a transaction (BEGIN …) is open.
    #[getter]
    fn in_transaction(&self) -> PyResult<bool> {
        Ok(self.session()?.in_transaction())
    }

    /// Cancels the queries running in this session (from another thread).
    fn interrupt(&self) -> PyResult<()> {
        self.session()?.interrupt();
        Ok(())
    }

    /// Closes the connection: later calls raise `ConnectionException`.
    /// Closing twice is allowed.
    fn close(&self) -> PyResult<()> {
        self.session
            .write()
            .map_err(|_| invalid_input("the connection was poisoned"))?
            .take();
        Ok(())
    }

    /// Whether the connection is closed.
    #[getter]
    fn closed(&self) -> bool {
        self.session.read().map(|s| s.is_none()).unwrap_or(true)
    }
}

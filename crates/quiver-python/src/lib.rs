//! The native half of Quiver's Python package, the module `quiver._quiver`:
//! a connection that runs SQL in a Quiver session, results handed to
//! Python as Arrow streams through the Arrow PyCapsule interface (no
//! copies), and the exception classes. The Python half (`python/quiver`)
//! builds the user-facing API on it.

mod arrow_stream;
mod connection;
mod errors;
mod parameters;
mod python_function;
mod query_result;
mod waiting;

use pyo3::prelude::*;

/// The module `quiver._quiver`.
#[pymodule]
fn _quiver(module: &Bound<'_, PyModule>) -> PyResult<()> {
    module.add_class::<connection::Connection>()?;
    module.add_class::<query_result::QueryResult>()?;
    module.add_class::<arrow_stream::ArrowStream>()?;
    errors::add_to(module)?;
    module.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

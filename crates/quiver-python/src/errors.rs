//! Quiver's exceptions, after the DB-API 2.0 hierarchy (`Error`,
//! `DatabaseError`, `ProgrammingError`, …) with one class per kind of
//! Quiver error below it, named as DuckDB's Python package names them;
//! messages are the shell's ("Binder Error: …" with the SQL line and a
//! caret under the place named).

use pyo3::create_exception;
use pyo3::exceptions::PyException;
use pyo3::prelude::*;
use pyo3::PyErr;
use quiver::error_report::StatementError;
use quiver::QuiverError;

create_exception!(_quiver, Warning, PyException, "A DB-API warning.");
create_exception!(_quiver, Error, PyException, "Every Quiver error.");
create_exception!(
    _quiver,
    InterfaceError,
    Error,
    "Misuse of the Python interface."
);
create_exception!(_quiver, DatabaseError, Error, "An error from the engine.");
create_exception!(_quiver, DataError, DatabaseError, "Bad data while running.");
create_exception!(
    _quiver,
    OperationalError,
    DatabaseError,
    "A failure of the engine's operation."
);
create_exception!(
    _quiver,
    IntegrityError,
    DatabaseError,
    "A broken constraint."
);
create_exception!(_quiver, InternalError, DatabaseError, "A bug in Quiver.");
create_exception!(
    _quiver,
    ProgrammingError,
    DatabaseError,
    "Bad SQL or a bad call."
);
create_exception!(
    _quiver,
    NotSupportedError,
    DatabaseError,
    "Something Quiver does not do."
);
create_exception!(
    _quiver,
    ParserException,
    ProgrammingError,
    "SQL that does not parse."
);
create_exception!(
    _quiver,
    BinderException,
    ProgrammingError,
    "SQL naming what is not there, or misusing it."
);
create_exception!(
    _quiver,
    InvalidInputException,
    ProgrammingError,
    "A bad argument to a Quiver call."
);
create_exception!(
    _quiver,
    TypeMismatchException,
    DataError,
    "Values of the wrong type."
);
create_exception!(
    _quiver,
    ExecutionException,
    DataError,
    "A failure while a query ran (bad data, overflow, division by zero)."
);
create_exception!(
    _quiver,
    IOException,
    OperationalError,
    "A file or storage failure."
);
create_exception!(
    _quiver,
    OutOfMemoryException,
    OperationalError,
    "The memory limit was reached."
);
create_exception!(
    _quiver,
    InterruptException,
    OperationalError,
    "The query was cancelled."
);
create_exception!(
    _quiver,
    ConnectionException,
    OperationalError,
    "Use of a closed connection."
);
create_exception!(
    _quiver,
    NotImplementedException,
    NotSupportedError,
    "SQL that Quiver parses but does not implement."
);
create_exception!(
    _quiver,
    InternalException,
    InternalError,
    "A bug in Quiver."
);

/// Adds the exception classes to the module.
pub fn add_to(module: &Bound<'_, PyModule>) -> PyResult<()> {
    let py = module.py();
    macro_rules! add {
        ($($class:ident),*) => {
            $(module.add(stringify!($class), py.get_type::<$class>())?;)*
        };
    }
    add!(
        Warning,
        Error,
        InterfaceError,
        DatabaseError,
        DataError,
        OperationalError,
        IntegrityError,
        InternalError,
        ProgrammingError,
        NotSupportedError,
        ParserException,
        BinderException,
        InvalidInputException,
        TypeMismatchException,
        ExecutionException,
        IOException,
        OutOfMemoryException,
        InterruptException,
        ConnectionException,
        NotImplementedException,
        InternalException
    );
    Ok(())
}

/// The exception for `error`, raised by the statement `sql`.
pub fn to_py_error(error: QuiverError, sql: &str) -> PyErr {
    let class = exception_class(&error);
    let message = StatementError::new(error, sql, None).to_string();
    class(message)
}

/// The constructor of the exception class for `error`.
fn exception_class(error: &QuiverError) -> fn(String) -> PyErr {
    match error.root() {
        QuiverError::Parse(_) => ParserException::new_err,
        QuiverError::Plan(_) => BinderException::new_err,
        QuiverError::Schema(_) => TypeMismatchException::new_err,
        QuiverError::Io(_) | QuiverError::ObjectStore(_) => IOException::new_err,
        QuiverError::ResourcesExhausted(_) => OutOfMemoryException::new_err,
        QuiverError::Cancelled => InterruptException::new_err,
        QuiverError::NotImplemented(_) => NotImplementedException::new_err,
        QuiverError::Internal(_) => InternalException::new_err,
        _ => ExecutionException::new_err,
    }
}

/// The exception for a task of the engine that panicked.
pub fn panic_error(error: tokio::task::JoinError) -> PyErr {
    let what = match error.try_into_panic() {
        Ok(payload) => quiver::panic_message(payload.as_ref()),
        Err(e) => e.to_string(),
    };
    InternalException::new_err(format!(
        "Internal Error: {what}. This is a bug in Quiver; please report it"
    ))
}

/// An error for misuse of the Python interface (a bad argument).
pub fn invalid_input(message: impl Into<String>) -> PyErr {
    InvalidInputException::new_err(format!("Invalid Input Error: {}", message.into()))
}

/// The error for a call on a closed connection.
pub fn closed() -> PyErr {
    ConnectionException::new_err("Connection Error: the connection is closed")
}

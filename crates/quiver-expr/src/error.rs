//! The one error type of the engine, with a variant per kind of failure.

use arrow::error::ArrowError;
use parquet::errors::ParquetError;

/// Result type used throughout Quiver.
pub type Result<T, E = QuiverError> = std::result::Result<T, E>;

/// Every way a Quiver operation can fail. Messages are written for the person
/// who typed the query: they name the offending thing and, where possible,
/// where it is and what to do instead.
#[derive(Debug, thiserror::Error)]
pub enum QuiverError {
    /// The SQL text could not be parsed.
    #[error("SQL parse error: {0}")]
    Parse(String),
    /// The query parsed but cannot be planned (unknown names, misuse of aggregates, ...).
    #[error("Planning error: {0}")]
    Plan(String),
    /// A type or schema mismatch.
    #[error("Type error: {0}")]
    Schema(String),
    /// A failure while running a query (overflow, division by zero, bad data).
    #[error("Execution error: {0}")]
    Execution(String),
    /// A file or OS level failure.
    #[error("IO error: {0}")]
    Io(String),
    /// A failure reported by the object store layer.
    #[error("Object store error: {0}")]
    ObjectStore(#[from] object_store::Error),
    /// A failure reported by an Arrow kernel.
    #[error("{}", describe_arrow_error(.0))]
    Arrow(#[from] ArrowError),
    /// A failure reported by the Parquet reader or writer.
    #[error("{}", describe_parquet_error(.0))]
    Parquet(#[from] ParquetError),
    /// The memory limit was reached by an operator that cannot spill.
    #[error("Out of memory: {0}")]
    ResourcesExhausted(String),
    /// The query was cancelled by the user.
    #[error("Query cancelled")]
    Cancelled,
    /// The feature is not supported yet.
    #[error("Not supported: {0}")]
    NotImplemented(String),
    /// A broken invariant inside Quiver.
    #[error("Internal error: {0}. This is a bug in Quiver; please report it")]
    Internal(String),
    /// Another error with a description of where it happened.
    #[error("{context}: {source}")]
    Context {
        /// What was being done, e.g. "reading file data/x.csv".
        context: String,
        /// The underlying failure.
        source: Box<QuiverError>,
    },
}

/// The Parquet crate's own messages say "Parquet error: ..."; a failure of
/// the file it writes to (a full disk) arrives as an external error.
fn describe_parquet_error(e: &ParquetError) -> String {
    match e {
        ParquetError::External(inner) if inner.is::<std::io::Error>() => {
            format!("IO error: {inner}")
        }
        ParquetError::External(inner) => format!("Parquet error: {inner}"),
        other => other.to_string(),
    }
}

fn describe_arrow_error(e: &ArrowError) -> String {
    match e {
        ArrowError::DivideByZero => "Execution error: division by zero".to_string(),
        ArrowError::ArithmeticOverflow(msg) => format!("Execution error: numeric overflow ({msg})"),
        ArrowError::CastError(msg) => format!("Execution error: cast failed: {msg}"),
        ArrowError::ParseError(msg) => format!("Execution error: {msg}"),
        ArrowError::CsvError(msg) => format!("CSV error: {msg}"),
        ArrowError::JsonError(msg) => format!("JSON error: {msg}"),
        ArrowError::IoError(msg, _) => format!("IO error: {msg}"),
        ArrowError::ExternalError(inner) => match inner.downcast_ref::<QuiverError>() {
            Some(q) => q.to_string(),
            None => format!("Execution error: {inner}"),
        },
        other => format!("Arrow error: {other}"),
    }
}

impl QuiverError {
    /// Wraps this error with a description of what was being done.
    pub fn context(self, context: impl Into<String>) -> Self {
        QuiverError::Context {
            context: context.into(),
            source: Box::new(self),
        }
    }

    /// A copy of this error for one more recipient (an exchange reports its
    /// input's failure to every output). The kind and message are kept;
    /// errors of other libraries, which cannot be copied, become an
    /// execution error with their message.
    pub fn copy_for_sharing(&self) -> QuiverError {
        match self {
            QuiverError::Parse(m) => QuiverError::Parse(m.clone()),
            QuiverError::Plan(m) => QuiverError::Plan(m.clone()),
            QuiverError::Schema(m) => QuiverError::Schema(m.clone()),
            QuiverError::Execution(m) => QuiverError::Execution(m.clone()),
            QuiverError::Io(m) => QuiverError::Io(m.clone()),
            QuiverError::ResourcesExhausted(m) => QuiverError::ResourcesExhausted(m.clone()),
            QuiverError::Cancelled => QuiverError::Cancelled,
            QuiverError::NotImplemented(m) => QuiverError::NotImplemented(m.clone()),
            QuiverError::Internal(m) => QuiverError::Internal(m.clone()),
            QuiverError::Context { context, source } => QuiverError::Context {
                context: context.clone(),
                source: Box::new(source.copy_for_sharing()),
            },
            other => {
                let message = other.to_string();
                let unprefixed = message
                    .strip_prefix("Execution error: ")
                    .unwrap_or(&message);
                QuiverError::Execution(unprefixed.to_string())
            }
        }
    }

    /// The innermost error, with all [`QuiverError::Context`] layers removed.
    pub fn root(&self) -> &QuiverError {
        match self {
            QuiverError::Context { source, .. } => source.root(),
            other => other,
        }
    }
}

impl From<std::io::Error> for QuiverError {
    fn from(e: std::io::Error) -> Self {
        QuiverError::Io(e.to_string())
    }
}

impl From<datafusion_common::DataFusionError> for QuiverError {
    fn from(e: datafusion_common::DataFusionError) -> Self {
        match e {
            datafusion_common::DataFusionError::ArrowError(inner, _) => QuiverError::Arrow(*inner),
            other => QuiverError::Execution(other.strip_backtrace()),
        }
    }
}

impl From<QuiverError> for ArrowError {
    fn from(e: QuiverError) -> Self {
        match e {
            QuiverError::Arrow(inner) => inner,
            other => ArrowError::ExternalError(Box::new(other)),
        }
    }
}

/// Returns `Err(QuiverError::Execution(..))` with a formatted message.
#[macro_export]
macro_rules! exec_err {
    ($($arg:tt)*) => { Err($crate::QuiverError::Execution(format!($($arg)*))) };
}

/// Returns `Err(QuiverError::Internal(..))` with a formatted message.
#[macro_export]
macro_rules! internal_err {
    ($($arg:tt)*) => { Err($crate::QuiverError::Internal(format!($($arg)*))) };
}

/// Returns `Err(QuiverError::NotImplemented(..))` with a formatted message.
#[macro_export]
macro_rules! not_impl_err {
    ($($arg:tt)*) => { Err($crate::QuiverError::NotImplemented(format!($($arg)*))) };
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_shared_copy_keeps_the_kind_and_the_context() {
        let original = QuiverError::ResourcesExhausted("SortExec partition 0 needs 1 MiB".into())
            .context("reading bucket 3");
        let copy = original.copy_for_sharing();
        assert!(matches!(copy.root(), QuiverError::ResourcesExhausted(_)));
        assert_eq!(copy.to_string(), original.to_string());
        let arrow = QuiverError::from(ArrowError::DivideByZero).copy_for_sharing();
        assert_eq!(arrow.to_string(), "Execution error: division by zero");
    }

    use super::*;

    #[test]
    fn context_wraps_and_root_unwraps() {
        let e = QuiverError::Io("no such file".into()).context("reading data/x.csv");
        assert_eq!(e.to_string(), "reading data/x.csv: IO error: no such file");
        assert!(matches!(e.root(), QuiverError::Io(_)));
    }

    #[test]
    fn arrow_errors_read_naturally() {
        let e = QuiverError::from(ArrowError::DivideByZero);
        assert_eq!(e.to_string(), "Execution error: division by zero");
    }

    #[test]
    fn quiver_error_survives_a_round_trip_through_arrow() {
        let arrow: ArrowError = QuiverError::Plan("x".into()).into();
        assert_eq!(QuiverError::from(arrow).to_string(), "Planning error: x");
    }
}

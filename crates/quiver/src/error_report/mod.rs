//! How a failed statement is reported, by the shell and by the Python
//! package alike: one line naming the kind of error and what went wrong,
//! then the SQL line with a caret under the place the error names, as
//! DuckDB does:
//!
//! ```text
//! Binder Error: column "nme" not found; did you mean "name"?
//! LINE 1: SELECT nme FROM t
//!                ^
//! ```

mod caret;

use crate::QuiverError;

use caret::{pointer, without_position};

/// A statement that failed, ready to be shown.
#[derive(Debug)]
pub struct StatementError {
    /// What went wrong.
    pub error: QuiverError,
    /// The SQL line the error names, with a caret under its column; or,
    /// when it names no place, the first line of the failed statement.
    pub pointer: Option<String>,
}

impl StatementError {
    /// `error` raised by the statement that starts on `line` (1-based) of
    /// `sql`.
    pub fn new(error: QuiverError, sql: &str, line: Option<u64>) -> Self {
        let message = error.to_string();
        let pointer = pointer(sql, &message).or_else(|| {
            let line = usize::try_from(line?).ok()?;
            let text = sql.lines().nth(line.checked_sub(1)?)?;
            Some(format!("LINE {line}: {}", text.trim_end()))
        });
        Self { error, pointer }
    }
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let (kind, message) = headline(&self.error);
        let message = if self.pointer.is_some() {
            without_position(&message)
        } else {
            message
        };
        write!(f, "{kind}: {message}")?;
        match &self.pointer {
            Some(pointer) => write!(f, "\n{pointer}"),
            None => Ok(()),
        }
    }
}

/// The kind of `error` in DuckDB's words ("Binder Error") and its message
/// without the kind Quiver's own text starts with.
pub fn headline(error: &QuiverError) -> (&'static str, String) {
    let root = error.root();
    let root_text = root.to_string();
    let (kind, root_message) = kind_of(root, &root_text);
    let full = error.to_string();
    // Context layers come first ("reading file x: IO error: ..."); the kind
    // moves to the front.
    let message = match full.strip_suffix(&root_text) {
        Some(context) => format!("{context}{root_message}"),
        None => full,
    };
    (kind, message)
}

/// The kind of a root error and its message without the prefix its
/// `Display` gives it.
fn kind_of<'t>(error: &QuiverError, text: &'t str) -> (&'static str, &'t str) {
    let kind = match error {
        QuiverError::Parse(_) => "Parser Error",
        QuiverError::Plan(_) => "Binder Error",
        QuiverError::Schema(_) => "Type Error",
        QuiverError::Io(_) | QuiverError::ObjectStore(_) => "IO Error",
        QuiverError::ResourcesExhausted(_) => "Out of Memory Error",
        QuiverError::Cancelled => return ("Interrupted", "query cancelled"),
        QuiverError::NotImplemented(_) => "Not implemented Error",
        QuiverError::Internal(_) => "Internal Error",
        _ => match text.split_once(": ") {
            Some(("CSV error", _)) => "CSV Error",
            Some(("JSON error", _)) => "JSON Error",
            Some(("IO error", _)) => "IO Error",
            Some(("Parquet error", _)) => "Parquet Error",
            _ => "Execution Error",
        },
    };
    let message = match text.split_once(": ") {
        Some((prefix, rest)) if is_kind_prefix(prefix) => rest,
        _ => text,
    };
    (kind, message)
}

/// True for the kind prefixes of Quiver's, Arrow's and Parquet's messages.
fn is_kind_prefix(prefix: &str) -> bool {
    matches!(
        prefix,
        "SQL parse error"
            | "Planning error"
            | "Type error"
            | "Execution error"
            | "IO error"
            | "Object store error"
            | "Out of memory"
            | "Not supported"
            | "CSV error"
            | "JSON error"
            | "Parquet error"
            | "Arrow error"
    ) || prefix == "Internal error"
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_line_with_the_kind_first() {
        let error = QuiverError::Plan("column \"nme\" not found (line 1, column 8)".into());
        let report = StatementError::new(error, "SELECT nme FROM t", Some(1));
        assert_eq!(
            report.to_string(),
            "Binder Error: column \"nme\" not found\nLINE 1: SELECT nme FROM t\n               ^"
        );
    }

    #[test]
    fn context_stays_and_the_kind_moves_to_the_front() {
        let error = QuiverError::Io("no such file".into()).context("reading file x.csv");
        assert_eq!(
            headline(&error),
            ("IO Error", "reading file x.csv: no such file".to_string())
        );
        let error = QuiverError::Execution("division by zero".into());
        assert_eq!(
            StatementError::new(error, "SELECT 1;\nSELECT 1/0;", Some(2)).to_string(),
            "Execution Error: division by zero\nLINE 2: SELECT 1/0;"
        );
    }

    #[test]
    fn not_supported_and_out_of_memory() {
        let error = QuiverError::NotImplemented("ASOF joins".into());
        assert_eq!(
            headline(&error),
            ("Not implemented Error", "ASOF joins".to_string())
        );
        let error = QuiverError::ResourcesExhausted("SortExec needs 10 MB".into());
        assert_eq!(headline(&error).0, "Out of Memory Error");
    }
}

//! Running one query and classifying what happened: rows (normalized so
//! that equal answers compare equal), a clean user error, or a bug.

use std::panic::AssertUnwindSafe;
use std::time::Duration;

use arrow::datatypes::DataType;
use arrow::record_batch::RecordBatch;
use futures::{FutureExt, TryStreamExt};
use quiver::{QuiverError, SessionContext};
use quiver_execution::panics::panic_error;

/// How long one query may run before it counts as hung.
const QUERY_TIMEOUT: Duration = Duration::from_secs(60);

/// What running a query gave.
#[derive(Debug, Clone, PartialEq)]
pub enum Outcome {
    /// Its rows, each as comma-joined values, sorted (queries compare as
    /// multisets).
    Rows(Vec<String>),
    /// An error a user may meet (bad types, overflow, division by zero,
    /// not supported, out of memory).
    Error(String),
    /// A panic, hang, internal error or a raw library error: a bug.
    Bug(String),
}

impl Outcome {
    /// The rows, when the query succeeded.
    pub fn rows(&self) -> Option<&[String]> {
        match self {
            Outcome::Rows(rows) => Some(rows),
            _ => None,
        }
    }
}

/// Runs `sql` in `ctx`; the rows come sorted.
pub async fn run(ctx: &SessionContext, sql: &str) -> Outcome {
    match run_in_order(ctx, sql).await {
        Outcome::Rows(mut rows) => {
            rows.sort();
            Outcome::Rows(rows)
        }
        other => other,
    }
}

/// Runs `sql` in `ctx`; the rows come in the order the query gave them.
pub async fn run_in_order(ctx: &SessionContext, sql: &str) -> Outcome {
    let query = async {
        let frame = ctx.sql(sql).await?;
        // Streamed, not collected: the tight-memory configuration is meant
        // for the operators, not for holding the result.
        let batches: Vec<RecordBatch> = frame.execute_stream().await?.try_collect().await?;
        let floats: Vec<bool> = match batches.first() {
            Some(batch) => batch
                .schema()
                .fields()
                .iter()
                .map(|f| matches!(f.data_type(), DataType::Float32 | DataType::Float64))
                .collect(),
            None => vec![],
        };
        let rows = quiver::pretty::rows_as_strings(&batches, "NULL")?;
        Ok::<_, QuiverError>(normalized(rows, &floats))
    };
    let guarded = AssertUnwindSafe(query).catch_unwind();
    match tokio::time::timeout(QUERY_TIMEOUT, guarded).await {
        Err(_) => Outcome::Bug(format!("no answer within {QUERY_TIMEOUT:?}")),
        Ok(Err(payload)) => Outcome::Bug(panic_error(payload.as_ref()).to_string()),
        Ok(Ok(Ok(rows))) => Outcome::Rows(rows),
        Ok(Ok(Err(e))) => classify(&e),
    }
}

/// A bug for internal errors and errors passed on raw from a library, a
/// user error for the rest.
fn classify(error: &QuiverError) -> Outcome {
    let message = error.to_string();
    let raw = matches!(error.root(), QuiverError::Internal(_))
        || message.contains("Arrow error:")
        || message.contains("panicked");
    if raw {
        Outcome::Bug(message)
    } else {
        Outcome::Error(message)
    }
}

/// The rows joined by commas, with float columns (`floats`) rounded to 12
/// significant digits: sums in a different order may differ in the last
/// bits.
fn normalized(rows: Vec<Vec<String>>, floats: &[bool]) -> Vec<String> {
    rows.into_iter()
        .map(|row| {
            row.into_iter()
                .enumerate()
                .map(|(i, value)| match value.parse::<f64>() {
                    Ok(v) if floats.get(i) == Some(&true) => rounded(v),
                    _ => value,
                })
                .collect::<Vec<_>>()
                .join(",")
        })
        .collect()
}

/// `v` to 12 significant digits, with -0 as 0.
fn rounded(v: f64) -> String {
    if v == 0.0 {
        "0".to_string()
    } else {
        format!("{v:.11e}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rows_errors_and_bugs_are_told_apart() {
        let ctx = SessionContext::new();
        let values = "VALUES (2, 0.1::DOUBLE + 0.2::DOUBLE), (1, -0.0::DOUBLE)";
        let rows = run(&ctx, &format!("SELECT * FROM ({values}) v(a, b)")).await;
        assert_eq!(
            rows,
            Outcome::Rows(vec!["1,0".into(), "2,3.00000000000e-1".into()])
        );
        let error = run(&ctx, "SELECT nope FROM (VALUES (1)) v(a)").await;
        assert!(matches!(error, Outcome::Error(m) if m.contains("nope")));
        let bug = classify(&QuiverError::Internal("broken".into()));
        assert!(matches!(bug, Outcome::Bug(_)));
    }
}

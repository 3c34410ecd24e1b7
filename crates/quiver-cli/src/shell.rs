//! Runs SQL text statement by statement and prints the results; shared by
//! the batch modes and the interactive shell.

use std::io::Write;
use std::time::{Duration, Instant};

use arrow::record_batch::RecordBatch;
use quiver::{parse_script, QuiverError, SessionContext};

use crate::args::OutputFormat;
use crate::output::write_results;

/// A statement that failed, with the line it starts on when known.
#[derive(Debug)]
pub struct StatementError {
    /// 1-based line of the failing statement (None for parse errors, whose
    /// message carries the position).
    pub line: Option<u64>,
    /// What went wrong.
    pub error: QuiverError,
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "Error in the statement at line {line}: {}", self.error),
            None => write!(f, "Error: {}", self.error),
        }
    }
}

/// The shell's session and display settings.
#[derive(Clone)]
pub struct Shell {
    /// The session queries run in.
    pub ctx: SessionContext,
    /// How results are printed.
    pub format: OutputFormat,
    /// Print elapsed time after each statement.
    pub timer: bool,
    /// In table format, show at most this many rows of a result.
    pub max_rows: Option<usize>,
}

impl Shell {
    /// Runs each statement of `sql` in order, printing results to `out`.
    /// Stops at the first failing statement.
    pub async fn run_sql(
        &self,
        sql: &str,
        out: &mut (dyn Write + Send),
    ) -> Result<(), StatementError> {
        let script = parse_script(sql);
        for statement in &script.statements {
            let fail = |error: QuiverError| StatementError {
                line: Some(statement.line),
                error,
            };
            let started = Instant::now();
            let df = self.ctx.run_statement(statement).await.map_err(fail)?;
            if df.is_empty_statement() {
                self.report_time(out, started.elapsed()).map_err(fail)?;
                continue;
            }
            let batches = df.collect().await.map_err(fail)?;
            let elapsed = started.elapsed();
            self.print(out, &df.schema(), &batches).map_err(fail)?;
            self.report_time(out, elapsed).map_err(fail)?;
        }
        match script.error {
            Some(error) => Err(StatementError { line: None, error }),
            None => Ok(()),
        }
    }

    fn print(
        &self,
        out: &mut dyn Write,
        schema: &arrow::datatypes::Schema,
        batches: &[RecordBatch],
    ) -> quiver::Result<()> {
        let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
        match self.max_rows {
            Some(max) if self.format == OutputFormat::Table && total > max => {
                let mut shown = vec![];
                let mut left = max;
                for b in batches {
                    if left == 0 {
                        break;
                    }
                    let take = b.num_rows().min(left);
                    shown.push(b.slice(0, take));
                    left -= take;
                }
                write_results(out, self.format, schema, &shown)?;
                writeln!(
                    out,
                    "(showing the first {max} of {total} rows; .maxrows N changes this)"
                )?;
            }
            _ => write_results(out, self.format, schema, batches)?,
        }
        Ok(())
    }

    fn report_time(&self, out: &mut dyn Write, elapsed: Duration) -> quiver::Result<()> {
        if self.timer {
            writeln!(out, "Elapsed: {:.3}s", elapsed.as_secs_f64())?;
        }
        out.flush()?;
        Ok(())
    }
}

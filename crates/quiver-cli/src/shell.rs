//! Runs SQL text statement by statement and prints the results; shared by
//! the batch modes and the interactive shell.

use std::io::Write;
use std::time::{Duration, Instant};

use futures::StreamExt;
use quiver::{parse_script, DataFrame, QuiverError, SessionContext};

use crate::args::OutputFormat;
use crate::caret::pointer;
use crate::output::ResultWriter;

/// A statement that failed, with the line it starts on when known.
#[derive(Debug)]
pub struct StatementError {
    /// 1-based line of the failing statement (None for parse errors, whose
    /// message carries the position).
    pub line: Option<u64>,
    /// What went wrong.
    pub error: QuiverError,
    /// The SQL line the error names, with a caret under its column.
    pub pointer: Option<String>,
}

impl std::fmt::Display for StatementError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.line {
            Some(line) => write!(f, "Error in the statement at line {line}: {}", self.error)?,
            None => write!(f, "Error: {}", self.error)?,
        }
        match &self.pointer {
            Some(pointer) => write!(f, "\n{pointer}"),
            None => Ok(()),
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
                pointer: pointer(sql, &error.to_string()),
                error,
            };
            let started = Instant::now();
            let df = self.ctx.run_statement(statement).await.map_err(fail)?;
            if df.is_empty_statement() {
                self.report_time(out, started.elapsed()).map_err(fail)?;
                continue;
            }
            self.print(&df, out).await.map_err(fail)?;
            self.report_time(out, started.elapsed()).map_err(fail)?;
        }
        match script.error {
            Some(error) => Err(StatementError {
                line: None,
                pointer: pointer(sql, &error.to_string()),
                error,
            }),
            None => Ok(()),
        }
    }

    /// Runs `df` and writes its result to `out`: batch by batch as they
    /// arrive, except a table that shows every row, whose result is first
    /// collected within the session's memory limit.
    async fn print(&self, df: &DataFrame, out: &mut (dyn Write + Send)) -> quiver::Result<()> {
        let mut writer = ResultWriter::new(out, self.format, &df.schema(), self.max_rows);
        if writer.keeps_every_row() {
            for batch in df.collect().await? {
                writer.write(&batch)?;
            }
        } else {
            let mut stream = df.execute_stream().await?;
            while let Some(batch) = stream.next().await {
                writer.write(&batch?)?;
            }
        }
        writer.finish()
    }

    fn report_time(&self, out: &mut dyn Write, elapsed: Duration) -> quiver::Result<()> {
        if self.timer {
            writeln!(out, "Elapsed: {:.3}s", elapsed.as_secs_f64())?;
        }
        out.flush()?;
        Ok(())
    }
}

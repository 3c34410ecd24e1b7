//! Runs shell input — SQL statements and dot commands — and prints the
//! results; shared by the batch modes, `.read` and the interactive shell.

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::future::BoxFuture;
use futures::StreamExt;
use quiver::{parse_script, DataFrame, QuiverError, SessionContext};

use crate::args::OutputFormat;
use crate::dot_commands::{self, Next};
use crate::output::{Display, ResultWriter};
use crate::output_target::OutputTarget;
use crate::progress::Progress;
use crate::script::{split_script, ScriptItem};
use crate::terminal;
use quiver::error_report::StatementError;

/// How wide a boxed table may be drawn.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MaxWidth {
    /// The terminal's width when results go to a terminal; no limit
    /// otherwise.
    Terminal,
    /// At most this many columns.
    Columns(usize),
}

/// The settings dot commands and command-line options change.
#[derive(Debug, Clone)]
pub struct Settings {
    /// How results are printed.
    pub format: OutputFormat,
    /// Print the time each statement takes, to standard error.
    pub timer: bool,
    /// A boxed table shows at most this many rows (None: all).
    pub max_rows: Option<usize>,
    /// How wide a boxed table may be.
    pub max_width: MaxWidth,
    /// How NULL is written (None: as each format writes it).
    pub null_value: Option<String>,
    /// Print each statement and dot command before running it.
    pub echo: bool,
    /// Stop a script at its first error.
    pub bail: bool,
    /// After a statement that writes rows, print how many.
    pub changes: bool,
    /// Draw a progress bar on standard error for long statements.
    pub progress: bool,
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            format: OutputFormat::Box,
            timer: false,
            max_rows: None,
            max_width: MaxWidth::Terminal,
            null_value: None,
            echo: false,
            bail: true,
            changes: false,
            progress: true,
        }
    }
}

/// How running some input went.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Outcome {
    /// A statement or dot command failed (its error was printed).
    pub failed: bool,
    /// `.quit` was given.
    pub quit: bool,
}

/// The shell: a session, its settings and where results go.
#[derive(Clone)]
pub struct Shell {
    /// The session queries run in.
    pub ctx: SessionContext,
    /// What the dot commands set.
    pub settings: Settings,
    /// Where results go (standard output, or a file after `.output`);
    /// shared by the shell's clones.
    pub output: Arc<Mutex<OutputTarget>>,
    /// Rows written by statements since the shell started.
    pub total_changes: u64,
    /// A statement of the input being run was cancelled (Ctrl-C): the rest
    /// of that input does not run, whatever `bail` says.
    pub cancelled: bool,
}

impl Shell {
    /// A shell over `ctx` with `settings`, printing to standard output.
    pub fn new(ctx: SessionContext, settings: Settings) -> Self {
        Self {
            ctx,
            settings,
            output: Arc::new(Mutex::new(OutputTarget::default())),
            total_changes: 0,
            cancelled: false,
        }
    }

    /// Runs the dot commands and SQL statements of `script` in order,
    /// printing each error to standard error; stops at the first error when
    /// `bail` is set, and at `.quit`.
    pub fn run_script<'a>(&'a mut self, script: &'a str) -> BoxFuture<'a, Outcome> {
        Box::pin(async move {
            let mut outcome = Outcome::default();
            for item in split_script(script) {
                let result = match &item {
                    ScriptItem::Dot { text, .. } => {
                        self.echo(text);
                        match dot_commands::run(self, text).await {
                            Ok(Next::Quit) => {
                                outcome.quit = true;
                                return outcome;
                            }
                            Ok(Next::Continue) => Ok(()),
                            Ok(Next::Failed) => Err(None),
                            Err(e) => Err(Some(e.to_string())),
                        }
                    }
                    ScriptItem::Sql { text, .. } => {
                        self.echo(text.trim());
                        // Each failing statement has printed its error.
                        if self.run_sql(text).await {
                            Ok(())
                        } else {
                            Err(None)
                        }
                    }
                };
                if let Err(message) = result {
                    if let Some(message) = message {
                        eprintln!("{message}");
                    }
                    outcome.failed = true;
                    if self.settings.bail || self.cancelled {
                        return outcome;
                    }
                }
            }
            outcome
        })
    }

    fn echo(&self, text: &str) {
        if self.settings.echo {
            let mut out = OutputTarget::writer(&self.output);
            let _ = writeln!(out, "{text}");
        }
    }

    /// Runs each statement of `sql` in order, printing results and each
    /// failure's error; stops at the first failure when `bail` is set.
    /// Returns whether every statement succeeded.
    pub async fn run_sql(&mut self, sql: &str) -> bool {
        let script = parse_script(sql);
        let mut succeeded = true;
        for statement in &script.statements {
            let started = Instant::now();
            let progress = Progress::start(&self.ctx, self.settings.progress);
            // The bar is gone (dropped) before anything else is printed.
            let result = match self.ctx.run_statement(statement).await {
                Ok(df) => self.show(&df, progress).await,
                Err(e) => Err(e),
            };
            match result {
                Ok(()) => self.report_time(started.elapsed()),
                Err(error) => {
                    self.cancelled |= matches!(error.root(), QuiverError::Cancelled);
                    eprintln!("{}", StatementError::new(error, sql, Some(statement.line)));
                    succeeded = false;
                    if self.settings.bail || self.cancelled {
                        return false;
                    }
                }
            }
        }
        if let Some(error) = script.error {
            eprintln!("{}", StatementError::new(error, sql, None));
            return false;
        }
        succeeded
    }

    /// Prints the result of `df`, or the count of rows it changed, taking
    /// down the statement's progress bar first.
    async fn show(&mut self, df: &DataFrame, progress: Progress) -> quiver::Result<()> {
        if df.is_empty_statement() {
            return Ok(());
        }
        let mut progress = Some(progress);
        if let Some(rows) = df.rows_changed() {
            // The statement has run; its count (or RETURNING rows) is left.
            progress = None;
            self.total_changes += rows;
            if self.settings.changes {
                let mut out = OutputTarget::writer(&self.output);
                writeln!(
                    out,
                    "changes: {rows}   total_changes: {}",
                    self.total_changes
                )?;
                if df.is_count() {
                    return Ok(());
                }
            }
            // A count is a table's business; CSV or JSON output holds only
            // the rows that queries (and RETURNING) give.
            if df.is_count() && self.settings.format != OutputFormat::Box {
                return Ok(());
            }
        }
        let result = self.print(df, progress).await;
        OutputTarget::end_result(&self.output)?;
        result
    }

    /// Runs `df` and writes its result: batch by batch as they arrive,
    /// except a table that shows every row, whose result is first collected
    /// within the session's memory limit. The progress bar goes before the
    /// first line is written.
    async fn print(&self, df: &DataFrame, mut progress: Option<Progress>) -> quiver::Result<()> {
        let mut out = OutputTarget::writer(&self.output);
        let display = Display {
            max_rows: self.settings.max_rows,
            max_width: match self.settings.max_width {
                MaxWidth::Columns(n) => Some(n),
                MaxWidth::Terminal if out.is_stdout() => terminal::stdout_width(),
                MaxWidth::Terminal => None,
            },
            null_value: self.settings.null_value.clone(),
        };
        let mut writer = ResultWriter::new(&mut out, self.settings.format, &df.schema(), &display);
        if writer.keeps_every_row() {
            let batches = df.collect().await?;
            progress.take();
            for batch in batches {
                writer.write(&batch)?;
            }
        } else {
            let mut stream = df.execute_stream().await?;
            while let Some(batch) = stream.next().await {
                let batch = batch?;
                if writer.writes_as_it_goes() {
                    progress.take();
                }
                writer.write(&batch)?;
            }
        }
        progress.take();
        writer.finish()?;
        out.flush()?;
        Ok(())
    }

    /// With the timer on, writes how long a statement took to standard
    /// error, where it cannot mix with results.
    fn report_time(&self, elapsed: Duration) {
        if self.settings.timer {
            eprintln!("Run Time: {:.3} s", elapsed.as_secs_f64());
        }
    }
}

//! The shell's dot commands: `.tables`, `.schema`, `.mode`, `.read`,
//! `.output`, ... They work the same in scripts and at the prompt.

use std::io::Write;

use quiver::pretty::render_table;
use quiver::{QuiverError, Result};

use crate::args::OutputFormat;
use crate::chart;
use crate::output_target::{OutputTarget, TargetWriter};
use crate::shell::{MaxWidth, Shell};

/// What the shell should do after a dot command.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Keep reading input.
    Continue,
    /// The command failed and has reported why (a script it read failed).
    Failed,
    /// Leave the shell.
    Quit,
}

/// Every dot command: its name, arguments and what it does; `.help` prints
/// this list and completion offers the names.
pub const COMMANDS: &[(&str, &str, &str)] = &[
    (
        ".bail",
        "on|off",
        "stop a script at its first error (default on)",
    ),
    (
        ".changes",
        "on|off",
        "print how many rows each statement wrote",
    ),
    (".echo", "on|off", "print each statement before running it"),
    (".exit", "", "leave the shell (also .quit)"),
    (".help", "", "this list"),
    (
        ".maxrows",
        "N",
        "show at most N rows of a boxed table (0: all)",
    ),
    (
        ".maxwidth",
        "N",
        "fit boxed tables in N columns (0: the terminal's width)",
    ),
    (
        ".mode",
        "FORMAT",
        "output format: box, table, csv, tsv, json, ndjson, markdown, line, html, latex",
    ),
    (".nullvalue", "TEXT", "how NULL is shown"),
    (".once", "FILE", "write the next result to FILE"),
    (
        ".output",
        "[FILE]",
        "write results to FILE, or to the terminal again",
    ),
    (
        ".plot",
        "SQL",
        "draw a bar chart of a query's label and number columns",
    ),
    (
        ".progress",
        "on|off",
        "show a progress bar on long statements",
    ),
    (".quit", "", "leave the shell"),
    (
        ".read",
        "FILE",
        "run the statements and dot commands in FILE",
    ),
    (
        ".schema",
        "[NAME]",
        "show the columns of one table, or of all tables",
    ),
    (".tables", "", "list tables and views"),
    (".timer", "on|off", "print the time each statement takes"),
];

const HELP_FOOTER: &str = "\
Statements end with ';' and may span lines. Ctrl-C cancels a running
statement or clears the input; Ctrl-D (or Ctrl-C twice at an empty
prompt) quits. Tab completes names, paths and keywords.

Query a file directly:   SELECT * FROM 'data/file.parquet' LIMIT 10;
Register one as a table: CREATE VIEW t AS SELECT * FROM 'data/file.parquet';";

fn help() -> String {
    let mut text = String::new();
    for (name, args, what) in COMMANDS {
        text.push_str(&format!("  {:<20} {what}\n", format!("{name} {args}")));
    }
    text.push('\n');
    text.push_str(HELP_FOOTER);
    text
}

/// A failed dot command's error.
fn usage(text: impl Into<String>) -> QuiverError {
    QuiverError::Plan(text.into())
}

fn on_off(command: &str, arg: Option<&str>) -> Result<bool> {
    match arg {
        Some("on" | "true" | "1" | "yes") => Ok(true),
        Some("off" | "false" | "0" | "no") => Ok(false),
        _ => Err(usage(format!("usage: {command} on|off"))),
    }
}

/// `text` without the quotes a user may put around a file name or value.
fn unquoted(text: &str) -> &str {
    let text = text.trim();
    for q in ['\'', '"'] {
        if let Some(inner) = text.strip_prefix(q).and_then(|t| t.strip_suffix(q)) {
            return inner;
        }
    }
    text
}

/// Runs the dot command `line`.
pub async fn run(shell: &mut Shell, line: &str) -> Result<Next> {
    let (command, rest) = match line.split_once(char::is_whitespace) {
        Some((command, rest)) => (command, rest.trim()),
        None => (line, ""),
    };
    let arg = (!rest.is_empty()).then_some(rest);
    let mut out = OutputTarget::writer(&shell.output);
    let settings = &mut shell.settings;
    match command {
        ".quit" | ".exit" | ".q" => return Ok(Next::Quit),
        ".help" | ".h" => writeln!(out, "{}", help())?,
        ".tables" => {
            let df = shell.ctx.sql("SHOW TABLES").await?;
            let batches = df.collect().await?;
            writeln!(out, "{}", render_table(&df.schema(), &batches, false)?)?;
        }
        ".schema" => schema(shell, arg, &mut out).await?,
        ".timer" => settings.timer = on_off(command, arg)?,
        ".echo" => settings.echo = on_off(command, arg)?,
        ".bail" => settings.bail = on_off(command, arg)?,
        ".changes" => settings.changes = on_off(command, arg)?,
        ".progress" => settings.progress = on_off(command, arg)?,
        ".mode" => {
            settings.format = arg.and_then(OutputFormat::parse).ok_or_else(|| {
                usage(format!(
                    "usage: .mode FORMAT, where FORMAT is one of: {}",
                    OutputFormat::names().join(", ")
                ))
            })?
        }
        ".maxrows" => {
            settings.max_rows = match arg.and_then(|a| a.parse::<usize>().ok()) {
                Some(0) => None,
                Some(n) => Some(n),
                None => return Err(usage("usage: .maxrows N")),
            }
        }
        ".maxwidth" => {
            settings.max_width = match arg.and_then(|a| a.parse::<usize>().ok()) {
                Some(0) => MaxWidth::Terminal,
                Some(n) => MaxWidth::Columns(n),
                None => return Err(usage("usage: .maxwidth N")),
            }
        }
        ".nullvalue" => settings.null_value = Some(arg.map(unquoted).unwrap_or("").to_string()),
        ".output" | ".o" => shell
            .output
            .lock()
            .map_err(|_| usage("the output is unusable after a crash"))?
            .redirect(arg.map(unquoted))?,
        ".once" => {
            let path = arg.ok_or_else(|| usage("usage: .once FILE"))?;
            shell
                .output
                .lock()
                .map_err(|_| usage("the output is unusable after a crash"))?
                .once(unquoted(path))?
        }
        ".read" => {
            let path = unquoted(arg.ok_or_else(|| usage("usage: .read FILE"))?);
            let script = std::fs::read_to_string(path)
                .map_err(|e| QuiverError::Io(format!("cannot read '{path}': {e}")))?;
            let outcome = shell.run_script(&script).await;
            if outcome.quit {
                return Ok(Next::Quit);
            }
            if outcome.failed {
                return Ok(Next::Failed);
            }
        }
        ".plot" => {
            let sql = arg.ok_or_else(|| usage("usage: .plot SELECT label, number FROM ..."))?;
            let df = shell.ctx.sql(sql.trim_end_matches(';')).await?;
            let batches = df.collect().await?;
            let width = crate::terminal::stdout_width().unwrap_or(80);
            write!(out, "{}", chart::bar_chart(&df.schema(), &batches, width)?)?;
        }
        other => {
            return Err(usage(format!(
                "unknown command {other}; type .help for the list"
            )))
        }
    }
    out.flush()?;
    Ok(Next::Continue)
}

/// `.schema [NAME]`: the columns of one table or of every table.
async fn schema(shell: &Shell, name: Option<&str>, out: &mut TargetWriter) -> Result<()> {
    let names: Vec<String> = match name {
        Some(name) => vec![unquoted(name).to_string()],
        None => shell
            .ctx
            .table_names()
            .into_iter()
            .map(|(n, _)| n)
            .collect(),
    };
    if names.is_empty() {
        writeln!(
            out,
            "No tables. Query a file with SELECT * FROM 'path', or CREATE VIEW."
        )?;
    }
    for name in names {
        let quoted = format!("\"{}\"", name.replace('"', "\"\""));
        let df = shell.ctx.sql(&format!("DESCRIBE {quoted}")).await?;
        let batches = df.collect().await?;
        writeln!(out, "{name}")?;
        writeln!(out, "{}", render_table(&df.schema(), &batches, false)?)?;
    }
    Ok(())
}

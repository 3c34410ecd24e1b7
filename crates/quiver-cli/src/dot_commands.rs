//! The shell's dot commands: `.tables`, `.schema`, `.timer`, `.mode`, ...

use std::io::Write;

use quiver::pretty::render_table;
use quiver::Result;

use crate::args::OutputFormat;
use crate::shell::Shell;

/// What the shell should do after a dot command.
#[derive(Debug, PartialEq, Eq)]
pub enum Next {
    /// Keep reading input.
    Continue,
    /// Leave the shell.
    Quit,
}

const HELP: &str = "\
Statements end with ';' and may span lines. Ctrl-C abandons the current
line or cancels a running query; Ctrl-D quits.

  .tables              list tables and views
  .schema [NAME]       show the columns of one table, or of all tables
  .timer on|off        print the time each statement takes
  .mode FORMAT         output format: table, csv, tsv, json, ndjson, markdown
  .maxrows N           show at most N rows of a result in table mode (0: all)
  .help                this text
  .quit                leave the shell (also .exit)

Query a file directly:  SELECT * FROM 'data/file.parquet' LIMIT 10;
Register one as a table: CREATE EXTERNAL TABLE t STORED AS PARQUET LOCATION 'data/file.parquet';";

fn on_off(arg: Option<&str>) -> Option<bool> {
    match arg? {
        "on" | "true" | "1" => Some(true),
        "off" | "false" | "0" => Some(false),
        _ => None,
    }
}

/// Runs the dot command `line`, writing any output to `out`.
pub async fn run(shell: &mut Shell, line: &str, out: &mut dyn Write) -> Result<Next> {
    let mut words = line.split_whitespace();
    let command = words.next().unwrap_or_default();
    let arg = words.next();
    match command {
        ".quit" | ".exit" | ".q" => return Ok(Next::Quit),
        ".help" | ".h" => writeln!(out, "{HELP}")?,
        ".tables" => {
            let df = shell.ctx.sql("SHOW TABLES").await?;
            let batches = df.collect().await?;
            writeln!(out, "{}", render_table(&df.schema(), &batches, false)?)?;
        }
        ".schema" => {
            let names: Vec<String> = match arg {
                Some(name) => vec![name.to_string()],
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
                    "No tables. Query a file with SELECT * FROM 'path', or CREATE EXTERNAL TABLE."
                )?;
            }
            for name in names {
                let quoted = format!("\"{}\"", name.replace('"', "\"\""));
                let df = shell.ctx.sql(&format!("DESCRIBE {quoted}")).await?;
                let batches = df.collect().await?;
                writeln!(out, "{name}")?;
                writeln!(out, "{}", render_table(&df.schema(), &batches, false)?)?;
            }
        }
        ".timer" => match on_off(arg) {
            Some(on) => shell.timer = on,
            None => writeln!(out, "usage: .timer on|off")?,
        },
        ".mode" => match arg.and_then(OutputFormat::parse) {
            Some(format) => shell.format = format,
            None => writeln!(
                out,
                "usage: .mode FORMAT, where FORMAT is one of: {}",
                OutputFormat::names().join(", ")
            )?,
        },
        ".maxrows" => match arg.and_then(|a| a.parse::<usize>().ok()) {
            Some(0) => shell.max_rows = None,
            Some(n) => shell.max_rows = Some(n),
            None => writeln!(out, "usage: .maxrows N")?,
        },
        other => writeln!(out, "unknown command {other}; type .help for the list")?,
    }
    Ok(Next::Continue)
}

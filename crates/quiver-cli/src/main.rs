//! `quiver`: an interactive SQL shell and batch runner over Parquet and CSV.

mod args;
mod caret;
mod dot_commands;
mod helper;
mod interactive;
mod output;
mod shell;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use clap::Parser;
use quiver::{quiet_caught_panics, SessionConfig, SessionContext};

use crate::args::Args;
use crate::shell::Shell;

fn main() -> ExitCode {
    let args = Args::parse();
    // A panic Quiver catches is reported as the statement's error; the
    // default hook would print it a second time, as a crash.
    quiet_caught_panics();
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut config = SessionConfig::new();
    if let Some(n) = args.partitions {
        config = config.with_target_partitions(n);
    }
    let ctx = SessionContext::with_config(config);
    for file in &args.files {
        if let Err(e) = runtime.block_on(ctx.register_file(file)) {
            eprintln!("Error: {e}");
            return ExitCode::FAILURE;
        }
    }

    let batch_sql = match batch_input(&args) {
        Ok(sql) => sql,
        Err(message) => {
            eprintln!("Error: {message}");
            return ExitCode::FAILURE;
        }
    };
    match batch_sql {
        Some(sql) => {
            let shell = Shell {
                ctx,
                format: args.format,
                timer: args.timer,
                max_rows: None,
            };
            let mut out = std::io::BufWriter::new(std::io::stdout());
            match runtime.block_on(shell.run_sql(&sql, &mut out)) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("{e}");
                    ExitCode::FAILURE
                }
            }
        }
        None => {
            let shell = Shell {
                ctx,
                format: args.format,
                timer: true,
                max_rows: Some(40),
            };
            match interactive::run(shell, &runtime) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    eprintln!("Error: {e}");
                    ExitCode::FAILURE
                }
            }
        }
    }
}

/// The SQL to run without a shell: from `-f`, then `-c`, or from standard
/// input when it is not a terminal. `None` means: open the shell.
fn batch_input(args: &Args) -> Result<Option<String>, String> {
    let mut sql = String::new();
    if let Some(path) = &args.script {
        sql = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read script '{path}': {e}"))?;
    }
    if let Some(command) = &args.command {
        if !sql.is_empty() {
            sql.push_str(";\n");
        }
        sql.push_str(command);
    }
    if args.script.is_some() || args.command.is_some() {
        return Ok(Some(sql));
    }
    let stdin = std::io::stdin();
    if stdin.is_terminal() {
        return Ok(None);
    }
    stdin
        .lock()
        .read_to_string(&mut sql)
        .map_err(|e| format!("cannot read standard input: {e}"))?;
    Ok(Some(sql))
}

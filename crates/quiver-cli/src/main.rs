//! `quiver`: an interactive SQL shell and batch runner over Parquet, CSV
//! and JSON files.

mod args;
mod chart;
mod completion_context;
mod dot_commands;
mod helper;
mod interactive;
mod output;
mod output_target;
mod progress;
mod row_formats;
mod script;
mod shell;
mod terminal;

use std::io::{IsTerminal, Read};
use std::process::ExitCode;

use quiver::database::OpenMode;
use quiver::{quiet_caught_panics, SessionConfig, SessionContext};

use crate::args::{Args, OutputFormat};
use crate::script::StatementScanner;
use crate::shell::{Settings, Shell};

fn main() -> ExitCode {
    let args = Args::from_command_line();
    // A panic Quiver catches is reported as the statement's error; the
    // default hook would print it a second time, as a crash.
    quiet_caught_panics();
    let mut builder = tokio::runtime::Builder::new_multi_thread();
    if let Some(n) = args.threads {
        builder.worker_threads(n.max(1));
    }
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("Error: cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let mut config = SessionConfig::new();
    if let Some(n) = args.threads {
        config = config.with_threads(n);
    }
    if let Some(n) = args.partitions {
        config = config.with_target_partitions(n);
    }
    let ctx = SessionContext::with_config(config);
    let (database, files) = match args.database_and_files() {
        Ok(split) => split,
        Err(message) => {
            eprintln!("Error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(database) = database {
        let mode = if args.readonly {
            OpenMode::ReadOnly
        } else {
            OpenMode::ReadWrite
        };
        match runtime.block_on(ctx.open_database(database, mode)) {
            Ok(problems) => {
                for problem in problems {
                    let (_, message) = quiver::error_report::headline(&problem);
                    eprintln!("Warning: {message}");
                }
            }
            Err(e) => {
                eprintln!("{}", quiver::error_report::StatementError::new(e, "", None));
                return ExitCode::FAILURE;
            }
        }
    }
    for file in files {
        if let Err(e) = runtime.block_on(ctx.register_file(file)) {
            eprintln!("{}", quiver::error_report::StatementError::new(e, "", None));
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
    let interactive = batch_sql.is_none();
    let settings = Settings {
        format: args.output_format().unwrap_or(OutputFormat::Box),
        timer: args.timer || interactive,
        max_rows: interactive.then_some(40),
        echo: args.echo,
        progress: !args.no_progress,
        ..Settings::default()
    };
    let mut shell = Shell::new(ctx, settings);
    let init = match startup_script(&args) {
        Ok(init) => init,
        Err(message) => {
            eprintln!("Error: {message}");
            return ExitCode::FAILURE;
        }
    };
    if let Some(init) = init {
        let outcome = runtime.block_on(shell.run_script(&init));
        if outcome.quit || (outcome.failed && !interactive) {
            return exit_code(outcome.failed);
        }
    }
    match batch_sql {
        Some(sql) => {
            let ctx = shell.ctx.clone();
            // Ctrl-C stops the running statement, which fails as cancelled
            // and ends the script; nothing is left half-written. A second
            // Ctrl-C (nothing stopped the first time) leaves at once.
            let pressed = std::sync::atomic::AtomicBool::new(false);
            let handler = move || {
                if pressed.swap(true, std::sync::atomic::Ordering::SeqCst) {
                    std::process::exit(130);
                }
                ctx.interrupt();
            };
            if let Err(e) = ctrlc::set_handler(handler) {
                eprintln!("Warning: Ctrl-C will not cancel statements ({e})");
            }
            let outcome = runtime.block_on(shell.run_script(&sql));
            exit_code(outcome.failed)
        }
        None => match interactive::run(shell, &runtime) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("Error: {e}");
                ExitCode::FAILURE
            }
        },
    }
}

fn exit_code(failed: bool) -> ExitCode {
    if failed {
        ExitCode::FAILURE
    } else {
        ExitCode::SUCCESS
    }
}

/// The script to run at start-up: `-init FILE`, or else `~/.quiverrc` when
/// it exists.
fn startup_script(args: &Args) -> Result<Option<String>, String> {
    match &args.init {
        Some(path) => std::fs::read_to_string(path)
            .map(Some)
            .map_err(|e| format!("cannot read the start-up script '{path}': {e}")),
        None => Ok(std::env::var_os("HOME").and_then(|home| {
            std::fs::read_to_string(std::path::Path::new(&home).join(".quiverrc")).ok()
        })),
    }
}

/// The SQL to run without a shell: from `-f`, then each `-c`, or from
/// standard input when it is not a terminal. `None` means: open the shell.
fn batch_input(args: &Args) -> Result<Option<String>, String> {
    let mut sql = String::new();
    if let Some(path) = &args.script {
        sql = std::fs::read_to_string(path)
            .map_err(|e| format!("cannot read script '{path}': {e}"))?;
    }
    for command in &args.command {
        append_script(&mut sql, command);
    }
    if args.script.is_some() || !args.command.is_empty() {
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

/// Appends `more` to the script `sql` on a line of its own, ending an
/// unfinished last statement of `sql` first.
fn append_script(sql: &mut String, more: &str) {
    if !sql.trim().is_empty() {
        let mut scanner = StatementScanner::default();
        scanner.feed(sql);
        let last_line = sql.lines().last().unwrap_or_default();
        if !scanner.between_statements() && !last_line.trim_start().starts_with('.') {
            sql.push(';');
        }
        sql.push('\n');
    }
    sql.push_str(more);
}

#[cfg(test)]
mod tests {
    use super::append_script;

    #[test]
    fn commands_join_into_one_script() {
        let mut sql = String::new();
        append_script(&mut sql, ".mode csv");
        append_script(&mut sql, "SELECT 1");
        append_script(&mut sql, "SELECT 2;");
        append_script(&mut sql, "SELECT 3");
        assert_eq!(sql, ".mode csv\nSELECT 1;\nSELECT 2;\nSELECT 3");
    }
}

//! The interactive shell: line editing, history, multi-line statements and
//! cancellation with Ctrl-C.

use std::io::Write;
use std::path::PathBuf;
use std::sync::Arc;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::Editor;
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::dot_commands::{self, Next};
use crate::helper::SqlHelper;
use crate::shell::Shell;

/// `~/.quiver_history`, if there is a home directory.
fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".quiver_history"))
}

/// True when `buffer` holds a complete statement: its last character outside
/// quotes and comments is `;`.
pub fn statement_complete(buffer: &str) -> bool {
    let mut last = None;
    let mut quote: Option<char> = None;
    let mut chars = buffer.chars().peekable();
    while let Some(c) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(_) => {}
            None if c == '\'' || c == '"' => {
                quote = Some(c);
                last = Some(c);
            }
            None if c == '-' && chars.peek() == Some(&'-') => {
                for n in chars.by_ref() {
                    if n == '\n' {
                        break;
                    }
                }
            }
            None if !c.is_whitespace() => last = Some(c),
            None => {}
        }
    }
    quote.is_none() && last == Some(';')
}

/// Ctrl-C while a query runs. While the shell reads a line, the terminal is in
/// raw mode and the line editor sees Ctrl-C as a key instead.
///
/// The signal is caught on a thread of its own and wakes the waiting query
/// through a [`Notify`]; tokio's own signal support would wait for an idle
/// worker thread to notice, and a busy query leaves none idle.
fn install_interrupt_handler() -> Arc<Notify> {
    let interrupt = Arc::new(Notify::new());
    let notify = Arc::clone(&interrupt);
    if let Err(e) = ctrlc::set_handler(move || notify.notify_waiters()) {
        eprintln!("Warning: Ctrl-C will not cancel queries ({e})");
    }
    interrupt
}

/// Runs the shell until `.quit` or Ctrl-D.
pub fn run(mut shell: Shell, runtime: &Runtime) -> rustyline::Result<()> {
    let interrupt = install_interrupt_handler();
    let mut editor: Editor<SqlHelper, DefaultHistory> = Editor::new()?;
    editor.set_helper(Some(SqlHelper::new(shell.ctx.clone())));
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(path);
    }
    println!(
        "Quiver {} — SQL over Parquet and CSV files. End statements with ';'. Type .help for help, Ctrl-D to quit.",
        env!("CARGO_PKG_VERSION")
    );
    let mut buffer = String::new();
    loop {
        let prompt = if buffer.is_empty() {
            "quiver> "
        } else {
            "   ...> "
        };
        match editor.readline(prompt) {
            Ok(line) => {
                if buffer.is_empty() && line.trim_start().starts_with('.') {
                    let _ = editor.add_history_entry(line.as_str());
                    let mut out = std::io::stdout();
                    match runtime.block_on(dot_commands::run(&mut shell, line.trim(), &mut out)) {
                        Ok(Next::Quit) => break,
                        Ok(Next::Continue) => {}
                        Err(e) => eprintln!("Error: {e}"),
                    }
                    continue;
                }
                if line.trim().is_empty() && buffer.is_empty() {
                    continue;
                }
                if !buffer.is_empty() {
                    buffer.push('\n');
                }
                buffer.push_str(&line);
                if statement_complete(&buffer) {
                    let _ = editor.add_history_entry(buffer.as_str());
                    run_cancellable(&shell, &buffer, runtime, &interrupt);
                    buffer.clear();
                }
            }
            Err(ReadlineError::Interrupted) => {
                if buffer.is_empty() {
                    println!("(Type .quit or press Ctrl-D to leave)");
                }
                buffer.clear();
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("Error reading input: {e}");
                break;
            }
        }
    }
    if let Some(path) = &history {
        if let Err(e) = editor.save_history(path) {
            eprintln!("Could not save history to {}: {e}", path.display());
        }
    }
    Ok(())
}

/// Runs `sql` on a task of its own and abandons it if Ctrl-C is pressed:
/// aborting the task drops the query's streams, which abort the tasks doing
/// its work, and the prompt returns at once.
fn run_cancellable(shell: &Shell, sql: &str, runtime: &Runtime, interrupt: &Notify) {
    let (shell, sql) = (shell.clone(), sql.to_string());
    runtime.block_on(async {
        let cancelled = interrupt.notified();
        let mut query = tokio::spawn(async move {
            let mut out = std::io::stdout();
            let result = shell.run_sql(&sql, &mut out).await;
            let _ = out.flush();
            result
        });
        tokio::select! {
            finished = &mut query => match finished {
                Ok(Ok(())) => {}
                Ok(Err(e)) => eprintln!("{e}"),
                Err(e) => eprintln!("Error: the query failed unexpectedly: {e}"),
            },
            _ = cancelled => {
                query.abort();
                eprintln!("Query cancelled");
            }
        }
    });
}

#[cfg(test)]
mod tests {
    use super::statement_complete;

    #[test]
    fn statements_end_at_a_semicolon_outside_quotes_and_comments() {
        assert!(statement_complete("SELECT 1;"));
        assert!(statement_complete("SELECT 1;  \n"));
        assert!(!statement_complete("SELECT 1"));
        assert!(!statement_complete("SELECT ';"));
        assert!(statement_complete("SELECT ';';"));
        assert!(statement_complete("SELECT 1; -- done"));
        assert!(statement_complete("SELECT 1 -- note;\n;"));
    }
}

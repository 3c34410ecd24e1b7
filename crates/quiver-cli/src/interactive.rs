//! The interactive shell: multi-line editing, history, completion and
//! cancellation with Ctrl-C.

use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;

use rustyline::error::ReadlineError;
use rustyline::history::DefaultHistory;
use rustyline::{
    Cmd, CompletionType, ConditionalEventHandler, Config, Editor, Event, EventContext,
    EventHandler, KeyEvent, RepeatCount,
};
use tokio::runtime::Runtime;
use tokio::sync::Notify;

use crate::helper::SqlHelper;
use crate::shell::{Outcome, Shell};

/// How long a cancelled statement may take to stop by itself before its
/// task is abandoned.
const STOP_GRACE: Duration = Duration::from_secs(2);

/// `~/.quiver_history`, if there is a home directory.
fn history_path() -> Option<PathBuf> {
    std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".quiver_history"))
}

/// Ctrl-C while a statement runs. While the shell reads a line, the
/// terminal is in raw mode and the line editor sees Ctrl-C as a key
/// instead.
///
/// The signal is caught on a thread of its own and wakes the waiting shell
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

/// Notes whether the input was empty when Ctrl-C was pressed at the prompt
/// (the editor discards the input before it reports the key), so that
/// only Ctrl-C twice at an empty prompt leaves the shell.
struct NoteEmptyInput(Arc<AtomicBool>);

impl ConditionalEventHandler for NoteEmptyInput {
    fn handle(
        &self,
        _event: &Event,
        _count: RepeatCount,
        _positive: bool,
        ctx: &EventContext,
    ) -> Option<Cmd> {
        self.0.store(ctx.line().is_empty(), Ordering::SeqCst);
        None
    }
}

/// Runs the shell until `.quit`, Ctrl-D, or Ctrl-C twice at an empty
/// prompt.
pub fn run(mut shell: Shell, runtime: &Runtime) -> rustyline::Result<()> {
    let interrupt = install_interrupt_handler();
    let config = Config::builder()
        .completion_type(CompletionType::List)
        .auto_add_history(false)
        .build();
    let mut editor: Editor<SqlHelper, DefaultHistory> = Editor::with_config(config)?;
    editor.set_helper(Some(SqlHelper::new(shell.ctx.clone())));
    let input_was_empty = Arc::new(AtomicBool::new(false));
    editor.bind_sequence(
        KeyEvent::ctrl('C'),
        EventHandler::Conditional(Box::new(NoteEmptyInput(Arc::clone(&input_was_empty)))),
    );
    let history = history_path();
    if let Some(path) = &history {
        // A missing history file is normal on first use.
        let _ = editor.load_history(path);
    }
    println!(
        "Quiver {} — SQL over Parquet, CSV and JSON files. End statements with ';'. \
         Type .help for help, Ctrl-D to quit.",
        env!("CARGO_PKG_VERSION")
    );
    let mut interrupted_idle = false;
    loop {
        match editor.readline("quiver> ") {
            Ok(input) => {
                interrupted_idle = false;
                if input.trim().is_empty() {
                    continue;
                }
                // Each statement is one history entry, kept at once so that
                // a crash loses nothing.
                if editor.add_history_entry(input.as_str()).unwrap_or(false) {
                    if let Some(path) = &history {
                        if let Err(e) = editor.append_history(path) {
                            eprintln!("Could not save history to {}: {e}", path.display());
                        }
                    }
                }
                let (back, outcome) = run_cancellable(shell, input, runtime, &interrupt);
                shell = back;
                if outcome.quit {
                    break;
                }
            }
            Err(ReadlineError::Interrupted) => {
                if !input_was_empty.load(Ordering::SeqCst) {
                    // Ctrl-C clears what was typed.
                    interrupted_idle = false;
                    continue;
                }
                if interrupted_idle {
                    break;
                }
                interrupted_idle = true;
                println!("(Press Ctrl-C again, Ctrl-D or type .quit to leave)");
            }
            Err(ReadlineError::Eof) => break,
            Err(e) => {
                eprintln!("Error reading input: {e}");
                break;
            }
        }
    }
    Ok(())
}

/// Runs `input` on a task of its own. Ctrl-C interrupts the session: the
/// running statement stops (a COPY removes what it wrote) and reports
/// "Query cancelled"; a statement that does not stop within
/// [`STOP_GRACE`] is abandoned, its streams dropped. Returns the shell,
/// with what the input's dot commands changed.
fn run_cancellable(
    shell: Shell,
    input: String,
    runtime: &Runtime,
    interrupt: &Notify,
) -> (Shell, Outcome) {
    let before = shell.clone();
    runtime.block_on(async {
        let cancelled = interrupt.notified();
        let mut task = tokio::spawn(async move {
            let mut shell = shell;
            shell.cancelled = false;
            let outcome = shell.run_script(&input).await;
            (shell, outcome)
        });
        let settle = |finished: Result<(Shell, Outcome), tokio::task::JoinError>| match finished {
            Ok(done) => done,
            Err(e) => {
                eprintln!("Error: the statement failed unexpectedly: {e}");
                (before.clone(), Outcome::default())
            }
        };
        tokio::select! {
            finished = &mut task => settle(finished),
            _ = cancelled => {
                before.ctx.interrupt();
                match tokio::time::timeout(STOP_GRACE, &mut task).await {
                    Ok(finished) => settle(finished),
                    Err(_) => {
                        task.abort();
                        eprintln!("Interrupted: query cancelled");
                        (before.clone(), Outcome::default())
                    }
                }
            }
        }
    })
}

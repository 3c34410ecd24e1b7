//! Running the engine's futures for Python: on one Tokio runtime shared by
//! every connection, with the GIL released so other Python threads run,
//! and with Ctrl-C (a pending `KeyboardInterrupt`) cancelling the query.

use std::future::Future;
use std::sync::OnceLock;
use std::time::Duration;

use pyo3::prelude::*;
use quiver::SessionContext;
use tokio::runtime::Runtime;

use crate::errors::{panic_error, to_py_error};

/// How often a waiting call looks for a pending Ctrl-C.
const SIGNAL_POLL: Duration = Duration::from_millis(50);

static RUNTIME: OnceLock<Runtime> = OnceLock::new();

/// The runtime every query runs on, started by the first query.
pub fn runtime() -> PyResult<&'static Runtime> {
    if let Some(runtime) = RUNTIME.get() {
        return Ok(runtime);
    }
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("quiver")
        .build()
        .map_err(|e| {
            to_py_error(
                quiver::QuiverError::Io(format!("starting the query runtime: {e}")),
                "",
            )
        })?;
    Ok(RUNTIME.get_or_init(|| runtime))
}

/// Runs `work` to its end with the GIL released and returns its result;
/// `sql` is the statement it runs, for error messages. A Ctrl-C meanwhile
/// interrupts the session's queries, waits for them to stop and raises
/// `KeyboardInterrupt`. A panic inside becomes an `InternalException`.
pub fn wait<T: Send + 'static>(
    py: Python<'_>,
    ctx: &SessionContext,
    sql: &str,
    work: impl Future<Output = quiver::Result<T>> + Send + 'static,
) -> PyResult<T> {
    let runtime = runtime()?;
    let mut task = runtime.spawn(work);
    loop {
        let finished = py.detach(|| {
            runtime.block_on(async { tokio::time::timeout(SIGNAL_POLL, &mut task).await.ok() })
        });
        if let Some(joined) = finished {
            return match joined {
                Ok(result) => result.map_err(|e| to_py_error(e, sql)),
                Err(e) => Err(panic_error(e)),
            };
        }
        if let Err(interrupt) = py.check_signals() {
            ctx.interrupt();
            let _ = py.detach(|| runtime.block_on(&mut task));
            return Err(interrupt);
        }
    }
}

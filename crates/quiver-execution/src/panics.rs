//! Panics that Quiver catches and reports as query errors.
//!
//! A panic in an operator, or inside a library that panics on bad data (the
//! parquet crate on corrupt files), is caught and becomes the query's error
//! (see [`crate::stream::catch_panics`]). Rust's default panic hook still
//! prints "thread … panicked at …" to stderr first, which in the shell
//! appears beside the clean error. Catching through [`catch`] or
//! [`catch_future`] marks the thread while the guarded code runs, so a
//! program can install [`quiet_caught_panics`] to leave those reports to the
//! query's error while every other panic is printed as before.

use std::any::Any;
use std::cell::Cell;
use std::future::Future;
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::pin::Pin;
use std::task::{Context, Poll};

use quiver_expr::QuiverError;

thread_local! {
    /// How many [`catch`] calls this thread is inside.
    static CATCHING: Cell<usize> = const { Cell::new(0) };
}

/// What a caught panic carries: its payload.
pub type PanicPayload = Box<dyn Any + Send>;

/// Runs `f`, catching a panic in it (which Quiver then reports as an error).
pub fn catch<R>(f: impl FnOnce() -> R) -> Result<R, PanicPayload> {
    CATCHING.with(|depth| depth.set(depth.get() + 1));
    let result = catch_unwind(AssertUnwindSafe(f));
    CATCHING.with(|depth| depth.set(depth.get() - 1));
    result
}

/// Whether a panic on this thread now would be caught by [`catch`].
pub fn panic_is_caught() -> bool {
    CATCHING.with(|depth| depth.get() > 0)
}

/// `future`, resolving to `Err` with the payload if polling it panics.
pub fn catch_future<F: Future>(future: F) -> CatchFuture<F> {
    CatchFuture {
        inner: Box::pin(future),
    }
}

/// The future [`catch_future`] returns.
pub struct CatchFuture<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for CatchFuture<F> {
    type Output = Result<F::Output, PanicPayload>;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Self::Output> {
        match catch(|| self.inner.as_mut().poll(cx)) {
            Ok(Poll::Pending) => Poll::Pending,
            Ok(Poll::Ready(value)) => Poll::Ready(Ok(value)),
            Err(payload) => Poll::Ready(Err(payload)),
        }
    }
}

/// The message a panic with `payload` was raised with.
pub fn panic_message(payload: &(dyn Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| s.to_string())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "no message".to_string())
}

/// The query error for a panic with `payload`, quoting its message.
pub fn panic_error(payload: &(dyn Any + Send)) -> QuiverError {
    QuiverError::Internal(format!("an operator panicked: {}", panic_message(payload)))
}

/// Installs a panic hook, for a program like the shell, that prints nothing
/// for a panic Quiver catches (its message reaches the user as the query's
/// error) and hands every other panic to the hook installed before. With
/// `RUST_BACKTRACE` set, every panic is printed, for debugging.
pub fn quiet_caught_panics() {
    let previous = std::panic::take_hook();
    let debugging = std::env::var_os("RUST_BACKTRACE").is_some();
    std::panic::set_hook(Box::new(move |info| {
        if debugging || !panic_is_caught() {
            previous(info);
        }
    }));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn catching_marks_the_thread_while_the_guarded_code_runs() {
        assert!(!panic_is_caught());
        assert!(catch(panic_is_caught).unwrap());
        let nested = catch(|| catch(|| panic!("inner")).is_err() && panic_is_caught());
        assert!(nested.unwrap());
        assert!(!panic_is_caught());
    }

    #[test]
    fn a_caught_panic_gives_its_message_and_unmarks_the_thread() {
        let payload = catch(|| -> () { panic!("bad {}", "data") }).unwrap_err();
        assert_eq!(panic_message(payload.as_ref()), "bad data");
        assert!(!panic_is_caught());
    }

    #[test]
    fn a_panicking_future_resolves_to_its_payload() {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .build()
            .unwrap();
        let panicked = runtime.block_on(catch_future(async {
            tokio::task::yield_now().await;
            panic!("in a future")
        }));
        let payload = panicked.expect_err("the panic is caught");
        assert_eq!(panic_message(payload.as_ref()), "in a future");
        let answered = runtime.block_on(catch_future(async { 7 }));
        assert_eq!(answered.ok(), Some(7));
    }
}

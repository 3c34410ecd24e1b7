//! Stack room for the passes that recurse over expression trees.
//!
//! The binder, the optimizer's rules, the physical planner and expression
//! evaluation all recurse once per level of an expression. A query may nest
//! up to `max_expression_depth` levels (1000 by default), which takes more
//! than the 2 MiB a spawned thread or a tokio worker has, so each pass runs
//! through [`with_stack_for`], which moves it to a larger stack when the
//! current one is short.

use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};

/// The stack one level of a recursive pass may take, generously: a level of
/// the binder takes about 20 KiB in a debug build. Only the pages a pass
/// touches are ever committed, so the margin costs address space, not memory.
const STACK_PER_LEVEL: usize = 64 * 1024;

/// The stack a pass needs whatever the depth.
const BASE_STACK: usize = 256 * 1024;

/// Runs `f`, which recurses at most `levels` deep, on a stack with room for
/// it: the current thread's if it has enough left, else a fresh one.
pub fn with_stack_for<R>(levels: usize, f: impl FnOnce() -> R) -> R {
    with_stack(
        BASE_STACK.saturating_add(levels.saturating_mul(STACK_PER_LEVEL)),
        f,
    )
}

/// Runs `f` with at least `bytes` of stack: on the current thread's if it
/// has that much left, else on a fresh stack of that size.
pub fn with_stack<R>(bytes: usize, f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(bytes, bytes, f)
}

/// The stack a recursive step must find left before it runs in place.
const RED_ZONE: usize = 128 * 1024;

/// The size of each fresh stack [`grow_on_demand`] moves to.
const SEGMENT: usize = 4 * 1024 * 1024;

/// Runs `f`, one step of a recursion whose depth is not known beforehand,
/// on the current stack when it has room left, else on a fresh segment:
/// a recursion that calls this at every level never overflows.
pub fn grow_on_demand<R>(f: impl FnOnce() -> R) -> R {
    stacker::maybe_grow(RED_ZONE, SEGMENT, f)
}

/// `future`, each poll of which runs through [`grow_on_demand`]: for
/// recursive async code (a planner whose every level awaits the next).
pub fn growing_stack<F: Future>(future: F) -> GrowingStack<F> {
    GrowingStack {
        inner: Box::pin(future),
    }
}

/// The future [`growing_stack`] returns.
pub struct GrowingStack<F> {
    inner: Pin<Box<F>>,
}

impl<F: Future> Future for GrowingStack<F> {
    type Output = F::Output;

    fn poll(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<F::Output> {
        grow_on_demand(|| self.inner.as_mut().poll(cx))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn nest(levels: usize) -> usize {
        // A frame of a few KiB, as the binder's and planner's are.
        let frame = std::hint::black_box([levels as u8; 4096]);
        if levels == 0 {
            usize::from(frame[0])
        } else {
            nest(levels - 1) + 1
        }
    }

    fn nest_on_demand(levels: usize) -> usize {
        let frame = std::hint::black_box([levels as u8; 4096]);
        if levels == 0 {
            usize::from(frame[0])
        } else {
            grow_on_demand(|| nest_on_demand(levels - 1)) + 1
        }
    }

    #[test]
    fn recursion_that_grows_on_demand_has_no_depth_limit() {
        let depth = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| nest_on_demand(20_000))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(depth, 20_000);
    }

    #[test]
    fn deep_recursion_fits_on_a_small_thread() {
        let depth = std::thread::Builder::new()
            .stack_size(256 * 1024)
            .spawn(|| with_stack_for(2_000, || nest(2_000)))
            .unwrap()
            .join()
            .unwrap();
        assert_eq!(depth, 2_000);
    }
}

//! Software prefetching: hash tables too large for the caches announce the
//! slots of rows a little ahead of the one being handled, so that several
//! memory accesses are under way at once instead of one after another.

/// How many rows ahead of the one being handled a row's table slot is
/// fetched: enough for a memory access to complete meanwhile.
pub const PREFETCH_DISTANCE: usize = 16;

/// Hints the processor to load `value`'s cache line, without waiting.
#[inline]
pub fn prefetch_read<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: a prefetch reads nothing the program sees and cannot fault;
    // the pointer comes from a reference, so it is valid anyway. SSE is
    // part of every x86_64 target.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

//! Bytes that one scan of a query fetched from an object store, kept for the
//! query's other scans of the same files.
//!
//! A query may scan a table more than once: TPC-H Q21 reads `lineitem` three
//! times, Q17 and Q18 twice, mostly the same column chunks. Local files are
//! read again from the OS page cache at no cost, but every read of an
//! object in S3 is a request the server must answer. The planner gives one
//! [`SharedReads`] per query to the scans of tables scanned more than once;
//! their readers look here before fetching and keep what they fetch, up to a
//! byte budget and what the session's memory pool grants. The bytes are
//! freed, and given back to the pool, when the query's plan is dropped.

use std::collections::HashMap;
use std::ops::Range;
use std::sync::{Arc, Mutex};

use bytes::Bytes;

use crate::memory_pool::{MemoryPool, MemoryReservation};

/// Bytes of object ranges fetched by one query's scans, by object.
#[derive(Debug)]
pub struct SharedReads {
    /// The most bytes kept; once reached, further ranges are not kept.
    budget: usize,
    state: Mutex<State>,
}

#[derive(Debug, Default)]
struct State {
    /// Bytes kept now, held from the session's pool once anything is kept.
    reservation: Option<MemoryReservation>,
    /// Per object (by URL), the kept ranges, which do not overlap, by start.
    objects: HashMap<String, Vec<(Range<u64>, Bytes)>>,
}

impl SharedReads {
    /// An empty store keeping at most `budget` bytes.
    pub fn new(budget: usize) -> Self {
        Self {
            budget,
            state: Mutex::default(),
        }
    }

    /// The bytes of `range` of `object`, if a kept range holds all of it.
    pub fn get(&self, object: &str, range: &Range<u64>) -> Option<Bytes> {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let kept = state.objects.get(object)?;
        let i = kept.partition_point(|(r, _)| r.start <= range.start);
        let (held, bytes) = kept.get(i.checked_sub(1)?)?;
        (range.end <= held.end).then(|| {
            let offset = held.start;
            bytes.slice((range.start - offset) as usize..(range.end - offset) as usize)
        })
    }

    /// Keeps `bytes`, the contents of `range` of `object`, unless that would
    /// pass the budget or what `pool` grants, or `range` overlaps a range
    /// already kept, or `bytes` is not as long as `range`. `bytes` should own no more memory than its length
    /// (slice a larger fetch with [`Bytes::copy_from_slice`]), since that is
    /// what is counted.
    pub fn keep(&self, object: &str, range: Range<u64>, bytes: Bytes, pool: &Arc<MemoryPool>) {
        let len = bytes.len();
        let mut state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        let State {
            reservation,
            objects,
        } = &mut *state;
        let reservation = reservation.get_or_insert_with(|| pool.reservation("shared reads"));
        let fits = reservation.size().saturating_add(len) <= self.budget;
        if !fits || range.is_empty() || (range.end - range.start) as usize != len {
            return;
        }
        let kept = objects.entry(object.to_string()).or_default();
        let i = kept.partition_point(|(r, _)| r.start < range.start);
        let overlaps_before = i > 0 && kept[i - 1].0.end > range.start;
        let overlaps_after = kept.get(i).is_some_and(|(r, _)| r.start < range.end);
        if overlaps_before || overlaps_after || reservation.try_grow(len).is_err() {
            return;
        }
        kept.insert(i, (range, bytes));
    }

    /// Bytes kept now.
    pub fn kept_bytes(&self) -> usize {
        let state = self.state.lock().unwrap_or_else(|e| e.into_inner());
        state
            .reservation
            .as_ref()
            .map_or(0, MemoryReservation::size)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn bytes(range: Range<u64>) -> Bytes {
        range.map(|i| i as u8).collect::<Vec<u8>>().into()
    }

    /// An empty store of `budget` bytes and a pool of `limit` bytes.
    fn store(budget: usize, limit: Option<usize>) -> (SharedReads, Arc<MemoryPool>) {
        (SharedReads::new(budget), Arc::new(MemoryPool::new(limit)))
    }

    /// Offers `reads` the bytes of `range` of `object` (byte `i` is `i`).
    fn offer(reads: &SharedReads, pool: &Arc<MemoryPool>, object: &str, range: Range<u64>) {
        reads.keep(object, range.clone(), bytes(range), pool);
    }

    #[test]
    fn serves_ranges_within_kept_ones() {
        let (reads, pool) = store(1000, None);
        offer(&reads, &pool, "a", 10..20);
        offer(&reads, &pool, "a", 30..40);
        assert_eq!(reads.get("a", &(10..20)), Some(bytes(10..20)));
        assert_eq!(reads.get("a", &(32..35)), Some(bytes(32..35)));
        assert_eq!(reads.get("a", &(15..32)), None);
        assert_eq!(reads.get("a", &(5..12)), None);
        assert_eq!(reads.get("a", &(38..41)), None);
        assert_eq!(reads.get("b", &(10..20)), None);
    }

    #[test]
    fn keeps_nothing_past_the_budget_or_overlapping() {
        let (reads, pool) = store(25, None);
        offer(&reads, &pool, "a", 10..20);
        offer(&reads, &pool, "a", 15..25);
        offer(&reads, &pool, "a", 5..11);
        offer(&reads, &pool, "a", 0..5);
        assert_eq!(reads.kept_bytes(), 15);
        assert_eq!(reads.get("a", &(15..25)), None);
        assert_eq!(reads.get("a", &(0..5)), Some(bytes(0..5)));
        offer(&reads, &pool, "b", 0..11);
        assert_eq!(reads.kept_bytes(), 15);
        assert_eq!(reads.get("b", &(0..1)), None);
        offer(&reads, &pool, "b", 0..10);
        assert_eq!(reads.kept_bytes(), 25);
        assert_eq!(reads.get("b", &(0..10)), Some(bytes(0..10)));
    }

    #[test]
    fn keeps_what_the_memory_pool_grants_and_gives_it_back() {
        let (reads, pool) = store(1000, Some(100));
        let mut other = pool.reservation("a sort");
        other.try_grow(85).unwrap();
        offer(&reads, &pool, "a", 0..10);
        offer(&reads, &pool, "a", 10..20);
        assert_eq!(reads.kept_bytes(), 10);
        assert_eq!(reads.get("a", &(10..20)), None);
        assert_eq!(pool.reserved(), 95);
        drop(reads);
        assert_eq!(pool.reserved(), 85);
    }
}

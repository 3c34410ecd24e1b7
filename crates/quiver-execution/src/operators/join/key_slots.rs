//! The hash table under a join's key index: each distinct key (or key
//! hash) with the first build row of its chain.
//!
//! Open addressing with linear probing, sized once for the build side's
//! rows, so it never grows. A build side of many rows does not fit the
//! caches; the index fetches the slots of rows a little ahead
//! ([`KeySlots::prefetch`]) so that lookups overlap their memory waits.

use super::build::NO_ROW;
use crate::prefetch::prefetch_read;

/// Keys of type `K` (a key itself, or a hash confirmed by comparing the key
/// columns) to the first row of their chain.
#[derive(Debug)]
pub(crate) struct KeySlots<K> {
    /// A key and its first row, or any key and [`NO_ROW`] for an empty
    /// slot; a power of two long, at most 80% full.
    slots: Vec<(K, u32)>,
    /// The number of keys.
    len: usize,
}

impl<K: Copy + Default> KeySlots<K> {
    /// A table with room for `rows` keys.
    pub(crate) fn with_capacity(rows: usize) -> Self {
        // At most 80% full: linear probing stays short, and the table is
        // no larger than a SIMD-probed one at 7/8 (it rounds up alike).
        let slots = (rows + rows / 4 + 1).next_power_of_two();
        Self {
            slots: vec![(K::default(), NO_ROW); slots],
            len: 0,
        }
    }

    /// Starts loading the slot where a lookup of `hash` begins.
    #[inline]
    pub(crate) fn prefetch(&self, hash: u64) {
        prefetch_read(&self.slots[self.home(hash)]);
    }

    /// The first row of the key hashed to `hash` for which `same(key,
    /// row)` holds, or [`NO_ROW`].
    #[inline]
    pub(crate) fn find(&self, hash: u64, same: impl Fn(K, u32) -> bool) -> u32 {
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        loop {
            let (key, row) = self.slots[at];
            if row == NO_ROW || same(key, row) {
                return row;
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds `key` with first row `row`, unless a key for which `same(key,
    /// first)` holds is there: then returns that key's first row.
    #[inline]
    pub(crate) fn insert(
        &mut self,
        hash: u64,
        key: K,
        row: u32,
        same: impl Fn(K, u32) -> bool,
    ) -> Option<u32> {
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        loop {
            let (stored, first) = self.slots[at];
            if first == NO_ROW {
                assert!(self.len + 1 < self.slots.len(), "a join key table is full");
                self.slots[at] = (key, row);
                self.len += 1;
                return None;
            }
            if same(stored, first) {
                return Some(first);
            }
            at = (at + 1) & mask;
        }
    }

    /// The number of keys.
    pub(crate) fn len(&self) -> usize {
        self.len
    }

    /// The first row of every key.
    pub(crate) fn first_rows(&self) -> impl Iterator<Item = u32> + '_ {
        self.slots
            .iter()
            .map(|&(_, row)| row)
            .filter(|&row| row != NO_ROW)
    }

    /// Replaces each key's first row by `f(first row)`.
    pub(crate) fn move_rows(&mut self, mut f: impl FnMut(u32) -> u32) {
        for (_, row) in &mut self.slots {
            if *row != NO_ROW {
                *row = f(*row);
            }
        }
    }

    /// Bytes held.
    pub(crate) fn memory_size(&self) -> usize {
        self.slots.capacity() * std::mem::size_of::<(K, u32)>()
    }

    /// The slot where a lookup of `hash` begins.
    fn home(&self, hash: u64) -> usize {
        hash as usize & (self.slots.len() - 1)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sharing_a_home_slot_are_each_found() {
        let mut table = KeySlots::<i64>::with_capacity(100);
        // Every key hashes alike: all probe the same run of slots.
        for key in 0..100 {
            assert_eq!(table.insert(3, key, key as u32 * 2, |k, _| k == key), None);
        }
        assert_eq!(table.insert(3, 42, 999, |k, _| k == 42), Some(84));
        assert_eq!(table.len(), 100);
        for key in 0..100 {
            table.prefetch(3);
            assert_eq!(table.find(3, |k, _| k == key), key as u32 * 2);
        }
        assert_eq!(table.find(3, |k, _| k == 100), NO_ROW);
        table.move_rows(|row| row + 1);
        let mut rows: Vec<u32> = table.first_rows().collect();
        rows.sort_unstable();
        assert_eq!(rows, (0..100).map(|k| k * 2 + 1).collect::<Vec<_>>());
    }

    #[test]
    fn an_empty_build_side_finds_nothing() {
        let table = KeySlots::<u64>::with_capacity(0);
        assert_eq!(table.find(12345, |_, _| true), NO_ROW);
        assert_eq!(table.first_rows().count(), 0);
    }
}

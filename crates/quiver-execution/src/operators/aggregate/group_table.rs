//! The hash table of a grouping: finds the group number of a key by its
//! hash, asking the caller whether a candidate group's key is the one
//! sought.
//!
//! Open addressing with linear probing over 8-byte slots, each holding the
//! upper half of a key's hash (a tag that rules most candidates out without
//! looking at their keys) and the group number. A table of many groups does
//! not fit the caches, and a lookup then waits on memory: the caller
//! announces the hashes of rows a little ahead ([`GroupTable::prefetch`]), so
//! that their slots are on their way while the rows before them are
//! numbered.

use crate::prefetch::prefetch_read;

/// A slot no group holds (no group is numbered `u32::MAX`).
const EMPTY: u64 = u64::MAX;

/// The fewest slots of a table that holds any group.
const MIN_SLOTS: usize = 64;

/// Maps key hashes to group numbers, numbered from 0 in order of insertion.
#[derive(Debug, Default)]
pub struct GroupTable {
    /// The tag (hash >> 32) in the upper half and the group in the lower,
    /// or [`EMPTY`]; a power of two long, at most half full.
    slots: Vec<u64>,
    /// Each group's hash, by group number: where it goes when the table
    /// grows.
    hashes: Vec<u64>,
}

/// What [`GroupTable::find_or_insert`] found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lookup {
    /// The key is this existing group's.
    Found(usize),
    /// The key is new and now this group's.
    Inserted(usize),
}

impl GroupTable {
    /// The number of groups.
    pub fn len(&self) -> usize {
        self.hashes.len()
    }

    /// Starts loading the slot where a lookup of `hash` begins into the
    /// caches, without waiting for it.
    #[inline]
    pub fn prefetch(&self, hash: u64) {
        if let Some(slot) = self.slots.get(self.home(hash)) {
            prefetch_read(slot);
        }
    }

    /// The group in the slot where a lookup of `hash` begins, if its tag is
    /// `hash`'s: most likely the key's group, whose stored key a caller may
    /// then fetch ahead of the lookup.
    #[inline]
    pub fn candidate(&self, hash: u64) -> Option<usize> {
        let slot = *self.slots.get(self.home(hash))?;
        (slot != EMPTY && slot >> 32 == hash >> 32).then_some((slot & u64::from(u32::MAX)) as usize)
    }

    /// The group of the key hashed to `hash`: the first group with that
    /// hash for which `same(group)` holds, or else a new group numbered
    /// [`GroupTable::len`].
    #[inline]
    pub fn find_or_insert(&mut self, hash: u64, mut same: impl FnMut(usize) -> bool) -> Lookup {
        if (self.len() + 1) * 2 > self.slots.len() {
            self.grow();
        }
        let tag = hash >> 32;
        let mask = self.slots.len() - 1;
        let mut at = self.home(hash);
        loop {
            let slot = self.slots[at];
            if slot == EMPTY {
                let group = self.hashes.len();
                self.slots[at] = tag << 32 | group_bits(group);
                self.hashes.push(hash);
                return Lookup::Inserted(group);
            }
            if slot >> 32 == tag && same((slot & u64::from(u32::MAX)) as usize) {
                return Lookup::Found((slot & u64::from(u32::MAX)) as usize);
            }
            at = (at + 1) & mask;
        }
    }

    /// Adds a group, numbered [`GroupTable::len`], whose key no group has.
    pub fn insert_new(&mut self, hash: u64) -> usize {
        match self.find_or_insert(hash, |_| false) {
            Lookup::Found(g) | Lookup::Inserted(g) => g,
        }
    }

    /// Forgets every group, keeping the memory.
    pub fn clear(&mut self) {
        self.slots.fill(EMPTY);
        self.hashes.clear();
    }

    /// Memory held, in bytes.
    pub fn size(&self) -> usize {
        (self.slots.capacity() + self.hashes.capacity()) * std::mem::size_of::<u64>()
    }

    /// The slot where a lookup of `hash` begins (0 for an empty table).
    fn home(&self, hash: u64) -> usize {
        hash as usize & self.slots.len().wrapping_sub(1)
    }

    /// Doubles the slots and places every group again.
    fn grow(&mut self) {
        let slots = (self.slots.len() * 2).max(MIN_SLOTS);
        self.slots.clear();
        self.slots.resize(slots, EMPTY);
        let mask = slots - 1;
        for (group, &hash) in self.hashes.iter().enumerate() {
            let mut at = hash as usize & mask;
            while self.slots[at] != EMPTY {
                at = (at + 1) & mask;
            }
            self.slots[at] = (hash >> 32) << 32 | group_bits(group);
        }
    }
}

/// A group number as the lower half of a slot. Groups are numbered below
/// `u32::MAX`: each holds far more than a byte of state, so a grouping
/// reaches the memory limit (and spills, which starts new tables) long
/// before.
fn group_bits(group: usize) -> u64 {
    assert!(group < u32::MAX as usize, "more than 2^32 - 1 groups");
    group as u64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_groups_in_order_of_insertion_and_finds_them_again() {
        let mut table = GroupTable::default();
        let keys: Vec<u64> = (0..10_000).map(|k| k * 7919 % 10_007).collect();
        // A weak hash (many equal tags) still finds every key by `same`.
        let hash = |k: u64| k % 101;
        for (i, &k) in keys.iter().enumerate() {
            let lookup = table.find_or_insert(hash(k), |g| keys[g] == k);
            assert_eq!(lookup, Lookup::Inserted(i));
        }
        assert_eq!(table.len(), keys.len());
        for (i, &k) in keys.iter().enumerate() {
            table.prefetch(hash(k));
            assert_eq!(
                table.find_or_insert(hash(k), |g| keys[g] == k),
                Lookup::Found(i)
            );
        }
        assert!(table.slots.len() >= 2 * keys.len());
    }

    #[test]
    fn a_cleared_table_numbers_from_zero() {
        let mut table = GroupTable::default();
        table.prefetch(5);
        assert_eq!(table.candidate(5), None, "an empty table has no candidate");
        assert_eq!(table.insert_new(5), 0);
        assert_eq!(table.candidate(5), Some(0));
        assert_eq!(table.candidate(5 | 1 << 40), None, "another tag");
        assert_eq!(table.insert_new(5), 1, "insert_new never matches");
        table.clear();
        assert_eq!(table.len(), 0);
        assert_eq!(table.find_or_insert(5, |_| true), Lookup::Inserted(0));
        assert_eq!(table.find_or_insert(5, |g| g == 0), Lookup::Found(0));
    }
}

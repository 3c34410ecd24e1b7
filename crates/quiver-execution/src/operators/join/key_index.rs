//! The index of a join's build keys: from a key to the first build row of
//! the chain of rows with that key.
//!
//! A single integer key (integers of up to 64 bits, dates, timestamps: every
//! join of TPC-H) is stored in the table entry itself, so a lookup touches
//! only the table, not the build side's key column, which for a large build
//! is a second cache miss per probe row. Other keys are indexed by hash and
//! compared column by column.

use arrow::array::{Array, ArrayRef};
use arrow::buffer::{NullBuffer, ScalarBuffer};
use datafusion_common::hash_utils::{create_hashes, RandomState};
use quiver_expr::Result;

use super::build::{any_null, KeyComparator, NO_ROW};
use super::key_slots::KeySlots;
use crate::dynamic_filter::as_i64;
use crate::prefetch::PREFETCH_DISTANCE;

/// The hash seed of join key tables.
const JOIN_HASH_SEED: u64 = 0x4a4f_494e;

/// The random state every join key hash uses.
pub(crate) fn join_hasher() -> RandomState {
    RandomState::with_seed(JOIN_HASH_SEED)
}

/// Keys to the first build row of their chain.
#[derive(Debug)]
pub(crate) enum KeyIndex {
    /// One integer key, stored in the entry.
    Integer(KeySlots<i64>),
    /// Any keys by their hash, confirmed by comparing the key columns.
    Hashed(KeySlots<u64>),
}

/// One integer key column's values as 64-bit integers, with its NULLs.
struct IntegerKeys {
    values: ScalarBuffer<i64>,
    nulls: Option<NullBuffer>,
}

impl IntegerKeys {
    /// `keys` as integers, when they are one column of an integer, date or
    /// timestamp type.
    fn of(keys: &[ArrayRef]) -> Option<Self> {
        let [key] = keys else { return None };
        let ints = as_i64(key)?;
        Some(Self {
            values: ints.values().clone(),
            nulls: key.logical_nulls(),
        })
    }

    fn is_null(&self, row: usize) -> bool {
        self.nulls.as_ref().is_some_and(|n| n.is_null(row))
    }
}

/// The hash of an integer key: a multiply-and-fold, which spreads
/// consecutive keys over both the table's buckets (low bits) and its
/// control bytes (high bits).
fn hash_integer(key: i64) -> u64 {
    let product = u128::from(key as u64) * 0x9e37_79b9_7f4a_7c15;
    (product as u64) ^ ((product >> 64) as u64)
}

impl KeyIndex {
    /// Indexes the rows of `keys` whose keys are not NULL, linking rows with
    /// equal keys into chains through `next` (the first row stays the
    /// head). Also says whether some row has a NULL key.
    pub(crate) fn build(keys: &[ArrayRef], next: &mut [u32]) -> Result<(Self, bool)> {
        let rows = next.len();
        let mut has_null_key = false;
        if let Some(ints) = IntegerKeys::of(keys) {
            let hashes: Vec<u64> = ints.values.iter().map(|&k| hash_integer(k)).collect();
            let mut table = KeySlots::with_capacity(rows);
            for (row, (&key, &hash)) in ints.values.iter().zip(&hashes).enumerate() {
                if let Some(&ahead) = hashes.get(row + PREFETCH_DISTANCE) {
                    table.prefetch(ahead);
                }
                if ints.is_null(row) {
                    has_null_key = true;
                    continue;
                }
                let first = table.insert(hash, key, row as u32, |k, _| k == key);
                link(next, first, row);
            }
            return Ok((Self::Integer(table), has_null_key));
        }
        let mut hashes = vec![0u64; rows];
        create_hashes(keys, &join_hasher(), &mut hashes)?;
        let same = KeyComparator::new(keys, keys)?;
        let mut table = KeySlots::with_capacity(rows);
        for (row, &hash) in hashes.iter().enumerate() {
            if let Some(&ahead) = hashes.get(row + PREFETCH_DISTANCE) {
                table.prefetch(ahead);
            }
            if any_null(keys, row) {
                has_null_key = true;
                continue;
            }
            let first = table.insert(hash, hash, row as u32, |h, first| {
                h == hash && same.equal(first as usize, row)
            });
            link(next, first, row);
        }
        Ok((Self::Hashed(table), has_null_key))
    }

    /// For each row of `probe` keys, the first build row (of `build` keys)
    /// with equal keys, or [`NO_ROW`]; probe rows with a NULL key find
    /// nothing.
    pub(crate) fn lookup(
        &self,
        build: &[ArrayRef],
        probe: &[ArrayRef],
        heads: &mut Vec<u32>,
    ) -> Result<()> {
        match self {
            Self::Integer(table) => {
                let Some(ints) = IntegerKeys::of(probe) else {
                    return Err(quiver_expr::QuiverError::Internal(
                        "an integer join key probed with another type".into(),
                    ));
                };
                let hashes: Vec<u64> = ints.values.iter().map(|&k| hash_integer(k)).collect();
                heads.extend(ints.values.iter().zip(&hashes).enumerate().map(
                    |(row, (&key, &hash))| {
                        if let Some(&ahead) = hashes.get(row + PREFETCH_DISTANCE) {
                            table.prefetch(ahead);
                        }
                        if ints.is_null(row) {
                            NO_ROW
                        } else {
                            table.find(hash, |k, _| k == key)
                        }
                    },
                ));
            }
            Self::Hashed(table) => {
                let rows = probe.first().map_or(0, |k| k.len());
                let mut hashes = vec![0u64; rows];
                create_hashes(probe, &join_hasher(), &mut hashes)?;
                let cmp = KeyComparator::new(probe, build)?;
                heads.extend(hashes.iter().enumerate().map(|(row, &hash)| {
                    if let Some(&ahead) = hashes.get(row + PREFETCH_DISTANCE) {
                        table.prefetch(ahead);
                    }
                    if any_null(probe, row) {
                        NO_ROW
                    } else {
                        table.find(hash, |h, first| h == hash && cmp.equal(row, first as usize))
                    }
                }));
            }
        }
        Ok(())
    }

    /// Replaces each key's first row by `f(first row)`, for build rows
    /// that were moved.
    pub(crate) fn move_heads(&mut self, f: impl FnMut(u32) -> u32) {
        match self {
            Self::Integer(t) => t.move_rows(f),
            Self::Hashed(t) => t.move_rows(f),
        }
    }

    /// The number of distinct keys.
    pub(crate) fn len(&self) -> usize {
        match self {
            Self::Integer(t) => t.len(),
            Self::Hashed(t) => t.len(),
        }
    }

    /// The first row of every distinct key.
    pub(crate) fn first_rows(&self) -> Vec<u32> {
        match self {
            Self::Integer(t) => t.first_rows().collect(),
            Self::Hashed(t) => t.first_rows().collect(),
        }
    }

    /// Approximate bytes held by the table.
    pub(crate) fn memory_size(&self) -> usize {
        match self {
            Self::Integer(t) => t.memory_size(),
            Self::Hashed(t) => t.memory_size(),
        }
    }
}

/// Links build row `row` into its key's chain: in second place after the
/// key's `first` row so that row stays the head, or as the head of a new
/// chain when the key is new (`None`).
fn link(next: &mut [u32], first: Option<u32>, row: usize) {
    if let Some(first) = first {
        let first = first as usize;
        next[row] = next[first];
        next[first] = row as u32;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Date32Array, Int32Array, StringArray};
    use std::sync::Arc;

    /// Each probe row's chain of build rows.
    fn chains(build: Vec<ArrayRef>, probe: Vec<ArrayRef>) -> (Vec<Vec<u32>>, bool) {
        let mut next = vec![NO_ROW; build[0].len()];
        let (index, has_null_key) = KeyIndex::build(&build, &mut next).unwrap();
        let mut heads = vec![];
        index.lookup(&build, &probe, &mut heads).unwrap();
        let chains = heads
            .iter()
            .map(|&head| {
                let mut chain = vec![];
                let mut row = head;
                while row != NO_ROW {
                    chain.push(row);
                    row = next[row as usize];
                }
                chain
            })
            .collect();
        (chains, has_null_key)
    }

    #[test]
    fn integer_and_hashed_keys_find_the_same_chains() {
        let expected = vec![vec![0, 5, 3], vec![], vec![], vec![4]];
        let ints = |v: Vec<Option<i32>>| Arc::new(Int32Array::from(v)) as ArrayRef;
        let build = ints(vec![Some(5), None, Some(7), Some(5), Some(9), Some(5)]);
        let probe = ints(vec![Some(5), Some(6), None, Some(9)]);
        let mut next = vec![NO_ROW; 6];
        let (index, _) = KeyIndex::build(std::slice::from_ref(&build), &mut next).unwrap();
        assert!(matches!(index, KeyIndex::Integer(_)));
        assert_eq!(index.len(), 3);
        assert_eq!(chains(vec![build], vec![probe]), (expected.clone(), true));

        let strings = |v: Vec<Option<&str>>| Arc::new(StringArray::from(v)) as ArrayRef;
        let build = strings(vec![
            Some("5"),
            None,
            Some("7"),
            Some("5"),
            Some("9"),
            Some("5"),
        ]);
        let probe = strings(vec![Some("5"), Some("6"), None, Some("9")]);
        assert_eq!(chains(vec![build], vec![probe]), (expected, true));
    }

    #[test]
    fn dates_are_integer_keys_and_negative_values_work() {
        let dates = |v: Vec<i32>| Arc::new(Date32Array::from(v)) as ArrayRef;
        let (found, has_null_key) = chains(
            vec![dates(vec![-3, 0, 19_000])],
            vec![dates(vec![19_000, -3, 1])],
        );
        assert_eq!(found, vec![vec![2], vec![0], vec![]]);
        assert!(!has_null_key);
    }
}

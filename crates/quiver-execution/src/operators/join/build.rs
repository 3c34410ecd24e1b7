//! The build side of a join: all its rows in one batch, optionally indexed
//! by key, plus which rows the probe side has matched.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

use arrow::array::{make_comparator, Array, ArrayRef, UInt32Array};
use arrow::compute::{take, take_record_batch, SortOptions};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use quiver_expr::Result;

use super::key_index::KeyIndex;
use crate::compaction::concat_compacted;
use crate::memory_pool::{batch_memory_size, MemoryReservation};
use crate::physical_expr::PhysicalExpr;
use crate::stream::SendableRecordBatchStream;

/// Marks the end of a chain of build rows.
pub(crate) const NO_ROW: u32 = u32::MAX;

/// The fewest build rows for which rows with equal keys are made adjacent
/// ([`KeyTable::cluster`]); smaller builds stay in cache anyway.
const CLUSTER_MIN_ROWS: usize = 1 << 16;

/// What a build batch is charged while it is gathered: its rows, and their
/// entries in the key table built from them.
pub(crate) fn build_charge(batch: &RecordBatch) -> usize {
    let per_row = std::mem::size_of::<(u64, u32)>() + std::mem::size_of::<u32>();
    batch_memory_size(batch) + batch.num_rows() * per_row
}

/// Build rows indexed by the hash of their keys. Rows with equal keys form
/// a chain; rows with a NULL key are left out (they never match).
#[derive(Debug)]
pub(crate) struct KeyTable {
    /// The build side's key columns.
    keys: Vec<ArrayRef>,
    /// Each distinct key's first row.
    index: KeyIndex,
    /// The next row with the same key, or [`NO_ROW`].
    next: Vec<u32>,
    /// Whether some build row has a NULL key.
    has_null_key: bool,
}

/// Whether row `row` has a NULL in any of `keys`.
pub(crate) fn any_null(keys: &[ArrayRef], row: usize) -> bool {
    keys.iter().any(|k| k.is_null(row))
}

/// Compares rows of `left` keys with rows of `right` keys.
pub(crate) struct KeyComparator(Vec<arrow::array::DynComparator>);

impl KeyComparator {
    pub(crate) fn new(left: &[ArrayRef], right: &[ArrayRef]) -> Result<Self> {
        let comparators = left
            .iter()
            .zip(right)
            .map(|(l, r)| make_comparator(l.as_ref(), r.as_ref(), SortOptions::default()))
            .collect::<std::result::Result<Vec<_>, _>>()?;
        Ok(Self(comparators))
    }

    pub(crate) fn equal(&self, l: usize, r: usize) -> bool {
        self.0.iter().all(|c| c(l, r).is_eq())
    }
}

impl KeyTable {
    /// Indexes the rows of `keys`.
    pub(crate) fn try_new(keys: Vec<ArrayRef>) -> Result<Self> {
        let rows = keys.first().map_or(0, |k| k.len());
        let mut next = vec![NO_ROW; rows];
        let (index, has_null_key) = KeyIndex::build(&keys, &mut next)?;
        Ok(Self {
            keys,
            index,
            next,
            has_null_key,
        })
    }

    /// Reorders the build rows so that the rows of each key are adjacent,
    /// when many rows share a key: a probe row then walks its key's rows
    /// through consecutive memory rather than one cache miss per row.
    /// Returns the new order (the old row at each position) to apply to
    /// the build batch, or `None` when the order is kept.
    pub(crate) fn cluster(&mut self) -> Result<Option<UInt32Array>> {
        let rows = self.next.len();
        if rows < CLUSTER_MIN_ROWS || self.index.len() * 4 > rows * 3 {
            return Ok(None);
        }
        let old_next = std::mem::take(&mut self.next);
        let mut order: Vec<u32> = Vec::with_capacity(rows);
        let mut next = vec![NO_ROW; rows];
        self.index.move_heads(|head| {
            let start = order.len() as u32;
            let mut row = head;
            while row != NO_ROW {
                order.push(row);
                row = old_next[row as usize];
            }
            let end = order.len() as u32;
            for position in start..end - 1 {
                next[position as usize] = position + 1;
            }
            start
        });
        if order.len() < rows {
            // Rows with a NULL key are in no chain; they go last.
            let mut placed = vec![false; rows];
            for &row in &order {
                placed[row as usize] = true;
            }
            order.extend((0..rows as u32).filter(|&row| !placed[row as usize]));
        }
        self.next = next;
        let order = UInt32Array::from(order);
        self.keys = self
            .keys
            .iter()
            .map(|k| take(k.as_ref(), &order, None))
            .collect::<std::result::Result<_, _>>()?;
        Ok(Some(order))
    }

    /// For each row of `probe` keys, the first build row with equal keys (or
    /// [`NO_ROW`]); probe rows with a NULL key find nothing.
    pub(crate) fn lookup(&self, probe: &[ArrayRef], heads: &mut Vec<u32>) -> Result<()> {
        heads.clear();
        if self.index.len() == 0 {
            let rows = probe.first().map_or(0, |k| k.len());
            heads.resize(rows, NO_ROW);
            return Ok(());
        }
        self.index.lookup(&self.keys, probe, heads)
    }

    /// The build row after `row` with the same key, or [`NO_ROW`].
    pub(crate) fn next(&self, row: u32) -> u32 {
        self.next[row as usize]
    }

    /// The key columns.
    pub(crate) fn keys(&self) -> &[ArrayRef] {
        &self.keys
    }

    /// The number of distinct non-NULL keys.
    pub(crate) fn distinct_count(&self) -> usize {
        self.index.len()
    }

    /// The first row of each distinct key, when there are at most `max`.
    pub(crate) fn distinct_rows(&self, max: usize) -> Option<Vec<u32>> {
        (self.index.len() <= max).then(|| self.index.first_rows())
    }

    /// Whether some build row has a NULL key.
    pub(crate) fn has_null_key(&self) -> bool {
        self.has_null_key
    }
}

/// Everything the probe side needs from the build side.
#[derive(Debug)]
pub(crate) struct BuildSide {
    /// All build rows.
    pub(crate) batch: RecordBatch,
    /// The key index (hash joins only).
    pub(crate) table: Option<KeyTable>,
    /// Which build rows some probe row matched, merged from every probe
    /// partition as it finishes (joins that output build rows only).
    visited: Mutex<Vec<bool>>,
    /// Probe partitions that have not finished yet.
    probes_left: AtomicUsize,
    /// The memory the rows and their index hold, reserved from the pool.
    reservation: MemoryReservation,
}

impl BuildSide {
    /// Reads `input` whole and indexes it by `keys` (none for a nested-loop
    /// join); `probes` probe partitions will report their matches. Fails
    /// with "resources exhausted" if `reservation` cannot grow to hold it.
    pub(crate) async fn collect(
        mut input: SendableRecordBatchStream,
        schema: SchemaRef,
        keys: &[Arc<dyn PhysicalExpr>],
        hashed: bool,
        probes: usize,
        mut reservation: MemoryReservation,
    ) -> Result<Self> {
        let mut batches: Vec<RecordBatch> = vec![];
        while let Some(batch) = input.try_next().await? {
            reservation.try_grow(build_charge(&batch))?;
            batches.push(batch);
        }
        Self::from_batches(&batches, &schema, keys, hashed, probes, reservation)
    }

    /// Indexes `batches` (already charged to `reservation`) by `keys`, as
    /// [`BuildSide::collect`] does.
    pub(crate) fn from_batches(
        batches: &[RecordBatch],
        schema: &SchemaRef,
        keys: &[Arc<dyn PhysicalExpr>],
        hashed: bool,
        probes: usize,
        reservation: MemoryReservation,
    ) -> Result<Self> {
        let mut batch = concat_compacted(schema, batches)?;
        let table = if hashed {
            let key_arrays = keys
                .iter()
                .map(|k| k.evaluate_to_array(&batch))
                .collect::<Result<Vec<_>>>()?;
            let mut table = KeyTable::try_new(key_arrays)?;
            if let Some(order) = table.cluster()? {
                batch = take_record_batch(&batch, &order)?;
            }
            Some(table)
        } else {
            None
        };
        let mut build = Self {
            visited: Mutex::new(vec![]),
            probes_left: AtomicUsize::new(probes),
            batch,
            table,
            reservation,
        };
        let held = build.memory_size();
        build.reservation.try_resize(held)?;
        Ok(build)
    }

    /// Approximate bytes held: the rows, their keys and the hash table.
    pub(crate) fn memory_size(&self) -> usize {
        let table = self.table.as_ref().map_or(0, |t| {
            let keys: usize = t.keys.iter().map(|k| k.get_array_memory_size()).sum();
            keys + t.index.memory_size() + t.next.capacity() * std::mem::size_of::<u32>()
        });
        self.batch.get_array_memory_size() + table
    }

    /// Number of build rows.
    pub(crate) fn num_rows(&self) -> usize {
        self.batch.num_rows()
    }

    /// Merges one probe partition's matched build rows; returns every build
    /// row's matched flag if that was the last partition.
    pub(crate) fn finish_probe(&self, local: &[bool]) -> Option<Vec<bool>> {
        let mut visited = self.visited.lock().unwrap_or_else(|e| e.into_inner());
        if visited.is_empty() {
            visited.resize(self.num_rows(), false);
        }
        for (v, l) in visited.iter_mut().zip(local) {
            *v |= *l;
        }
        if self.probes_left.fetch_sub(1, Ordering::AcqRel) == 1 {
            Some(std::mem::take(&mut *visited))
        } else {
            None
        }
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::{AsArray, StringViewArray, UInt32Array};
    use arrow::compute::take;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::stream::RecordBatchStreamAdapter;

    /// Build rows taken from a large string column (as a join below would
    /// output them) must not keep that column's bytes, or every join above
    /// copies ever longer buffer lists.
    #[tokio::test]
    async fn the_build_side_holds_only_the_bytes_of_its_rows() {
        let large: StringViewArray = (0..100_000)
            .map(|i| Some(format!("a string too long to be inlined, number {i}")))
            .collect();
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8View, true)]));
        let batches: Vec<Result<RecordBatch>> = (0..50u32)
            .map(|i| {
                let rows = take(&large, &UInt32Array::from(vec![i, 50_000 + i]), None)?;
                Ok(RecordBatch::try_new(Arc::clone(&schema), vec![rows])?)
            })
            .collect();
        let input =
            RecordBatchStreamAdapter::boxed(Arc::clone(&schema), futures::stream::iter(batches));
        let reservation = Arc::new(crate::memory_pool::MemoryPool::default()).reservation("build");
        let build = BuildSide::collect(input, schema, &[], false, 1, reservation)
            .await
            .unwrap();
        assert_eq!(build.num_rows(), 100);
        let strings = build.batch.column(0).as_string_view();
        let held: usize = strings.data_buffers().iter().map(|b| b.len()).sum();
        assert!(
            held < 100 * 64,
            "the build side holds {held} bytes of strings"
        );
        assert_eq!(
            strings.value(1),
            "a string too long to be inlined, number 50000"
        );
    }

    /// The rows of each key after clustering are the same rows (by value)
    /// as before, adjacent; rows with a NULL key are kept, last.
    #[test]
    fn clustering_keeps_every_key_with_its_rows_adjacent() {
        use arrow::array::Int64Array;
        let rows = CLUSTER_MIN_ROWS + 1000;
        let values: Int64Array = (0..rows as i64)
            .map(|i| (i % 997 != 0).then_some(i % 1000))
            .collect();
        let keys: Vec<ArrayRef> = vec![Arc::new(values.clone())];
        let mut table = KeyTable::try_new(keys).unwrap();
        let order = table.cluster().unwrap().expect("many rows share a key");
        assert_eq!(order.len(), rows);
        let moved = take(&values, &order, None).unwrap();
        let moved = moved.as_primitive::<arrow::datatypes::Int64Type>();
        let mut heads = vec![];
        let probe: Vec<ArrayRef> = vec![Arc::new(Int64Array::from(vec![5, 999, 1000]))];
        table.lookup(&probe, &mut heads).unwrap();
        for (key, &head) in [5i64, 999].iter().zip(&heads) {
            let mut row = head;
            let mut found = vec![];
            while row != NO_ROW {
                found.push(row);
                row = table.next(row);
            }
            let expected = (0..rows as i64)
                .filter(|i| i % 1000 == *key && i % 997 != 0)
                .count();
            assert_eq!(found.len(), expected);
            assert!(found.iter().all(|&r| moved.value(r as usize) == *key));
            assert!(found.windows(2).all(|w| w[1] == w[0] + 1), "adjacent rows");
        }
        assert_eq!(heads[2], NO_ROW);
        let nulls = (0..rows).filter(|i| i % 997 == 0).count();
        assert!((rows - nulls..rows).all(|r| moved.is_null(r)));
    }
}

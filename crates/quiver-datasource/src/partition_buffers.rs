//! The rows of a partitioned write, gathered per partition before they are
//! written. Each batch of the input holds a few rows of many partitions;
//! written as they come, every file would get thousands of tiny writes.
//! Gathered, a partition's rows go to its file a row group at a time, or
//! earlier (the largest partitions first) when what is gathered passes its
//! budget: a quarter of the memory limit, at most 256 MiB. (Gathered rows
//! are many small batches, which cost the allocator more than their size,
//! so they get a share of the limit rather than all of it.)

use std::collections::HashMap;

use arrow::array::RecordBatch;
use arrow::compute::concat_batches;
use arrow::datatypes::SchemaRef;
use quiver_execution::compaction::compact_for_writing;
use quiver_execution::memory_pool::{batch_memory_size, MemoryReservation};
use quiver_expr::Result;

/// The most bytes gathered over all partitions.
const MAX_GATHERED: usize = 256 << 20;

/// Small batches a partition gathers before they are joined into one: a
/// batch's own structures cost about as much as a few rows of data, and a
/// partition's share of an input batch is often only a few rows.
const SMALL_BATCHES_TO_JOIN: usize = 32;

/// The rows gathered for one partition.
#[derive(Default)]
struct Gathered {
    /// Batches of many rows each, joined from small ones.
    joined: Vec<RecordBatch>,
    /// Batches as they came, up to [`SMALL_BATCHES_TO_JOIN`].
    recent: Vec<RecordBatch>,
    rows: usize,
    bytes: usize,
}

/// Rows gathered per partition directory, held in a memory reservation.
pub(crate) struct PartitionBuffers {
    schema: SchemaRef,
    gathered: HashMap<String, Gathered>,
    /// Rows a partition gathers before they are written: a row group.
    rows_per_write: usize,
    /// Bytes gathered over every partition.
    bytes: usize,
    /// The most bytes that may be gathered.
    budget: usize,
    reservation: MemoryReservation,
}

impl PartitionBuffers {
    /// Empty buffers of batches with `schema`, written `rows_per_write`
    /// rows at a time, held in `reservation`.
    pub(crate) fn new(
        schema: SchemaRef,
        rows_per_write: usize,
        reservation: MemoryReservation,
    ) -> Self {
        Self {
            schema,
            gathered: HashMap::new(),
            rows_per_write: rows_per_write.max(1),
            bytes: 0,
            budget: reservation
                .pool_limit()
                .map_or(MAX_GATHERED, |limit| (limit / 4).min(MAX_GATHERED)),
            reservation,
        }
    }

    /// Gathers `rows` for the partition `dir`; they keep only their own
    /// strings, not the whole input batch's.
    pub(crate) fn push(&mut self, dir: String, rows: RecordBatch) -> Result<()> {
        let rows = compact_for_writing(&rows)?;
        let bytes = batch_memory_size(&rows);
        let gathered = self.gathered.entry(dir).or_default();
        gathered.rows += rows.num_rows();
        gathered.bytes += bytes;
        gathered.recent.push(rows);
        self.bytes += bytes;
        if gathered.recent.len() >= SMALL_BATCHES_TO_JOIN {
            let joined = concat_batches(&self.schema, &gathered.recent)?;
            gathered.recent.clear();
            gathered.joined.push(joined);
        }
        Ok(())
    }

    /// The next rows to write: a partition that has gathered a row group,
    /// or, while what is gathered passes the budget or does not fit the
    /// reservation, the largest partition's rows. None when the rest may
    /// stay.
    pub(crate) fn next_to_write(&mut self) -> Result<Option<(String, RecordBatch)>> {
        let full = self
            .gathered
            .iter()
            .find(|(_, g)| g.rows >= self.rows_per_write)
            .map(|(dir, _)| dir.clone());
        let dir = match full {
            Some(dir) => Some(dir),
            None if self.bytes > self.budget
                || self.reservation.try_resize(self.bytes).is_err() =>
            {
                self.gathered
                    .iter()
                    .max_by_key(|(_, g)| g.bytes)
                    .map(|(dir, _)| dir.clone())
            }
            None => None,
        };
        dir.map(|dir| self.take(dir)).transpose()
    }

    /// Every partition's remaining rows, to write at the end.
    pub(crate) fn drain(&mut self) -> Result<Vec<(String, RecordBatch)>> {
        let dirs: Vec<String> = self.gathered.keys().cloned().collect();
        dirs.into_iter().map(|dir| self.take(dir)).collect()
    }

    /// Removes the rows of `dir` as one batch.
    fn take(&mut self, dir: String) -> Result<(String, RecordBatch)> {
        let gathered = self.gathered.remove(&dir).unwrap_or_default();
        self.bytes -= gathered.bytes;
        let all = gathered.joined.iter().chain(&gathered.recent);
        let rows = concat_batches(&self.schema, all)?;
        self.reservation.shrink(gathered.bytes);
        Ok((dir, rows))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int64Array;
    use arrow::datatypes::{DataType, Field, Schema};
    use quiver_execution::memory_pool::MemoryPool;
    use std::sync::Arc;

    fn rows(n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("v", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from_iter_values(0..n))]).unwrap()
    }

    #[test]
    fn a_partition_is_written_once_it_holds_a_row_group() {
        let pool = Arc::new(MemoryPool::new(None));
        let mut buffers = PartitionBuffers::new(rows(0).schema(), 10, pool.reservation("test"));
        buffers.push("p=1".into(), rows(6)).unwrap();
        buffers.push("p=2".into(), rows(3)).unwrap();
        assert!(buffers.next_to_write().unwrap().is_none());
        buffers.push("p=1".into(), rows(6)).unwrap();
        let (dir, batch) = buffers.next_to_write().unwrap().unwrap();
        assert_eq!((dir.as_str(), batch.num_rows()), ("p=1", 12));
        assert!(buffers.next_to_write().unwrap().is_none());
        let rest = buffers.drain().unwrap();
        assert_eq!(rest.len(), 1);
        assert_eq!(rest[0].1.num_rows(), 3);
        assert_eq!(pool.reserved(), 0);
    }

    #[test]
    fn past_the_limit_the_largest_partitions_are_written_first() {
        let pool = Arc::new(MemoryPool::new(Some(8_000)));
        let mut buffers = PartitionBuffers::new(rows(0).schema(), 1_000, pool.reservation("test"));
        buffers.push("small".into(), rows(10)).unwrap();
        buffers.push("large".into(), rows(300)).unwrap();
        let (dir, batch) = buffers.next_to_write().unwrap().unwrap();
        assert_eq!((dir.as_str(), batch.num_rows()), ("large", 300));
        assert!(buffers.next_to_write().unwrap().is_none());
        assert!(pool.reserved() <= 2_000, "a quarter of the limit");
    }
}

//! Rows split by the hash of their keys into a fixed number of spill files
//! ("buckets"), for operators whose data does not fit in memory: an
//! aggregation's groups, a hash join's two sides. Equal keys always land in
//! the same bucket, so each bucket can later be processed on its own with a
//! fraction of the memory.

use std::path::Path;

use arrow::array::{ArrayRef, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion_common::hash_utils::{create_hashes, RandomState};
use quiver_expr::Result;

use crate::spill::{SpillFile, SpillWriter};

/// How many buckets rows are split into.
pub const FANOUT: usize = 16;

/// The hash seed of buckets at spill depth 0; deeper levels (buckets split
/// again while being processed) add their depth, so that they split a
/// bucket's rows differently from the level above.
const BUCKET_SEED: u64 = 0x5350_494c;

/// [`FANOUT`] open spill files, one per range of key hashes.
pub struct HashBuckets {
    writers: Vec<SpillWriter>,
    hasher: RandomState,
}

impl std::fmt::Debug for HashBuckets {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("HashBuckets").finish_non_exhaustive()
    }
}

impl HashBuckets {
    /// Empty buckets in `directory` for batches of `schema`, split with the
    /// hash of spill level `depth`.
    pub fn create(directory: &Path, schema: &SchemaRef, depth: usize) -> Result<Self> {
        let writers = (0..FANOUT)
            .map(|_| SpillWriter::create(directory, SchemaRef::clone(schema)))
            .collect::<Result<_>>()?;
        Ok(Self {
            writers,
            hasher: RandomState::with_seed(BUCKET_SEED.wrapping_add(depth as u64)),
        })
    }

    /// Appends each row of `batch` to the bucket its `keys` (columns
    /// computed from `batch`) hash to.
    pub fn write(&mut self, batch: &RecordBatch, keys: &[ArrayRef]) -> Result<()> {
        let mut hashes = vec![0u64; batch.num_rows()];
        create_hashes(keys, &self.hasher, &mut hashes)?;
        let mut rows: Vec<Vec<u32>> = vec![vec![]; FANOUT];
        for (row, hash) in hashes.iter().enumerate() {
            rows[(hash >> 32) as usize % FANOUT].push(row as u32);
        }
        for (writer, rows) in self.writers.iter_mut().zip(rows) {
            if !rows.is_empty() {
                writer.write(&take_record_batch(batch, &UInt32Array::from(rows))?)?;
            }
        }
        Ok(())
    }

    /// The completed files of every bucket, in bucket order (some may be
    /// empty).
    pub fn finish(self) -> Result<Vec<SpillFile>> {
        self.writers.into_iter().map(SpillWriter::finish).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use futures::TryStreamExt;
    use std::collections::HashSet;
    use std::sync::Arc;

    #[tokio::test]
    async fn every_key_lands_in_one_bucket_every_time() {
        let schema: SchemaRef = Arc::new(Schema::new(vec![
            Field::new("k", DataType::Int64, true),
            Field::new("count", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from_iter_values(0..1000)),
                Arc::new(Int64Array::from_iter_values(std::iter::repeat_n(1, 1000))),
            ],
        )
        .unwrap();
        let mut buckets = HashBuckets::create(&std::env::temp_dir(), &schema, 0).unwrap();
        buckets.write(&batch, &batch.columns()[..1]).unwrap();
        buckets.write(&batch, &batch.columns()[..1]).unwrap();
        let files = buckets.finish().unwrap();
        assert_eq!(files.len(), FANOUT);
        let used = files.iter().filter(|f| f.rows() > 0).count();
        assert!(used > FANOUT / 2, "keys spread over {used} buckets");
        let mut seen_in_earlier_buckets = HashSet::new();
        for file in files {
            let batches: Vec<RecordBatch> =
                file.into_stream().unwrap().try_collect().await.unwrap();
            let keys: Vec<i64> = batches
                .iter()
                .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
                .collect();
            let distinct: HashSet<i64> = keys.iter().copied().collect();
            assert_eq!(
                keys.len(),
                2 * distinct.len(),
                "both copies of a key together"
            );
            assert!(distinct.is_disjoint(&seen_in_earlier_buckets));
            seen_in_earlier_buckets.extend(distinct);
        }
        assert_eq!(seen_in_earlier_buckets.len(), 1000);
    }
}

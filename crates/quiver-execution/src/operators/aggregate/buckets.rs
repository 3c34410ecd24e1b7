//! Where an aggregation's groups go when its memory runs out: the groups'
//! intermediate states, split by the hash of their keys into a fixed number
//! of spill files ("buckets"). Every group lands in the same bucket each time
//! it is spilled, so each bucket can later be aggregated on its own with a
//! fraction of the memory.

use std::path::Path;

use arrow::array::UInt32Array;
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion_common::hash_utils::{create_hashes, RandomState};
use quiver_expr::Result;

use crate::spill::{SpillFile, SpillWriter};

/// How many buckets one spilling aggregation splits its groups into.
pub(super) const FANOUT: usize = 16;

/// The hash seed of the buckets at spill depth 0; deeper levels (buckets
/// re-spilled while being aggregated) add their depth, so that they split
/// a bucket's groups differently from the level above.
const BUCKET_SEED: u64 = 0x5350_494c;

/// The open bucket files of one spilling aggregation.
pub(super) struct Buckets {
    writers: Vec<SpillWriter>,
    hasher: RandomState,
    group_columns: usize,
}

impl Buckets {
    /// Empty buckets in `directory` for state batches of `schema` whose
    /// first `group_columns` columns are the group keys.
    pub(super) fn create(
        directory: &Path,
        schema: &SchemaRef,
        group_columns: usize,
        depth: usize,
    ) -> Result<Self> {
        let writers = (0..FANOUT)
            .map(|_| SpillWriter::create(directory, SchemaRef::clone(schema)))
            .collect::<Result<_>>()?;
        Ok(Self {
            writers,
            hasher: RandomState::with_seed(BUCKET_SEED.wrapping_add(depth as u64)),
            group_columns,
        })
    }

    /// Appends each row of `states` to the bucket its keys hash to.
    pub(super) fn write(&mut self, states: &RecordBatch) -> Result<()> {
        let mut hashes = vec![0u64; states.num_rows()];
        create_hashes(
            &states.columns()[..self.group_columns],
            &self.hasher,
            &mut hashes,
        )?;
        let mut rows: Vec<Vec<u32>> = vec![vec![]; FANOUT];
        for (row, hash) in hashes.iter().enumerate() {
            rows[(hash >> 32) as usize % FANOUT].push(row as u32);
        }
        for (writer, rows) in self.writers.iter_mut().zip(rows) {
            if !rows.is_empty() {
                writer.write(&take_record_batch(states, &UInt32Array::from(rows))?)?;
            }
        }
        Ok(())
    }

    /// The completed files of the buckets that received rows.
    pub(super) fn finish(self) -> Result<Vec<SpillFile>> {
        self.writers
            .into_iter()
            .filter(|w| w.rows() > 0)
            .map(SpillWriter::finish)
            .collect()
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
        let mut buckets = Buckets::create(&std::env::temp_dir(), &schema, 1, 0).unwrap();
        buckets.write(&batch).unwrap();
        buckets.write(&batch).unwrap();
        let files = buckets.finish().unwrap();
        assert!(
            files.len() > FANOUT / 2,
            "keys spread over {} buckets",
            files.len()
        );
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

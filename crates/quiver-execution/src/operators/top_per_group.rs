//! The first k rows of each window partition found without sorting the
//! input: what a sort below `row_number() <= k` (or `rank()`,
//! `dense_rank()`) needs when it has ORDER BY keys within the partitions.
//!
//! The partition keys are numbered with the aggregation's group table; each
//! partition keeps its best rows so far (by the ORDER BY keys in row
//! format, which compare as bytes), the k best and any that tie with the
//! k-th. A row that cannot enter is dropped at once, so the work is a hash
//! lookup and one comparison for most rows, where a sort of every row would
//! cost O(n log n). When the ORDER BY keys are of fixed width and their row
//! format fits 16 bytes, each partition's k-th key is also kept as an
//! integer that orders as the bytes do, so that the comparison is one load
//! from a dense array instead of a `memcmp` behind two pointers. The
//! batches that hold kept rows are compacted into one when they grow past
//! twice the kept rows; at the end the kept rows are sorted, few as they
//! are.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::compute::interleave_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, SortField};
use quiver_expr::Result;

use super::aggregate::{new_group_values, GroupValues};
use super::first_per_partition::FirstPerPartition;
use super::sort::sort_batch;
use super::PhysicalSortExpr;
use crate::memory_pool::batch_memory_size;

/// A kept row: its ORDER BY keys in row format, and where it is.
struct Kept {
    key: Box<[u8]>,
    batch: u32,
    row: u32,
}

/// The best rows of every partition seen so far.
pub(crate) struct TopPerGroup {
    limit: FirstPerPartition,
    exprs: Vec<PhysicalSortExpr>,
    schema: SchemaRef,
    partitions: Box<dyn GroupValues>,
    order: RowConverter,
    /// Per partition number, its kept rows, best first.
    kept: Vec<Vec<Kept>>,
    /// The length of every ORDER BY key in row format, when it is the same
    /// for every row and at most 16 bytes.
    packed_length: Option<usize>,
    /// Per partition number, its k-th kept key packed ([`pack`]), or
    /// `u128::MAX` while it keeps fewer than k rows; only with
    /// `packed_length`.
    thresholds: Vec<u128>,
    kept_rows: usize,
    /// The batches kept rows point into.
    batches: Vec<RecordBatch>,
    held_rows: usize,
    held_bytes: usize,
    numbers: Vec<usize>,
}

impl TopPerGroup {
    /// For a sort by `exprs` (over `schema`) that keeps `limit`; `None`
    /// when the sort has no keys past the partition keys (then every row of
    /// a partition ties, and all are kept anyway).
    pub(crate) fn try_new(
        limit: FirstPerPartition,
        exprs: &[PhysicalSortExpr],
        schema: SchemaRef,
    ) -> Result<Option<Self>> {
        if limit.keys >= exprs.len() {
            return Ok(None);
        }
        let partition_types: Vec<_> = exprs[..limit.keys]
            .iter()
            .map(|e| e.expr.data_type().clone())
            .collect();
        let order_fields: Vec<SortField> = exprs[limit.keys..]
            .iter()
            .map(|e| SortField::new_with_options(e.expr.data_type().clone(), e.options))
            .collect();
        // A fixed-width value takes a byte for its NULL marker and its own
        // bytes in row format.
        let packed_length = exprs[limit.keys..]
            .iter()
            .map(|e| e.expr.data_type().primitive_width().map(|w| w + 1))
            .sum::<Option<usize>>()
            .filter(|&length| length <= 16);
        Ok(Some(Self {
            limit,
            exprs: exprs.to_vec(),
            schema,
            partitions: new_group_values(&partition_types)?,
            order: RowConverter::new(order_fields)?,
            kept: vec![],
            packed_length,
            thresholds: vec![],
            kept_rows: 0,
            batches: vec![],
            held_rows: 0,
            held_bytes: 0,
            numbers: vec![],
        }))
    }

    /// Memory held: the batches kept rows point into, their keys, and the
    /// partition table.
    pub(crate) fn memory(&self) -> usize {
        self.held_bytes + self.kept_rows * 48 + self.partitions.size()
    }

    /// Takes the rows of `batch` that belong among their partition's best.
    pub(crate) fn push(&mut self, batch: RecordBatch) -> Result<()> {
        let columns = self
            .exprs
            .iter()
            .map(|e| e.expr.evaluate_to_array(&batch))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let (partition_keys, order_keys) = columns.split_at(self.limit.keys);
        if partition_keys.is_empty() {
            self.numbers.clear();
            self.numbers.resize(batch.num_rows(), 0);
        } else {
            self.partitions.intern(partition_keys, &mut self.numbers)?;
        }
        let order = self.order.convert_columns(order_keys)?;
        let id = self.batches.len() as u32;
        let mut used = false;
        let groups = self.numbers.iter().max().map_or(0, |&p| p + 1);
        if groups > self.kept.len() {
            self.kept.resize_with(groups, Vec::new);
            if self.packed_length.is_some() {
                self.thresholds.resize(groups, u128::MAX);
            }
        }
        let k = self.limit.k;
        for row in 0..batch.num_rows() {
            let p = self.numbers[row];
            let key = order.row(row);
            let key = key.as_ref();
            let packed = self
                .packed_length
                .filter(|&length| length == key.len())
                .map(|_| pack(key));
            if packed.is_some_and(|packed| packed > self.thresholds[p]) {
                continue;
            }
            let best = &mut self.kept[p];
            // Packed keys compare without a `memcmp` call.
            let order_of = |kept: &[u8]| match packed {
                Some(packed) => pack(kept).cmp(&packed),
                None => kept.cmp(key),
            };
            if packed.is_none() && best.len() >= k && order_of(&best[k - 1].key).is_lt() {
                continue;
            }
            // After the rows it ties with, so that ties keep arrival order.
            let at = best.partition_point(|r| order_of(&r.key).is_le());
            best.insert(
                at,
                Kept {
                    key: key.into(),
                    batch: id,
                    row: row as u32,
                },
            );
            self.kept_rows += 1;
            // Rows past the k-th go unless they tie with it.
            let same = |a: &[u8], b: &[u8]| match packed {
                Some(_) => pack(a) == pack(b),
                None => a == b,
            };
            while best.len() > k && !same(&best[best.len() - 1].key, &best[k - 1].key) {
                best.pop();
                self.kept_rows -= 1;
            }
            if packed.is_some() && best.len() >= k {
                self.thresholds[p] = pack(&best[k - 1].key);
            }
            used = true;
        }
        if used {
            self.held_rows += batch.num_rows();
            self.held_bytes += batch_memory_size(&batch);
            self.batches.push(batch);
        }
        if self.held_rows > 2 * self.kept_rows.max(8192) {
            self.compact()?;
        }
        Ok(())
    }

    /// Gathers the kept rows into one batch and lets the others go.
    fn compact(&mut self) -> Result<()> {
        let refs: Vec<&RecordBatch> = self.batches.iter().collect();
        let mut places = Vec::with_capacity(self.kept_rows);
        for kept in self.kept.iter_mut() {
            for r in kept.iter_mut() {
                places.push((r.batch as usize, r.row as usize));
                r.batch = 0;
                r.row = (places.len() - 1) as u32;
            }
        }
        let gathered = match refs.is_empty() {
            true => RecordBatch::new_empty(Arc::clone(&self.schema)),
            false => interleave_record_batch(&refs, &places)?,
        };
        self.held_rows = gathered.num_rows();
        self.held_bytes = batch_memory_size(&gathered);
        self.batches = vec![gathered];
        Ok(())
    }

    /// The kept rows, sorted by the sort's keys.
    pub(crate) fn finish(mut self) -> Result<RecordBatch> {
        self.compact()?;
        let kept = self.batches.pop().expect("compacted into one batch");
        sort_batch(&kept, &self.exprs, None)
    }
}

/// A row-format key of at most 16 bytes as an integer; keys of one length
/// compare as integers as they do as bytes.
fn pack(key: &[u8]) -> u128 {
    let mut bytes = [0u8; 16];
    bytes[..key.len()].copy_from_slice(key);
    u128::from_be_bytes(bytes)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical_expr::ColumnExpr;
    use arrow::array::{AsArray, Int64Array};
    use arrow::compute::SortOptions;
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

    #[test]
    fn keeps_the_best_k_of_each_partition_with_ties() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("p", DataType::Int64, true),
            Field::new("v", DataType::Int64, true),
        ]));
        let column = |name: &str, i: usize| -> Arc<dyn crate::physical_expr::PhysicalExpr> {
            Arc::new(ColumnExpr::new(name, i, DataType::Int64))
        };
        let exprs = vec![
            PhysicalSortExpr {
                expr: column("p", 0),
                options: SortOptions::default(),
            },
            PhysicalSortExpr {
                expr: column("v", 1),
                options: SortOptions {
                    descending: true,
                    nulls_first: false,
                },
            },
        ];
        let limit = FirstPerPartition { keys: 1, k: 2 };
        let mut top = TopPerGroup::try_new(limit, &exprs, Arc::clone(&schema))
            .unwrap()
            .unwrap();
        let batch = |p: Vec<Option<i64>>, v: Vec<Option<i64>>| {
            RecordBatch::try_new(
                Arc::clone(&schema),
                vec![Arc::new(Int64Array::from(p)), Arc::new(Int64Array::from(v))],
            )
            .unwrap()
        };
        top.push(batch(
            vec![Some(1), Some(1), Some(2), None, Some(1)],
            vec![Some(5), Some(9), Some(1), Some(3), None],
        ))
        .unwrap();
        top.push(batch(
            vec![Some(1), Some(2), Some(2), Some(1)],
            vec![Some(7), Some(1), Some(0), Some(7)],
        ))
        .unwrap();
        let out = top.finish().unwrap();
        let p = out.column(0).as_primitive::<Int64Type>();
        let v = out.column(1).as_primitive::<Int64Type>();
        let rows: Vec<(Option<i64>, Option<i64>)> = (0..out.num_rows())
            .map(|i| {
                (
                    arrow::array::Array::is_valid(p, i).then(|| p.value(i)),
                    arrow::array::Array::is_valid(v, i).then(|| v.value(i)),
                )
            })
            .collect();
        // Partition 1: 9, then 7 and 7 tie for second; partition 2: 1 and 1;
        // the NULL partition sorts first.
        assert_eq!(
            rows,
            vec![
                (None, Some(3)),
                (Some(1), Some(9)),
                (Some(1), Some(7)),
                (Some(1), Some(7)),
                (Some(2), Some(1)),
                (Some(2), Some(1)),
            ]
        );
    }
}

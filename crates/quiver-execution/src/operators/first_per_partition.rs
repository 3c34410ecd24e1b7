//! Keeping only the first rows of each partition of a sorted batch, with
//! the rows that tie with the last of them: what a sort below a window
//! needs when only `row_number()`, `rank()` or `dense_rank()` up to k are
//! wanted (`QUALIFY rn <= k`, `WHERE rn <= k` over the window). The rows
//! kept from a partition are always a prefix of it in sort order, so the
//! ranks of the rows that pass the filter are computed as over all rows.

use arrow::array::{ArrayRef, BooleanArray};
use arrow::compute::filter_record_batch;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, SortField};
use quiver_expr::Result;

use super::PhysicalSortExpr;

/// The first `k` rows of each partition (rows equal in the first `keys`
/// sort keys), and the rows that equal the `k`th in every sort key.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FirstPerPartition {
    /// How many of the sort keys (the leading ones) are partition keys.
    pub keys: usize,
    /// How many rows of each partition are wanted (at least 1).
    pub k: usize,
}

impl FirstPerPartition {
    /// The rows of `sorted` (sorted by `exprs`) that are kept.
    pub fn prune(&self, sorted: RecordBatch, exprs: &[PhysicalSortExpr]) -> Result<RecordBatch> {
        let columns = exprs
            .iter()
            .map(|e| e.expr.evaluate_to_array(&sorted))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let encode = |columns: &[ArrayRef]| {
            let fields = columns
                .iter()
                .map(|c| SortField::new(c.data_type().clone()))
                .collect();
            RowConverter::new(fields)?.convert_columns(columns)
        };
        // Without partition keys, all rows are one partition.
        let partitions = (self.keys > 0)
            .then(|| encode(&columns[..self.keys]))
            .transpose()?;
        let whole = encode(&columns)?;
        let mut keep = Vec::with_capacity(sorted.num_rows());
        let (mut start, mut last_kept) = (0, 0);
        for r in 0..sorted.num_rows() {
            let new_partition = partitions
                .as_ref()
                .is_some_and(|p| r > 0 && p.row(r) != p.row(r - 1));
            if new_partition {
                start = r;
            }
            let kept = r - start < self.k || whole.row(r) == whole.row(last_kept);
            if kept {
                last_kept = r;
            }
            keep.push(kept);
        }
        Ok(filter_record_batch(&sorted, &BooleanArray::from(keep))?)
    }
}

impl std::fmt::Display for FirstPerPartition {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "first {} per partition of {} keys, with ties",
            self.k, self.keys
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical_expr::ColumnExpr;
    use arrow::array::{AsArray, Int64Array};
    use arrow::compute::SortOptions;
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use std::sync::Arc;

    #[test]
    fn keeps_a_prefix_of_each_partition_with_the_ties_of_its_last_row() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("p", DataType::Int64, false),
            Field::new("o", DataType::Int64, false),
        ]));
        let batch = RecordBatch::try_new(
            schema,
            vec![
                Arc::new(Int64Array::from(vec![1, 1, 1, 1, 2, 2, 3])),
                Arc::new(Int64Array::from(vec![1, 2, 2, 3, 5, 6, 7])),
            ],
        )
        .unwrap();
        let key = |name: &str, i: usize| PhysicalSortExpr {
            expr: Arc::new(ColumnExpr::new(name, i, DataType::Int64)),
            options: SortOptions::default(),
        };
        let exprs = [key("p", 0), key("o", 1)];
        let kept = FirstPerPartition { keys: 1, k: 2 }
            .prune(batch, &exprs)
            .unwrap();
        let o: Vec<i64> = kept.column(1).as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(o, vec![1, 2, 2, 5, 6, 7]);
        // Without partition keys, the first rows of all.
        let whole = FirstPerPartition { keys: 0, k: 1 }
            .prune(kept, &exprs)
            .unwrap();
        assert_eq!(whole.num_rows(), 1);
    }
}

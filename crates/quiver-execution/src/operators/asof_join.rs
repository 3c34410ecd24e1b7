//! `ASOF JOIN`: each left row meets the one right row with equal keys whose
//! time is nearest to the left row's on the side the comparison allows
//! (for `l.t >= r.t`, the latest right row at or before `l.t`).
//!
//! The right side is built per partition (both inputs are partitioned by
//! the equality keys, so a key's rows are in one partition): its keys and
//! times in Arrow's row format, its rows sorted by key, then time. Left
//! batches stream through; each row finds its key's run of right rows and
//! binary-searches it. Time O((n + m) log m); the right side is held, and
//! charged to the memory pool.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{concat_batches, take};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::row::{OwnedRow, RowConverter, Rows, SortField};
use futures::{StreamExt, TryStreamExt};
use quiver_expr::logical_plan::AsofComparison;
use quiver_expr::{internal_err, Result};

use crate::memory_pool::MemoryReservation;
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// An as-of join of two inputs with the same partitioning.
#[derive(Debug, Clone)]
pub struct AsofJoinExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    /// Equality keys: (over left, over right).
    keys: Vec<(Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>)>,
    /// The times compared: (over left, over right), of one type.
    times: (Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>),
    comparison: AsofComparison,
    /// Left rows without a match are kept, with NULL right columns.
    keep_unmatched: bool,
    schema: SchemaRef,
    id: NodeId,
}

impl AsofJoinExec {
    /// The join of `left` and `right` (partitioned alike by `keys`):
    /// output columns are the left's, then the right's.
    pub fn new(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        keys: Vec<(Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>)>,
        times: (Arc<dyn PhysicalExpr>, Arc<dyn PhysicalExpr>),
        comparison: AsofComparison,
        keep_unmatched: bool,
        schema: SchemaRef,
    ) -> Self {
        Self {
            left,
            right,
            keys,
            times,
            comparison,
            keep_unmatched,
            schema,
            id: NodeId::next(),
        }
    }
}

/// The right side of one partition, ready for lookups.
struct Built {
    /// All right rows, in one batch.
    batch: RecordBatch,
    /// Right row numbers sorted by key, then time; rows with a NULL key or
    /// time are left out (they never match).
    order: Vec<u32>,
    /// Each key's run in `order`.
    runs: HashMap<OwnedRow, (usize, usize)>,
    /// The right times in row format, by right row number.
    times: Rows,
    key_converter: RowConverter,
    time_converter: RowConverter,
    /// Holds the memory the built side takes.
    _reservation: MemoryReservation,
}

/// Evaluates `exprs` over `batch` into row format with `converter`, and
/// which rows have a NULL in any of them. Without expressions, every row
/// gets the same (empty) row.
fn to_rows(
    converter: &RowConverter,
    exprs: &[&Arc<dyn PhysicalExpr>],
    batch: &RecordBatch,
) -> Result<(Rows, Vec<bool>)> {
    if exprs.is_empty() {
        // The converter has one NULL-typed field for this case.
        let constant: ArrayRef = Arc::new(arrow::array::NullArray::new(batch.num_rows()));
        return Ok((
            converter.convert_columns(&[constant])?,
            vec![false; batch.num_rows()],
        ));
    }
    let columns: Vec<ArrayRef> = exprs
        .iter()
        .map(|e| e.evaluate_to_array(batch))
        .collect::<Result<_>>()?;
    let mut has_null = vec![false; batch.num_rows()];
    for column in &columns {
        if let Some(nulls) = column.logical_nulls() {
            for (row, flag) in has_null.iter_mut().enumerate() {
                *flag |= nulls.is_null(row);
            }
        }
    }
    Ok((converter.convert_columns(&columns)?, has_null))
}

impl AsofJoinExec {
    fn converters(&self) -> Result<(RowConverter, RowConverter)> {
        let mut keys: Vec<SortField> = self
            .keys
            .iter()
            .map(|(_, r)| SortField::new(r.data_type().clone()))
            .collect();
        if keys.is_empty() {
            // Without keys every row has the same, empty key.
            keys.push(SortField::new(DataType::Null));
        }
        let time = SortField::new(self.times.1.data_type().clone());
        Ok((RowConverter::new(keys)?, RowConverter::new(vec![time])?))
    }

    /// Collects and indexes the right side of a partition.
    async fn build(
        &self,
        mut right: SendableRecordBatchStream,
        mut reservation: MemoryReservation,
    ) -> Result<Built> {
        let mut batches = vec![];
        while let Some(batch) = right.try_next().await? {
            reservation.try_grow(batch.get_array_memory_size())?;
            batches.push(batch);
            // Let cancellation (a dropped stream) take effect between batches.
            tokio::task::yield_now().await;
        }
        let batch = concat_batches(&self.right.schema(), &batches)?;
        drop(batches);
        let (key_converter, time_converter) = self.converters()?;
        let key_exprs: Vec<_> = self.keys.iter().map(|(_, r)| r).collect();
        let (keys, null_keys) = to_rows(&key_converter, &key_exprs, &batch)?;
        let (times, null_times) = to_rows(&time_converter, &[&self.times.1], &batch)?;
        reservation.try_grow(keys.size() + times.size() + batch.num_rows() * 8)?;
        let mut order: Vec<u32> = (0..batch.num_rows() as u32)
            .filter(|&i| !null_keys[i as usize] && !null_times[i as usize])
            .collect();
        order.sort_unstable_by(|&a, &b| {
            let (a, b) = (a as usize, b as usize);
            keys.row(a)
                .cmp(&keys.row(b))
                .then_with(|| times.row(a).cmp(&times.row(b)))
        });
        let mut runs: HashMap<OwnedRow, (usize, usize)> = HashMap::new();
        let mut start = 0;
        while start < order.len() {
            let key = keys.row(order[start] as usize);
            let mut end = start + 1;
            while end < order.len() && keys.row(order[end] as usize) == key {
                end += 1;
            }
            runs.insert(key.owned(), (start, end));
            start = end;
        }
        reservation
            .try_grow(runs.len() * (std::mem::size_of::<(OwnedRow, (usize, usize))>() + 16))?;
        Ok(Built {
            batch,
            order,
            runs,
            times,
            key_converter,
            time_converter,
            _reservation: reservation,
        })
    }

    /// Joins one left batch against the built right side.
    fn probe(&self, built: &Built, left: &RecordBatch) -> Result<RecordBatch> {
        let key_exprs: Vec<_> = self.keys.iter().map(|(l, _)| l).collect();
        let (keys, null_keys) = to_rows(&built.key_converter, &key_exprs, left)?;
        let (times, null_times) = to_rows(&built.time_converter, &[&self.times.0], left)?;
        let mut left_rows: Vec<u32> = Vec::with_capacity(left.num_rows());
        let mut right_rows: Vec<Option<u32>> = Vec::with_capacity(left.num_rows());
        for row in 0..left.num_rows() {
            let found = if null_keys[row] || null_times[row] {
                None
            } else {
                let run = built.runs.get(&keys.row(row).owned());
                run.and_then(|&(start, end)| {
                    let candidates = &built.order[start..end];
                    let time = times.row(row);
                    // The first candidate whose time is past `time` (for
                    // `>=` and `<`), or at or past it (for `>` and `<=`).
                    let inclusive_below = matches!(
                        self.comparison,
                        AsofComparison::GreaterEq | AsofComparison::Less
                    );
                    let split = candidates.partition_point(|&c| {
                        let t = built.times.row(c as usize);
                        if inclusive_below {
                            t <= time
                        } else {
                            t < time
                        }
                    });
                    let pick = match self.comparison {
                        AsofComparison::GreaterEq | AsofComparison::Greater => split.checked_sub(1),
                        AsofComparison::LessEq | AsofComparison::Less => {
                            (split < candidates.len()).then_some(split)
                        }
                    };
                    pick.map(|i| candidates[i])
                })
            };
            if found.is_some() || self.keep_unmatched {
                left_rows.push(row as u32);
                right_rows.push(found);
            }
        }
        let left_indices = UInt32Array::from(left_rows);
        let right_indices = UInt32Array::from(right_rows);
        let mut columns: Vec<ArrayRef> = left
            .columns()
            .iter()
            .map(|c| take(c.as_ref(), &left_indices, None))
            .collect::<std::result::Result<_, _>>()?;
        for column in built.batch.columns() {
            columns.push(take(column.as_ref(), &right_indices, None)?);
        }
        Ok(RecordBatch::try_new(Arc::clone(&self.schema), columns)?)
    }
}

impl ExecutionPlan for AsofJoinExec {
    crate::node_basics!(left, right);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }
    fn output_partitions(&self) -> usize {
        self.left.output_partitions()
    }
    fn details(&self) -> String {
        let kind = if self.keep_unmatched { "LEFT" } else { "INNER" };
        format!(
            "{kind}, keys={}, time {}",
            self.keys.len(),
            self.comparison.symbol()
        )
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if self.right.output_partitions() != self.left.output_partitions() {
            return internal_err!(
                "AsofJoinExec inputs have {} and {} partitions",
                self.left.output_partitions(),
                self.right.output_partitions()
            );
        }
        let right = self.right.execute(partition, Arc::clone(&ctx))?;
        let reservation = ctx.reservation(self.name(), partition);
        let left = self.left.execute(partition, ctx)?;
        let this = self.clone();
        let stream = futures::stream::once(async move {
            let built = this.build(right, reservation).await?;
            Ok::<_, quiver_expr::QuiverError>((this, built, left))
        })
        .map_ok(|(this, built, left)| {
            left.map(move |batch| batch.and_then(|b| this.probe(&built, &b)))
        })
        .try_flatten()
        .try_filter(|b| futures::future::ready(b.num_rows() > 0));
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream))
    }
}

//! `ASOF JOIN`: each left row meets the one right row with equal keys whose
//! time is nearest to the left row's on the side the comparison allows
//! (for `l.t >= r.t`, the latest right row at or before `l.t`).
//!
//! The right side is built per partition (both inputs are partitioned by
//! the equality keys, so a key's rows are in one partition): its rows are
//! grouped by key (in Arrow's row format) and each group sorted by time
//! (as integers that order as the times do). Left batches stream through;
//! each row finds its key's run and binary-searches its times. Time
//! O((n + m) log m); the right side is held, and charged to the memory pool.

use hashbrown::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, RecordBatch, UInt32Array};
use arrow::compute::{cast, concat_batches, take};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::row::{RowConverter, Rows, SortField};
use futures::{StreamExt, TryStreamExt};
use quiver_expr::logical_plan::AsofComparison;
use quiver_expr::{internal_err, Result};

use crate::memory_pool::MemoryReservation;
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// How many left batches are joined together.
const PROBE_BATCHES: usize = 16;

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
    /// Right row numbers grouped by key, each group sorted by time; rows
    /// with a NULL key or time are left out (they never match).
    order: Vec<u32>,
    /// The times of `order`'s rows, beside them.
    times: Vec<i128>,
    /// Each key's run in `order`, by the key in row format.
    runs: HashMap<Box<[u8]>, (usize, usize)>,
    key_converter: RowConverter,
    /// Holds the memory the built side takes.
    _reservation: MemoryReservation,
}

/// The times of `column` as integers that order as the values do (NULL as
/// None): integers, dates, times and timestamps by their value, decimals
/// by their unscaled value (both sides have one scale), floats by an
/// order-preserving mapping of their bits.
fn time_keys(column: &ArrayRef) -> Result<Vec<Option<i128>>> {
    use arrow::array::{Array, AsArray};
    use arrow::datatypes::{Decimal128Type, Float64Type, Int64Type, UInt64Type};
    let keys = match column.data_type() {
        DataType::Float16 | DataType::Float32 | DataType::Float64 => {
            let floats = cast(column, &DataType::Float64)?;
            floats
                .as_primitive::<Float64Type>()
                .iter()
                .map(|v| {
                    v.map(|f| {
                        let bits = f.to_bits() as i64;
                        i128::from(bits ^ ((((bits >> 63) as u64) >> 1) as i64))
                    })
                })
                .collect()
        }
        DataType::Decimal128(_, _) => column.as_primitive::<Decimal128Type>().iter().collect(),
        DataType::UInt64 => column
            .as_primitive::<UInt64Type>()
            .iter()
            .map(|v| v.map(i128::from))
            .collect(),
        other if other.is_integer() || other.is_temporal() => {
            let integers = cast(column, &DataType::Int64)?;
            integers
                .as_primitive::<Int64Type>()
                .iter()
                .map(|v| v.map(i128::from))
                .collect()
        }
        other => {
            return internal_err!("ASOF JOIN times of type {other}");
        }
    };
    Ok(keys)
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
    fn key_converter(&self) -> Result<RowConverter> {
        let mut keys: Vec<SortField> = self
            .keys
            .iter()
            .map(|(_, r)| SortField::new(r.data_type().clone()))
            .collect();
        if keys.is_empty() {
            // Without keys every row has the same, empty key.
            keys.push(SortField::new(DataType::Null));
        }
        Ok(RowConverter::new(keys)?)
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
        let key_converter = self.key_converter()?;
        let key_exprs: Vec<_> = self.keys.iter().map(|(_, r)| r).collect();
        let (keys, null_keys) = to_rows(&key_converter, &key_exprs, &batch)?;
        let times = time_keys(&self.times.1.evaluate_to_array(&batch)?)?;
        reservation.try_grow(keys.size() + batch.num_rows() * 40)?;
        let mut groups: HashMap<Box<[u8]>, Vec<(i128, u32)>> = HashMap::new();
        for (row, time) in times.iter().enumerate() {
            let Some(time) = *time else {
                continue;
            };
            if null_keys[row] {
                continue;
            }
            let key = keys.row(row);
            let entry = (time, row as u32);
            match groups.get_mut(key.as_ref()) {
                Some(group) => group.push(entry),
                None => {
                    groups.insert(key.as_ref().into(), vec![entry]);
                }
            }
        }
        drop(keys);
        let mut order = Vec::with_capacity(batch.num_rows());
        let mut sorted_times = Vec::with_capacity(batch.num_rows());
        let mut runs = HashMap::with_capacity(groups.len());
        for (key, mut group) in groups {
            group.sort_unstable();
            let start = order.len();
            for (time, row) in group {
                sorted_times.push(time);
                order.push(row);
            }
            runs.insert(key, (start, order.len()));
        }
        Ok(Built {
            batch,
            order,
            times: sorted_times,
            runs,
            key_converter,
            _reservation: reservation,
        })
    }

    /// Joins one left batch against the built right side.
    fn probe(&self, built: &Built, left: &RecordBatch) -> Result<RecordBatch> {
        let key_exprs: Vec<_> = self.keys.iter().map(|(l, _)| l).collect();
        let (keys, null_keys) = to_rows(&built.key_converter, &key_exprs, left)?;
        let times = time_keys(&self.times.0.evaluate_to_array(left)?)?;
        // Whether a right time equal to the left one is on the allowed side
        // (the search splits the run after such times, or before them).
        let inclusive_below = matches!(
            self.comparison,
            AsofComparison::GreaterEq | AsofComparison::Less
        );
        let mut left_rows: Vec<u32> = Vec::with_capacity(left.num_rows());
        let mut right_rows: Vec<Option<u32>> = Vec::with_capacity(left.num_rows());
        // Each row's run of right rows; then the rows in run order, so that
        // the searches of one run follow each other while it is in cache.
        let mut lookups: Vec<(usize, usize, u32, i128)> = Vec::with_capacity(left.num_rows());
        for (row, time) in times.iter().enumerate() {
            let run = match time {
                Some(time) if !null_keys[row] => built
                    .runs
                    .get(keys.row(row).as_ref())
                    .map(|&(start, end)| (start, end, *time)),
                _ => None,
            };
            match run {
                Some((start, end, time)) => lookups.push((start, end, row as u32, time)),
                None if self.keep_unmatched => {
                    left_rows.push(row as u32);
                    right_rows.push(None);
                }
                None => {}
            }
        }
        lookups.sort_unstable_by_key(|&(start, _, row, _)| (start, row));
        for (start, end, row, time) in lookups {
            let run = &built.times[start..end];
            let split = if inclusive_below {
                run.partition_point(|&t| t <= time)
            } else {
                run.partition_point(|&t| t < time)
            };
            let pick = match self.comparison {
                AsofComparison::GreaterEq | AsofComparison::Greater => split.checked_sub(1),
                AsofComparison::LessEq | AsofComparison::Less => {
                    (split < run.len()).then_some(split)
                }
            };
            let found = pick.map(|i| built.order[start + i]);
            if found.is_some() || self.keep_unmatched {
                left_rows.push(row);
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
            // Left rows are joined several batches at a time: the more rows
            // of one key a search pass meets, the more of them find their
            // run in cache.
            let schema = this.left.schema();
            left.try_chunks(PROBE_BATCHES).map(move |chunk| {
                let chunk = chunk.map_err(|e| e.1)?;
                let batch = concat_batches(&schema, &chunk)?;
                this.probe(&built, &batch)
            })
        })
        .try_flatten()
        .try_filter(|b| futures::future::ready(b.num_rows() > 0));
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream))
    }
}

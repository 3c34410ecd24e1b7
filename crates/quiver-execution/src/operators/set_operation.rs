//! `INTERSECT [ALL]` and `EXCEPT [ALL]`, by counting the right input's rows.

use std::collections::HashMap;
use std::sync::Arc;

use arrow::array::{ArrayRef, BooleanArray, RecordBatch};
use arrow::compute::filter_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::row::{OwnedRow, RowConverter, SortField};
use futures::{StreamExt, TryStreamExt};
use quiver_expr::logical_plan::SetOperator;
use quiver_expr::Result;

use crate::memory_pool::MemoryReservation;
use crate::operators::coalesce::CoalescePartitionsExec;
use crate::physical_expr::canonical_floats;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Reads the right input into a multiset of rows (NULLs compare equal),
/// then streams the left input, keeping each row as the operator says:
/// INTERSECT keeps rows the right side still has a copy of (ALL) or has at
/// all (each once); EXCEPT keeps the rest.
#[derive(Debug, Clone)]
pub struct SetOperationExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    op: SetOperator,
    all: bool,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl SetOperationExec {
    /// `left op [ALL] right`; the inputs have the same column types.
    pub fn new(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        op: SetOperator,
        all: bool,
    ) -> Self {
        Self {
            id: NodeId::next(),
            left,
            right,
            op,
            all,
        }
    }
}

/// The per-row decision, given the right side's remaining counts.
struct Counter {
    op: SetOperator,
    all: bool,
    right: HashMap<OwnedRow, usize>,
    /// The memory of the right side's rows and of the rows output (for
    /// the variants without `ALL`), reserved from the pool.
    reservation: MemoryReservation,
    /// Rows already output (distinct variants).
    emitted: std::collections::HashSet<OwnedRow>,
}

impl Counter {
    fn keep(&mut self, row: OwnedRow) -> Result<bool> {
        let remaining = self.right.get_mut(&row);
        Ok(match (self.op, self.all) {
            (SetOperator::Intersect, true) => match remaining {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    true
                }
                _ => false,
            },
            (SetOperator::Except, true) => match remaining {
                Some(n) if *n > 0 => {
                    *n -= 1;
                    false
                }
                _ => true,
            },
            (SetOperator::Intersect, false) => remaining.is_some() && self.first_output(row)?,
            (SetOperator::Except, false) => remaining.is_none() && self.first_output(row)?,
        })
    }

    /// Whether `row` is output for the first time; holding it is charged
    /// to the reservation.
    fn first_output(&mut self, row: OwnedRow) -> Result<bool> {
        if self.emitted.contains(&row) {
            return Ok(false);
        }
        let entry = std::mem::size_of::<OwnedRow>() + row.as_ref().len();
        self.reservation.try_grow(entry)?;
        self.emitted.insert(row);
        Ok(true)
    }
}

/// `batch`'s columns with floats made canonical, so that rows compare as
/// SQL says (`-0.0` equals `0.0`).
fn canonical_columns(batch: &RecordBatch) -> Vec<ArrayRef> {
    batch
        .columns()
        .iter()
        .map(|c| canonical_floats(Arc::clone(c)))
        .collect()
}

impl ExecutionPlan for SetOperationExec {
    crate::node_basics!(left, right);
    fn schema(&self) -> SchemaRef {
        self.left.schema()
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }
    fn output_partitions(&self) -> usize {
        1
    }
    fn details(&self) -> String {
        format!("{:?}{}", self.op, if self.all { " ALL" } else { "" })
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        crate::plan::only_partition(self, partition)?;
        let schema = self.schema();
        let fields = schema
            .fields()
            .iter()
            .map(|f| SortField::new(f.data_type().clone()))
            .collect();
        let converter = RowConverter::new(fields)?;
        let right =
            CoalescePartitionsExec::new(Arc::clone(&self.right)).execute(0, Arc::clone(&ctx))?;
        let mut reservation = ctx.reservation(self.name(), partition);
        let left = CoalescePartitionsExec::new(Arc::clone(&self.left)).execute(0, ctx)?;
        let (op, all) = (self.op, self.all);
        let stream = futures::stream::once(async move {
            let mut right = right;
            let mut counts: HashMap<OwnedRow, usize> = HashMap::new();
            // Each distinct row is held once, with its count.
            let entry = std::mem::size_of::<(OwnedRow, usize)>();
            while let Some(batch) = right.try_next().await? {
                let rows = converter.convert_columns(&canonical_columns(&batch))?;
                reservation.try_grow(rows.size() + rows.num_rows() * entry)?;
                for row in rows.iter() {
                    *counts.entry(row.owned()).or_default() += 1;
                }
                // Let cancellation (a dropped stream) take effect between batches.
                tokio::task::yield_now().await;
            }
            let counter = Counter {
                op,
                all,
                right: counts,
                emitted: Default::default(),
                reservation,
            };
            Ok::<_, quiver_expr::QuiverError>((counter, converter, left))
        })
        .map_ok(|(counter, converter, left)| {
            let state = (counter, converter);
            left.scan(state, |(counter, converter), batch| {
                let out = batch.and_then(|b| {
                    let rows = converter.convert_columns(&canonical_columns(&b))?;
                    let keep = rows
                        .iter()
                        .map(|r| counter.keep(r.owned()).map(Some))
                        .collect::<Result<BooleanArray>>()?;
                    Ok(filter_record_batch(&b, &keep)?)
                });
                futures::future::ready(Some(out))
            })
        })
        .try_flatten()
        .try_filter(|b| futures::future::ready(b.num_rows() > 0));
        Ok(RecordBatchStreamAdapter::boxed(schema, stream))
    }
}

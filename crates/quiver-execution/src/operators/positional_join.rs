//! `POSITIONAL JOIN`: the n-th row of the left input beside the n-th row
//! of the right, the shorter input padded with NULLs. Each input is read
//! partition after partition, so a plan whose partitions hold consecutive
//! runs of rows (a scan planned with one partition, a sort) gives its rows
//! in order.

use std::sync::Arc;

use arrow::array::{new_null_array, ArrayRef};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::stream::{self, StreamExt};
use quiver_expr::Result;

use crate::metrics::execute_child;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Pairs the rows of two inputs by position (one output partition).
#[derive(Debug, Clone)]
pub struct PositionalJoinExec {
    left: Arc<dyn ExecutionPlan>,
    right: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl PositionalJoinExec {
    /// `left POSITIONAL JOIN right`, producing `schema` (the left columns,
    /// then the right, all nullable).
    pub fn new(
        left: Arc<dyn ExecutionPlan>,
        right: Arc<dyn ExecutionPlan>,
        schema: SchemaRef,
    ) -> Self {
        Self {
            left,
            right,
            schema,
            id: NodeId::next(),
        }
    }
}

/// Every partition of `input`, one after the other.
fn in_order(
    input: &Arc<dyn ExecutionPlan>,
    ctx: &Arc<TaskContext>,
) -> Result<stream::BoxStream<'static, Result<RecordBatch>>> {
    let partitions = (0..input.output_partitions())
        .map(|p| execute_child(input, p, Arc::clone(ctx)))
        .collect::<Result<Vec<_>>>()?;
    Ok(stream::iter(partitions).flatten().boxed())
}

/// One input as it is read: the batch being paired and how far.
struct Side {
    batches: stream::BoxStream<'static, Result<RecordBatch>>,
    current: Option<RecordBatch>,
    offset: usize,
    done: bool,
    schema: SchemaRef,
}

impl Side {
    /// How many rows of the current batch are left, after reading the
    /// next non-empty batch if needed; zero when the input is done.
    async fn remaining(&mut self) -> Result<usize> {
        loop {
            if let Some(batch) = &self.current {
                if self.offset < batch.num_rows() {
                    return Ok(batch.num_rows() - self.offset);
                }
            }
            if self.done {
                return Ok(0);
            }
            match self.batches.next().await {
                Some(batch) => {
                    self.current = Some(batch?);
                    self.offset = 0;
                }
                None => {
                    self.current = None;
                    self.done = true;
                }
            }
        }
    }

    /// The next `rows` rows' columns (NULLs once the input is done).
    fn take(&mut self, rows: usize) -> Vec<ArrayRef> {
        match &self.current {
            Some(batch) if !self.done => {
                let columns = batch.slice(self.offset, rows).columns().to_vec();
                self.offset += rows;
                columns
            }
            _ => self
                .schema
                .fields()
                .iter()
                .map(|f| new_null_array(f.data_type(), rows))
                .collect(),
        }
    }
}

/// The next output batch, or `None` when both inputs are done.
async fn next_pair(
    (mut left, mut right, schema): (Side, Side, SchemaRef),
) -> Option<(Result<RecordBatch>, (Side, Side, SchemaRef))> {
    let counts = async {
        Ok::<_, quiver_expr::QuiverError>((left.remaining().await?, right.remaining().await?))
    };
    let rows = match counts.await {
        Ok((0, 0)) => return None,
        Ok((l, 0)) => l,
        Ok((0, r)) => r,
        Ok((l, r)) => l.min(r),
        Err(e) => {
            left.done = true;
            right.done = true;
            left.current = None;
            right.current = None;
            return Some((Err(e), (left, right, schema)));
        }
    };
    let mut columns = left.take(rows);
    columns.extend(right.take(rows));
    let batch = RecordBatch::try_new(Arc::clone(&schema), columns).map_err(Into::into);
    Some((batch, (left, right, schema)))
}

impl ExecutionPlan for PositionalJoinExec {
    crate::node_basics!(left, right);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.left, &self.right]
    }
    fn output_partitions(&self) -> usize {
        1
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        crate::plan::only_partition(self, partition)?;
        let side = |input: &Arc<dyn ExecutionPlan>| -> Result<Side> {
            Ok(Side {
                batches: in_order(input, &ctx)?,
                current: None,
                offset: 0,
                done: false,
                schema: input.schema(),
            })
        };
        let state = (side(&self.left)?, side(&self.right)?, self.schema());
        Ok(RecordBatchStreamAdapter::boxed(
            self.schema(),
            stream::unfold(state, next_pair),
        ))
    }
}

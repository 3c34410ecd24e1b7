//! Merges all partitions of its input into one, reading them in parallel.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use quiver_expr::Result;
use tokio::sync::mpsc;

use crate::metrics::{execute_child, execute_children};
use crate::plan::{only_child, ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{forward, ReceiverStream, SendableRecordBatchStream};

/// N partitions in, one partition out, in no particular order.
#[derive(Debug)]
pub struct CoalescePartitionsExec {
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl CoalescePartitionsExec {
    /// Coalesces `input`.
    pub fn new(input: Arc<dyn ExecutionPlan>) -> Self {
        Self {
            input,
            id: NodeId::next(),
        }
    }
}

impl ExecutionPlan for CoalescePartitionsExec {
    fn node_id(&self) -> NodeId {
        self.id
    }
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        vec![(0, column)]
    }
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        let input = only_child(self.as_ref(), children)?;
        Ok(Arc::new(Self { input, id: self.id }))
    }
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
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
        let n = self.input.output_partitions();
        if n == 1 {
            return execute_child(&self.input, 0, ctx);
        }
        let (tx, rx) = mpsc::channel(2 * n);
        let mut tasks = Vec::with_capacity(n);
        for stream in execute_children(&self.input, &ctx)? {
            tasks.push(tokio::spawn(forward(stream, tx.clone())));
        }
        Ok(Box::pin(ReceiverStream::new(self.schema(), rx, tasks)))
    }
}

//! Batches held in memory (VALUES lists, one-row relations, test inputs).

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use quiver_expr::{QuiverError, Result};

use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Serves prepared batches, one list per partition.
#[derive(Debug)]
pub struct MemoryExec {
    schema: SchemaRef,
    partitions: Vec<Vec<RecordBatch>>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl MemoryExec {
    /// Serves `partitions` (at least one); every batch must have `schema`.
    pub fn try_new(schema: SchemaRef, mut partitions: Vec<Vec<RecordBatch>>) -> Result<Self> {
        if let Some(b) = partitions
            .iter()
            .flatten()
            .find(|b| b.schema().fields() != schema.fields())
        {
            return Err(QuiverError::Internal(format!(
                "memory batch schema {:?} differs from {:?}",
                b.schema(),
                schema
            )));
        }
        if partitions.is_empty() {
            partitions.push(vec![]);
        }
        Ok(Self {
            schema,
            partitions,
            id: NodeId::next(),
        })
    }
}

impl ExecutionPlan for MemoryExec {
    crate::node_basics!(leaf);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn output_partitions(&self) -> usize {
        self.partitions.len()
    }
    fn details(&self) -> String {
        let rows: usize = self.partitions.iter().flatten().map(|b| b.num_rows()).sum();
        format!("rows={rows}")
    }
    fn execute(
        &self,
        partition: usize,
        _ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let batches = self
            .partitions
            .get(partition)
            .ok_or_else(|| {
                QuiverError::Internal(format!("MemoryExec has no partition {partition}"))
            })?
            .clone();
        Ok(RecordBatchStreamAdapter::boxed(
            self.schema(),
            futures::stream::iter(batches.into_iter().map(Ok)),
        ))
    }
}

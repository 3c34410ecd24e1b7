//! `UNION ALL`: the partitions of every input, side by side.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use futures::StreamExt;
use quiver_expr::{internal_err, Result};

use crate::metrics::execute_child;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Concatenates inputs with the same column types; output partition `p` is
/// one partition of one input. Batches are relabelled with the union's
/// schema (its column names and nullability).
#[derive(Debug, Clone)]
pub struct UnionExec {
    inputs: Vec<Arc<dyn ExecutionPlan>>,
    schema: SchemaRef,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl UnionExec {
    /// The union of `inputs`, producing batches of `schema`.
    pub fn new(inputs: Vec<Arc<dyn ExecutionPlan>>, schema: SchemaRef) -> Self {
        Self {
            inputs,
            schema,
            id: NodeId::next(),
        }
    }
}

impl ExecutionPlan for UnionExec {
    fn node_id(&self) -> NodeId {
        self.id
    }
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        (0..self.inputs.len())
            .map(|input| (input, column))
            .collect()
    }
    fn with_new_children(
        self: Arc<Self>,
        children: Vec<Arc<dyn ExecutionPlan>>,
    ) -> Result<Arc<dyn ExecutionPlan>> {
        if children.len() != self.inputs.len() {
            return internal_err!(
                "UnionExec has {} inputs, given {}",
                self.inputs.len(),
                children.len()
            );
        }
        Ok(Arc::new(Self {
            inputs: children,
            schema: Arc::clone(&self.schema),
            id: self.id,
        }))
    }
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        self.inputs.iter().collect()
    }
    fn output_partitions(&self) -> usize {
        self.inputs.iter().map(|i| i.output_partitions()).sum()
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let mut p = partition;
        for input in &self.inputs {
            let n = input.output_partitions();
            if p < n {
                let schema = self.schema();
                let relabel = Arc::clone(&schema);
                let stream = execute_child(input, p, ctx)?.map(move |batch| {
                    let batch = batch?;
                    Ok(arrow::record_batch::RecordBatch::try_new(
                        Arc::clone(&relabel),
                        batch.columns().to_vec(),
                    )?)
                });
                return Ok(RecordBatchStreamAdapter::boxed(schema, stream));
            }
            p -= n;
        }
        internal_err!("UnionExec has no partition {partition}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::test_util::{int_table, run_i64};

    #[tokio::test]
    async fn every_partition_of_every_input() {
        let (a, b) = (int_table(2, 5), int_table(3, 4));
        let schema = a.schema();
        let union = Arc::new(UnionExec::new(vec![a, b], schema));
        assert_eq!(union.output_partitions(), 5);
        let mut all = run_i64(union, 0).await;
        all.sort();
        let mut expected: Vec<i64> = (0..10).chain(0..12).collect();
        expected.sort();
        assert_eq!(all, expected);
    }
}

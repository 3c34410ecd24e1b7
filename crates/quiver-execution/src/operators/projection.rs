//! Computes output columns from each input row.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::{RecordBatch, RecordBatchOptions};
use futures::StreamExt;
use quiver_expr::Result;

use crate::metrics::execute_child;
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Evaluates one expression per output column.
#[derive(Debug, Clone)]
pub struct ProjectionExec {
    exprs: Vec<Arc<dyn PhysicalExpr>>,
    schema: SchemaRef,
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl ProjectionExec {
    /// Projects `input` through `exprs`, producing `schema`.
    pub fn new(
        exprs: Vec<Arc<dyn PhysicalExpr>>,
        schema: SchemaRef,
        input: Arc<dyn ExecutionPlan>,
    ) -> Self {
        Self {
            id: NodeId::next(),
            exprs,
            schema,
            input,
        }
    }
}

impl ExecutionPlan for ProjectionExec {
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        let input = self.exprs.get(column).and_then(|e| e.as_column());
        input.map(|i| (0, i)).into_iter().collect()
    }
    crate::node_basics!(input);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn output_partitions(&self) -> usize {
        self.input.output_partitions()
    }
    fn details(&self) -> String {
        let parts: Vec<String> = self
            .exprs
            .iter()
            .zip(self.schema.fields())
            .map(|(e, f)| format!("{e} AS {}", f.name()))
            .collect();
        parts.join(", ")
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let exprs = self.exprs.clone();
        let schema = Arc::clone(&self.schema);
        let out_schema = Arc::clone(&schema);
        let stream = execute_child(&self.input, partition, ctx)?
            .map(move |batch| project_batch(&exprs, &schema, &batch?));
        Ok(RecordBatchStreamAdapter::boxed(out_schema, stream))
    }
}

/// `batch` through `exprs`, one output column each, as `schema`.
pub(crate) fn project_batch(
    exprs: &[Arc<dyn PhysicalExpr>],
    schema: &SchemaRef,
    batch: &RecordBatch,
) -> Result<RecordBatch> {
    let columns = exprs
        .iter()
        .map(|e| e.evaluate_to_array(batch))
        .collect::<Result<Vec<_>>>()?;
    let options = RecordBatchOptions::new().with_row_count(Some(batch.num_rows()));
    Ok(RecordBatch::try_new_with_options(
        Arc::clone(schema),
        columns,
        &options,
    )?)
}

//! Emits several rows per input row, one per list of expressions: the
//! input of an aggregation over grouping sets, which then sees every row
//! once per set.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use futures::stream::{self, StreamExt};
use quiver_expr::Result;

use super::projection::project_batch;
use crate::metrics::execute_child;
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// For each input batch, one output batch per list of expressions.
#[derive(Debug, Clone)]
pub struct ExpandExec {
    projections: Vec<Vec<Arc<dyn PhysicalExpr>>>,
    schema: SchemaRef,
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl ExpandExec {
    /// Expands `input` through `projections` (lists of the same length,
    /// producing `schema`).
    pub fn new(
        projections: Vec<Vec<Arc<dyn PhysicalExpr>>>,
        schema: SchemaRef,
        input: Arc<dyn ExecutionPlan>,
    ) -> Self {
        Self {
            id: NodeId::next(),
            projections,
            schema,
            input,
        }
    }
}

impl ExecutionPlan for ExpandExec {
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
        let lists: Vec<String> = self
            .projections
            .iter()
            .map(|list| {
                let exprs: Vec<String> = list.iter().map(|e| e.to_string()).collect();
                format!("[{}]", exprs.join(", "))
            })
            .collect();
        lists.join(", ")
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let projections = Arc::new(self.projections.clone());
        let schema = Arc::clone(&self.schema);
        let out_schema = Arc::clone(&schema);
        let stream = execute_child(&self.input, partition, ctx)?.flat_map(move |batch| {
            let copies: Vec<Result<_>> = match batch {
                Err(e) => vec![Err(e)],
                Ok(batch) => projections
                    .iter()
                    .map(|exprs| project_batch(exprs, &schema, &batch))
                    .collect(),
            };
            stream::iter(copies)
        });
        Ok(RecordBatchStreamAdapter::boxed(out_schema, stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::test_util::{int_table, run_i64};
    use crate::physical_expr::simple::{ColumnExpr, LiteralExpr};
    use arrow::datatypes::{DataType, Field, Schema};
    use datafusion_common::ScalarValue;

    #[tokio::test]
    async fn every_row_comes_out_once_per_list() {
        let a: Arc<dyn PhysicalExpr> = Arc::new(ColumnExpr::new("a", 0, DataType::Int64));
        let set = |n: i64| -> Arc<dyn PhysicalExpr> {
            Arc::new(LiteralExpr::new(ScalarValue::Int64(Some(n))))
        };
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("set", DataType::Int64, false),
        ]));
        let lists = vec![vec![Arc::clone(&a), set(0)], vec![a, set(1)]];
        let expand: Arc<dyn ExecutionPlan> =
            Arc::new(ExpandExec::new(lists, schema, int_table(2, 3)));
        let mut rows: Vec<(i64, i64)> = run_i64(Arc::clone(&expand), 0)
            .await
            .into_iter()
            .zip(run_i64(expand, 1).await)
            .collect();
        rows.sort();
        let mut expected: Vec<(i64, i64)> = (0..6).flat_map(|a| [(a, 0), (a, 1)]).collect();
        expected.sort();
        assert_eq!(rows, expected);
    }
}

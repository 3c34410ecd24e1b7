//! `EXPLAIN ANALYZE`: runs a plan to completion, discarding its rows, and
//! produces the plan annotated with what each operator did.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{ArrayRef, StringArray};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::TryStreamExt;
use quiver_expr::Result;

use crate::metrics::{format_duration, MetricsRegistry};
use crate::plan::{execute_stream, ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Runs `input` with metrics collected and returns one row
/// (`plan_type`, `plan`): the physical plan with each operator's metrics.
#[derive(Debug, Clone)]
pub struct AnalyzeExec {
    input: Arc<dyn ExecutionPlan>,
    schema: SchemaRef,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl AnalyzeExec {
    /// Analyzes `input`; `schema` is that of EXPLAIN's output, two text
    /// columns.
    pub fn new(input: Arc<dyn ExecutionPlan>, schema: SchemaRef) -> Self {
        Self {
            input,
            schema,
            id: NodeId::next(),
        }
    }
}

impl ExecutionPlan for AnalyzeExec {
    crate::node_basics!(input);
    fn schema(&self) -> SchemaRef {
        Arc::clone(&self.schema)
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
        let registry = Arc::new(MetricsRegistry::default());
        let measured = Arc::new(TaskContext {
            metrics: Some(Arc::clone(&registry)),
            ..ctx.as_ref().clone()
        });
        let input = Arc::clone(&self.input);
        let schema = Arc::clone(&self.schema);
        let run = async move {
            let start = Instant::now();
            let mut rows = 0;
            let mut stream = execute_stream(Arc::clone(&input), measured)?;
            while let Some(batch) = stream.try_next().await? {
                rows += batch.num_rows();
            }
            let summary = format!("{rows} rows in {}\n", format_duration(start.elapsed()));
            let kinds: ArrayRef = Arc::new(StringArray::from(vec![
                "physical_plan_with_metrics",
                "total",
            ]));
            let plans: ArrayRef = Arc::new(StringArray::from(vec![
                registry.display_plan(input.as_ref()),
                summary,
            ]));
            Ok(RecordBatch::try_new(schema, vec![kinds, plans])?)
        };
        Ok(RecordBatchStreamAdapter::boxed(
            self.schema(),
            futures::stream::once(run),
        ))
    }
}

#[cfg(test)]
mod tests {
    use arrow::array::AsArray;
    use arrow::datatypes::{DataType, Field, Schema};

    use super::*;
    use crate::collect;
    use crate::operators::filter::FilterExec;
    use crate::operators::test_util::int_table;
    use crate::physical_expr::ColumnExpr;

    #[tokio::test]
    async fn each_operator_reports_its_output_rows() {
        // Two partitions of 10 rows; b is true on 8 of the 20.
        let predicate = Arc::new(ColumnExpr::new("b", 1, DataType::Boolean));
        let filter = FilterExec::new(predicate, int_table(2, 10));
        let schema = Arc::new(Schema::new(vec![
            Field::new("plan_type", DataType::Utf8, false),
            Field::new("plan", DataType::Utf8, false),
        ]));
        let analyze = Arc::new(AnalyzeExec::new(Arc::new(filter), schema));
        let batches = collect(analyze, Arc::new(TaskContext::default()))
            .await
            .unwrap();
        let text = batches[0].column(1).as_string::<i32>().value(0).to_string();
        let lines: Vec<&str> = text.lines().collect();
        assert!(lines[0].starts_with("FilterExec"), "{text}");
        assert!(lines[0].contains("output_rows=8, batches=2"), "{text}");
        assert!(lines[1].starts_with("  MemoryExec"), "{text}");
        assert!(lines[1].contains("output_rows=20, batches=2"), "{text}");
        let total = batches[0].column(1).as_string::<i32>().value(1);
        assert!(total.starts_with("8 rows in "), "{total}");
    }
}

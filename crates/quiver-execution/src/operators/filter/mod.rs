//! Keeps the rows for which a predicate is true. The predicate's conjuncts
//! run one after another, in an order learned as the filter runs
//! ([`conjuncts`]).

mod conjuncts;

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use futures::StreamExt;
use quiver_expr::Result;

use self::conjuncts::AdaptiveConjuncts;
pub use self::conjuncts::Conjunct;
use crate::metrics::execute_child;
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Filters each partition's batches by the conjunction of some conditions
/// (NULL counts as false).
#[derive(Debug, Clone)]
pub struct FilterExec {
    conjuncts: Vec<Conjunct>,
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl FilterExec {
    /// Filters `input` by `predicate`, evaluated whole.
    pub fn new(predicate: Arc<dyn PhysicalExpr>, input: Arc<dyn ExecutionPlan>) -> Self {
        let whole = Conjunct {
            expr: predicate,
            can_fail: true,
        };
        Self::with_conjuncts(vec![whole], input)
    }

    /// Filters `input` by the conjunction of `conjuncts`.
    pub fn with_conjuncts(conjuncts: Vec<Conjunct>, input: Arc<dyn ExecutionPlan>) -> Self {
        Self {
            conjuncts,
            input,
            id: NodeId::next(),
        }
    }
}

impl ExecutionPlan for FilterExec {
    fn column_sources(&self, column: usize) -> Vec<(usize, usize)> {
        vec![(0, column)]
    }
    crate::node_basics!(input);
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn output_partitions(&self) -> usize {
        self.input.output_partitions()
    }
    fn details(&self) -> String {
        let parts: Vec<String> = self.conjuncts.iter().map(|c| c.expr.to_string()).collect();
        parts.join(" AND ")
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let mut conjuncts = AdaptiveConjuncts::new(self.conjuncts.clone());
        let stream = execute_child(&self.input, partition, ctx)?.filter_map(move |batch| {
            let out = batch.and_then(|b| conjuncts.filter(b));
            futures::future::ready(match out {
                Ok(b) if b.num_rows() == 0 => None,
                other => Some(other),
            })
        });
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::test_util::{int_table, run_i64};
    use crate::physical_expr::ColumnExpr;
    use arrow::datatypes::DataType;

    #[tokio::test]
    async fn keeps_true_rows_only() {
        // Column b is a boolean "a is even" with a NULL on every fifth row.
        let input = int_table(2, 10);
        let pred = Arc::new(ColumnExpr::new("b", 1, DataType::Boolean));
        let plan = Arc::new(FilterExec::new(pred, input));
        let mut got = run_i64(plan, 0).await;
        got.sort();
        assert_eq!(got, vec![2, 4, 6, 8, 12, 14, 16, 18]);
    }
}

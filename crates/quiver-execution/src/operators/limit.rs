//! OFFSET and LIMIT: skips rows, then passes a bounded number, and stops
//! reading its input as soon as it has enough.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use futures::StreamExt;
use quiver_expr::Result;

use crate::metrics::execute_child;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Skips `skip` rows of each partition, then passes at most `fetch`.
/// Over a single partition this is the global LIMIT/OFFSET; over many it is
/// the per-partition pre-limit the planner puts below a coalesce.
#[derive(Debug, Clone)]
pub struct LimitExec {
    skip: usize,
    fetch: Option<usize>,
    input: Arc<dyn ExecutionPlan>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl LimitExec {
    /// `OFFSET skip LIMIT fetch` over each partition of `input`.
    pub fn new(skip: usize, fetch: Option<usize>, input: Arc<dyn ExecutionPlan>) -> Self {
        Self {
            skip,
            fetch,
            input,
            id: NodeId::next(),
        }
    }
}

impl ExecutionPlan for LimitExec {
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
        format!(
            "skip={}, fetch={}",
            self.skip,
            self.fetch.map_or("None".into(), |f| f.to_string())
        )
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let remaining = self.fetch.unwrap_or(usize::MAX);
        let input = if remaining == 0 {
            None
        } else {
            Some(execute_child(&self.input, partition, ctx)?)
        };
        let state = input.map(|input| (input, self.skip, remaining));
        let stream = futures::stream::unfold(state, |state| async move {
            let (mut input, mut to_skip, mut remaining) = state?;
            loop {
                if remaining == 0 {
                    return None;
                }
                let batch = match input.next().await? {
                    Ok(b) => b,
                    Err(e) => return Some((Err(e), None)),
                };
                let skip_here = to_skip.min(batch.num_rows());
                to_skip -= skip_here;
                let take = (batch.num_rows() - skip_here).min(remaining);
                if take == 0 {
                    continue;
                }
                remaining -= take;
                return Some((
                    Ok(batch.slice(skip_here, take)),
                    Some((input, to_skip, remaining)),
                ));
            }
        });
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), stream))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::test_util::{int_table, run_i64};

    #[tokio::test]
    async fn skips_then_fetches_across_batches() {
        let input = int_table(1, 10);
        let got = run_i64(Arc::new(LimitExec::new(3, Some(4), input)), 0).await;
        assert_eq!(got, vec![3, 4, 5, 6]);
        let all = run_i64(Arc::new(LimitExec::new(8, None, int_table(1, 10))), 0).await;
        assert_eq!(all, vec![8, 9]);
        let none = run_i64(Arc::new(LimitExec::new(0, Some(0), int_table(1, 10))), 0).await;
        assert!(none.is_empty());
    }
}

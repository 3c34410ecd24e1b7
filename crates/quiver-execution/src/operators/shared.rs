//! A subplan that a query uses more than once (a CTE or view read twice,
//! as in TPC-H Q15), computed once: the first partition asked for runs every
//! partition of the input to completion and keeps the batches; every
//! consumer then reads them. Only small results are shared this way (the
//! planner shares aggregates), and the batches are reserved from the
//! memory pool.

use std::sync::Arc;

use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::{StreamExt, TryStreamExt};
use quiver_expr::{internal_err, Result};
use tokio::sync::OnceCell;

use crate::memory_pool::{batch_memory_size, MemoryReservation};
use crate::metrics::execute_child;
use crate::panics::{catch_future, panic_error};
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{AbortOnDrop, RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Every partition's batches, and the memory they hold.
#[derive(Debug)]
struct Computed {
    partitions: Vec<Vec<RecordBatch>>,
    _reservation: MemoryReservation,
}

/// The input computed once, its partitions read by several consumers.
#[derive(Debug, Clone)]
pub struct SharedExec {
    input: Arc<dyn ExecutionPlan>,
    consumers: usize,
    /// The identity of the computed batches in a run.
    id: NodeId,
}

impl SharedExec {
    /// Shares `input` among `consumers` places of a plan.
    pub fn new(input: Arc<dyn ExecutionPlan>, consumers: usize) -> Self {
        Self {
            input,
            consumers,
            id: NodeId::next(),
        }
    }
}

/// Runs every partition of `input` in parallel and keeps the batches.
async fn compute(input: Arc<dyn ExecutionPlan>, ctx: Arc<TaskContext>) -> Result<Arc<Computed>> {
    let mut reservation = ctx.memory_pool.reservation("SharedExec");
    let runs = (0..input.output_partitions())
        .map(|p| {
            let stream = execute_child(&input, p, Arc::clone(&ctx))?;
            Ok(tokio::spawn(catch_future(
                stream.try_collect::<Vec<RecordBatch>>(),
            )))
        })
        .collect::<Result<Vec<_>>>()?;
    // If every consumer goes away (a LIMIT is met, the query is cancelled),
    // this future is dropped and the partitions stop too.
    let _stop_when_dropped = AbortOnDrop::new(&runs);
    let mut partitions = Vec::with_capacity(runs.len());
    for run in runs {
        let batches = match run.await {
            Ok(Ok(batches)) => batches?,
            Ok(Err(payload)) => return Err(panic_error(payload.as_ref())),
            Err(e) => return internal_err!("a shared subplan's task failed: {e}"),
        };
        reservation.try_grow(batches.iter().map(batch_memory_size).sum())?;
        partitions.push(batches);
    }
    Ok(Arc::new(Computed {
        partitions,
        _reservation: reservation,
    }))
}

impl ExecutionPlan for SharedExec {
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
        format!("computed once for {} consumers", self.consumers)
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition >= self.output_partitions() {
            return internal_err!("SharedExec has no partition {partition}");
        }
        let input = Arc::clone(&self.input);
        let computed = ctx.run_state(self.id, OnceCell::<Arc<Computed>>::new);
        let batches = futures::stream::once(async move {
            let all = computed.get_or_try_init(|| compute(input, ctx)).await?;
            let batches: Vec<Result<RecordBatch>> =
                all.partitions[partition].iter().cloned().map(Ok).collect();
            Ok::<_, quiver_expr::QuiverError>(futures::stream::iter(batches))
        })
        .try_flatten();
        Ok(RecordBatchStreamAdapter::boxed(
            self.schema(),
            batches.boxed(),
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metrics::MetricsRegistry;
    use crate::operators::test_util::{int_table, run_i64};
    use crate::operators::union::UnionExec;

    #[tokio::test]
    async fn two_consumers_read_one_computation() {
        let input = int_table(2, 5);
        let shared: Arc<dyn ExecutionPlan> = Arc::new(SharedExec::new(Arc::clone(&input), 2));
        let union = |a: &Arc<dyn ExecutionPlan>| -> Arc<dyn ExecutionPlan> {
            Arc::new(UnionExec::new(
                vec![Arc::clone(a), Arc::clone(a)],
                a.schema(),
            ))
        };
        let both = union(&shared);
        let mut values = run_i64(Arc::clone(&both), 0).await;
        values.sort();
        let expected: Vec<i64> = (0..10).flat_map(|v| [v, v]).collect();
        assert_eq!(values, expected);
        let registry = Arc::new(MetricsRegistry::default());
        let ctx = TaskContext {
            metrics: Some(Arc::clone(&registry)),
            ..Default::default()
        };
        let fresh: Arc<dyn ExecutionPlan> = Arc::new(SharedExec::new(Arc::clone(&input), 2));
        crate::plan::collect(union(&fresh), Arc::new(ctx))
            .await
            .unwrap();
        let read = registry.get(input.as_ref()).unwrap().output_rows();
        assert_eq!(read, 10, "the input ran once");
    }
}

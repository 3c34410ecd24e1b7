//! Hash repartitioning: N input partitions in, M output partitions out, each
//! row sent to the output its key hashes to. Inputs are read in parallel and
//! outputs are bounded channels, so a slow consumer throttles producers.

use std::sync::{Arc, Mutex};

use arrow::array::{ArrayRef, UInt32Array};
use arrow::compute::take_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use datafusion_common::hash_utils::{create_hashes, RandomState};
use futures::StreamExt;
use quiver_expr::{internal_err, QuiverError, Result};
use tokio::sync::mpsc;

use crate::metrics::execute_children;
use crate::physical_expr::PhysicalExpr;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{catch_panics, AbortOnDrop, ReceiverStream, SendableRecordBatchStream};

/// The hash seed shared by every hash partitioning in Quiver.
pub const REPARTITION_SEED: u64 = 0x5157_4956_4552;

/// Routes rows to `partitions` outputs by the hash of `keys`.
#[derive(Debug, Clone)]
pub struct RepartitionExec {
    keys: Vec<Arc<dyn PhysicalExpr>>,
    partitions: usize,
    input: Arc<dyn ExecutionPlan>,
    /// Output receivers of the running execution, created by the first
    /// `execute` call and handed out once each.
    /// The identity of the exchange's output streams in a run.
    id: NodeId,
}

impl RepartitionExec {
    /// Hash-partitions `input` on `keys` into `partitions` outputs.
    pub fn new(
        keys: Vec<Arc<dyn PhysicalExpr>>,
        partitions: usize,
        input: Arc<dyn ExecutionPlan>,
    ) -> Self {
        Self {
            keys,
            partitions: partitions.max(1),
            input,
            id: NodeId::next(),
        }
    }

    fn start(&self, ctx: &Arc<TaskContext>) -> Result<Vec<Option<ReceiverStream>>> {
        let (senders, receivers): (Vec<_>, Vec<_>) =
            (0..self.partitions).map(|_| mpsc::channel(2)).unzip();
        let mut tasks = Vec::new();
        for stream in execute_children(&self.input, ctx)? {
            let router = Router {
                keys: self.keys.clone(),
                senders: senders.clone(),
            };
            tasks.push(tokio::spawn(router.run(stream)));
        }
        // The producers stop when the last output is dropped: until then,
        // every output still needs them.
        let producers = Arc::new(AbortOnDrop::new(&tasks));
        let schema = self.schema();
        Ok(receivers
            .into_iter()
            .map(|rx| {
                Some(ReceiverStream::shared(
                    Arc::clone(&schema),
                    rx,
                    Arc::clone(&producers),
                ))
            })
            .collect())
    }
}

struct Router {
    keys: Vec<Arc<dyn PhysicalExpr>>,
    senders: Vec<mpsc::Sender<Result<RecordBatch>>>,
}

impl Router {
    async fn run(self, input: SendableRecordBatchStream) {
        let mut input = catch_panics(input);
        while let Some(batch) = input.next().await {
            let routed = batch.and_then(|b| self.split(&b));
            match routed {
                Ok(parts) => {
                    for (p, part) in parts.into_iter().enumerate() {
                        if let Some(part) = part {
                            // A closed output means its consumer is gone; keep
                            // feeding the others.
                            let _ = self.senders[p].send(Ok(part)).await;
                        }
                    }
                }
                Err(e) => {
                    for s in &self.senders {
                        let _ = s.send(Err(e.copy_for_sharing())).await;
                    }
                    return;
                }
            }
        }
    }

    fn split(&self, batch: &RecordBatch) -> Result<Vec<Option<RecordBatch>>> {
        let n = self.senders.len();
        let keys = self
            .keys
            .iter()
            .map(|k| k.evaluate_to_array(batch))
            .collect::<Result<Vec<ArrayRef>>>()?;
        let mut hashes = vec![0u64; batch.num_rows()];
        create_hashes(
            &keys,
            &RandomState::with_seed(REPARTITION_SEED),
            &mut hashes,
        )?;
        let mut indices: Vec<Vec<u32>> = vec![vec![]; n];
        for (row, h) in hashes.iter().enumerate() {
            indices[(*h % n as u64) as usize].push(row as u32);
        }
        indices
            .into_iter()
            .map(|rows| {
                if rows.is_empty() {
                    return Ok(None);
                }
                Ok(Some(take_record_batch(batch, &UInt32Array::from(rows))?))
            })
            .collect()
    }
}

impl ExecutionPlan for RepartitionExec {
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
        self.partitions
    }
    fn details(&self) -> String {
        let keys: Vec<String> = self.keys.iter().map(|k| k.to_string()).collect();
        format!("Hash([{}], {})", keys.join(", "), self.partitions)
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        if partition >= self.partitions {
            return internal_err!(
                "RepartitionExec has {} partitions, asked for {partition}",
                self.partitions
            );
        }
        // The first partition of a run to start starts every input
        // partition; each output partition takes its stream once.
        let outputs = ctx.run_state(self.id, || Mutex::new(Vec::<Option<ReceiverStream>>::new()));
        let mut outputs = outputs
            .lock()
            .map_err(|_| QuiverError::Internal("repartition lock poisoned".into()))?;
        if outputs.iter().all(Option::is_none) {
            *outputs = self.start(&ctx)?;
        }
        match outputs[partition].take() {
            Some(stream) => Ok(Box::pin(stream)),
            None => internal_err!("RepartitionExec partition {partition} executed twice"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::test_util::{int_table, run_i64};
    use crate::physical_expr::ColumnExpr;
    use arrow::datatypes::DataType;
    use futures::TryStreamExt;

    #[tokio::test]
    async fn dropping_one_output_leaves_the_others_complete() {
        let key =
            || -> Arc<dyn PhysicalExpr> { Arc::new(ColumnExpr::new("a", 0, DataType::Int64)) };
        let ctx = Arc::new(TaskContext {
            batch_size: 4,
            ..Default::default()
        });
        let count = |plan: &RepartitionExec, p: usize| {
            let stream = plan.execute(p, Arc::clone(&ctx)).unwrap();
            async move {
                let batches: Vec<_> = stream.try_collect().await.unwrap();
                batches.iter().map(|b| b.num_rows()).sum::<usize>()
            }
        };
        let whole = RepartitionExec::new(vec![key()], 2, int_table(2, 500));
        let expected = count(&whole, 1).await + count(&whole, 0).await;
        assert_eq!(expected, 1000);

        let plan = RepartitionExec::new(vec![key()], 2, int_table(2, 500));
        drop(plan.execute(0, Arc::clone(&ctx)).unwrap());
        let second = count(&plan, 1).await;
        let reference = RepartitionExec::new(vec![key()], 2, int_table(2, 500));
        let first_of_reference = count(&reference, 0).await;
        assert_eq!(
            second,
            1000 - first_of_reference,
            "output 1 got all of its rows"
        );
    }

    #[tokio::test]
    async fn every_row_lands_in_exactly_one_partition() {
        let input = int_table(3, 50);
        let key = Arc::new(ColumnExpr::new("a", 0, DataType::Int64));
        let plan = Arc::new(RepartitionExec::new(vec![key], 4, input));
        let mut got = run_i64(plan, 0).await;
        got.sort();
        assert_eq!(got, (0..150).collect::<Vec<i64>>());
    }
}

//! Sorts each partition. With a fetch (ORDER BY .. LIMIT k) it keeps only
//! the best k rows seen so far instead of buffering the whole input.

use std::sync::Arc;

use arrow::compute::{lexsort_to_indices, take_record_batch, SortColumn};
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use quiver_expr::Result;

use super::{display_sort_exprs, PhysicalSortExpr};
use crate::compaction::concat_compacted;
use crate::metrics::{execute_child, OperatorMetrics};
use crate::plan::{ExecutionPlan, TaskContext};
use crate::stream::{batches_when_done, SendableRecordBatchStream};

/// Sorts every partition of its input independently.
#[derive(Debug)]
pub struct SortExec {
    exprs: Vec<PhysicalSortExpr>,
    input: Arc<dyn ExecutionPlan>,
    fetch: Option<usize>,
}

impl SortExec {
    /// Sorts `input` by `exprs`, keeping only the first `fetch` rows if set.
    pub fn new(
        exprs: Vec<PhysicalSortExpr>,
        input: Arc<dyn ExecutionPlan>,
        fetch: Option<usize>,
    ) -> Self {
        Self {
            exprs,
            input,
            fetch,
        }
    }
}

/// Sorts `batch` by `exprs`, returning at most `limit` rows.
pub fn sort_batch(
    batch: &RecordBatch,
    exprs: &[PhysicalSortExpr],
    limit: Option<usize>,
) -> Result<RecordBatch> {
    let columns = exprs
        .iter()
        .map(|e| {
            Ok(SortColumn {
                values: e.expr.evaluate_to_array(batch)?,
                options: Some(e.options),
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let indices = lexsort_to_indices(&columns, limit)?;
    Ok(take_record_batch(batch, &indices)?)
}

/// Splits a batch into slices of at most `size` rows.
pub fn slices(batch: RecordBatch, size: usize) -> Vec<RecordBatch> {
    let size = size.max(1);
    (0..batch.num_rows())
        .step_by(size)
        .map(|at| batch.slice(at, size.min(batch.num_rows() - at)))
        .collect()
}

async fn sort_partition(
    mut input: SendableRecordBatchStream,
    exprs: Vec<PhysicalSortExpr>,
    fetch: Option<usize>,
    batch_size: usize,
    metrics: Option<Arc<OperatorMetrics>>,
) -> Result<Vec<RecordBatch>> {
    let schema = input.schema();
    let mut buffered: Vec<RecordBatch> = vec![];
    let mut rows = 0usize;
    let mut held = 0usize;
    let mut peak = 0usize;
    while let Some(batch) = input.next().await {
        let batch = batch?;
        rows += batch.num_rows();
        held += batch.get_array_memory_size();
        peak = peak.max(held);
        buffered.push(batch);
        // Let cancellation (a dropped stream) take effect between batches.
        tokio::task::yield_now().await;
        // Top-k: once the buffer is well past k rows, keep only the best k.
        if let Some(k) = fetch {
            if rows >= k + batch_size {
                let all = concat_compacted(&schema, &buffered)?;
                let best = sort_batch(&all, &exprs, Some(k))?;
                rows = best.num_rows();
                held = best.get_array_memory_size();
                buffered = vec![best];
            }
        }
    }
    if rows == 0 {
        return Ok(vec![]);
    }
    let all = concat_compacted(&schema, &buffered)?;
    drop(buffered);
    let sorted = sort_batch(&all, &exprs, fetch)?;
    if let Some(m) = metrics {
        // The input in one batch and its sorted copy are held together.
        let together = all.get_array_memory_size() + sorted.get_array_memory_size();
        m.add_peak_memory(peak.max(together));
    }
    Ok(slices(sorted, batch_size))
}

impl ExecutionPlan for SortExec {
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
        match self.fetch {
            Some(k) => format!("TopK(fetch={k}): {}", display_sort_exprs(&self.exprs)),
            None => display_sort_exprs(&self.exprs),
        }
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = execute_child(&self.input, partition, Arc::clone(&ctx))?;
        let fut = sort_partition(
            input,
            self.exprs.clone(),
            self.fetch,
            ctx.batch_size,
            ctx.operator_metrics(self),
        );
        Ok(batches_when_done(self.schema(), fut))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::test_util::{int_table, run_i64};
    use crate::physical_expr::ColumnExpr;
    use arrow::compute::SortOptions;
    use arrow::datatypes::DataType;

    fn desc_a() -> Vec<PhysicalSortExpr> {
        let expr = Arc::new(ColumnExpr::new("a", 0, DataType::Int64));
        vec![PhysicalSortExpr {
            expr,
            options: SortOptions {
                descending: true,
                nulls_first: false,
            },
        }]
    }

    #[tokio::test]
    async fn sorts_and_top_k_agree() {
        let full = run_i64(Arc::new(SortExec::new(desc_a(), int_table(1, 40), None)), 0).await;
        assert_eq!(full, (0..40).rev().collect::<Vec<i64>>());
        let top = run_i64(
            Arc::new(SortExec::new(desc_a(), int_table(1, 40), Some(3))),
            0,
        )
        .await;
        assert_eq!(top, vec![39, 38, 37]);
    }
}

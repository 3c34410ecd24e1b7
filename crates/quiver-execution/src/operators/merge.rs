//! Merges partitions that are each sorted into one sorted stream, reading
//! all inputs in parallel (k-way merge on Arrow's row format).

use std::sync::Arc;

use arrow::compute::interleave_record_batch;

use crate::compaction::compacted;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, Rows, SortField};
use futures::StreamExt;
use quiver_expr::Result;

use super::{display_sort_exprs, PhysicalSortExpr};
use crate::metrics::execute_children;
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::stream::{spawn_stream, RecordBatchStreamAdapter, SendableRecordBatchStream};

/// One sorted partition out of many sorted partitions.
#[derive(Debug, Clone)]
pub struct SortPreservingMergeExec {
    exprs: Vec<PhysicalSortExpr>,
    input: Arc<dyn ExecutionPlan>,
    fetch: Option<usize>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl SortPreservingMergeExec {
    /// Merges the sorted partitions of `input`, stopping after `fetch` rows if set.
    pub fn new(
        exprs: Vec<PhysicalSortExpr>,
        input: Arc<dyn ExecutionPlan>,
        fetch: Option<usize>,
    ) -> Self {
        Self {
            id: NodeId::next(),
            exprs,
            input,
            fetch,
        }
    }
}

/// The current batch of one input and the position of its next row.
struct Cursor {
    stream: SendableRecordBatchStream,
    batch: Option<(usize, Rows)>,
    row: usize,
}

/// A k-way merge of sorted streams, pulled one output batch at a time.
struct Merger {
    exprs: Vec<PhysicalSortExpr>,
    converter: RowConverter,
    cursors: Vec<Cursor>,
    /// Batches referenced by the output being built.
    batches: Vec<RecordBatch>,
    /// Whether every cursor has loaded its first batch.
    started: bool,
    /// Rows still to produce (the fetch).
    remaining: usize,
    batch_size: usize,
}

impl Merger {
    /// Loads the next non-empty batch of input `i`, or marks it finished.
    async fn advance(&mut self, i: usize) -> Result<()> {
        loop {
            let Some(batch) = self.cursors[i].stream.next().await.transpose()? else {
                self.cursors[i].batch = None;
                return Ok(());
            };
            if batch.num_rows() == 0 {
                continue;
            }
            let keys = self
                .exprs
                .iter()
                .map(|e| e.expr.evaluate_to_array(&batch))
                .collect::<Result<Vec<_>>>()?;
            let rows = self.converter.convert_columns(&keys)?;
            self.batches.push(batch);
            self.cursors[i].batch = Some((self.batches.len() - 1, rows));
            self.cursors[i].row = 0;
            return Ok(());
        }
    }

    /// The input whose next row sorts first, if any is left.
    fn smallest(&self) -> Option<usize> {
        let mut best: Option<(usize, arrow::row::Row<'_>)> = None;
        for (i, c) in self.cursors.iter().enumerate() {
            if let Some((_, rows)) = &c.batch {
                let row = rows.row(c.row);
                if best.as_ref().is_none_or(|(_, b)| row < *b) {
                    best = Some((i, row));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    /// The next merged batch of up to `batch_size` rows, or None when done.
    async fn next_batch(&mut self) -> Result<Option<RecordBatch>> {
        if !self.started {
            self.started = true;
            for i in 0..self.cursors.len() {
                self.advance(i).await?;
            }
        }
        let mut picks: Vec<(usize, usize)> = Vec::with_capacity(self.batch_size);
        while self.remaining > 0 && picks.len() < self.batch_size {
            let Some(i) = self.smallest() else { break };
            let cursor = &mut self.cursors[i];
            let (slot, rows) = cursor.batch.as_ref().expect("smallest has a batch");
            picks.push((*slot, cursor.row));
            let exhausted = cursor.row + 1 == rows.num_rows();
            cursor.row += 1;
            self.remaining -= 1;
            if exhausted {
                self.advance(i).await?;
            }
        }
        if picks.is_empty() {
            return Ok(None);
        }
        let refs: Vec<&RecordBatch> = self.batches.iter().collect();
        // Rows from many batches: keep only their own strings, not every
        // source batch's buffers.
        let out = compacted(interleave_record_batch(&refs, &picks)?)?;
        self.compact();
        Ok(Some(out))
    }

    /// Drops batches no cursor points into any more.
    fn compact(&mut self) {
        let mut kept = Vec::new();
        for c in &mut self.cursors {
            if let Some((slot, _)) = &mut c.batch {
                kept.push(self.batches[*slot].clone());
                *slot = kept.len() - 1;
            }
        }
        self.batches = kept;
    }
}

/// Merges `inputs`, each sorted by `exprs`, into one sorted stream of
/// batches of up to `batch_size` rows, stopping after `fetch` rows if set.
/// The merge runs as the returned stream is polled.
pub fn merge_sorted_streams(
    schema: SchemaRef,
    inputs: Vec<SendableRecordBatchStream>,
    exprs: Vec<PhysicalSortExpr>,
    batch_size: usize,
    fetch: Option<usize>,
) -> Result<SendableRecordBatchStream> {
    let fields = exprs
        .iter()
        .map(|e| SortField::new_with_options(e.expr.data_type().clone(), e.options))
        .collect();
    let merger = Merger {
        exprs,
        converter: RowConverter::new(fields)?,
        cursors: inputs
            .into_iter()
            .map(|stream| Cursor {
                stream,
                batch: None,
                row: 0,
            })
            .collect(),
        batches: vec![],
        started: false,
        remaining: fetch.unwrap_or(usize::MAX),
        batch_size: batch_size.max(1),
    };
    let batches = futures::stream::try_unfold(merger, |mut merger| async move {
        Ok(merger.next_batch().await?.map(|batch| (batch, merger)))
    });
    Ok(RecordBatchStreamAdapter::boxed(schema, batches))
}

impl ExecutionPlan for SortPreservingMergeExec {
    crate::node_basics!(input);
    fn schema(&self) -> SchemaRef {
        self.input.schema()
    }
    fn children(&self) -> Vec<&Arc<dyn ExecutionPlan>> {
        vec![&self.input]
    }
    fn output_partitions(&self) -> usize {
        1
    }
    fn details(&self) -> String {
        match self.fetch {
            Some(k) => format!("{} fetch={k}", display_sort_exprs(&self.exprs)),
            None => display_sort_exprs(&self.exprs),
        }
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        crate::plan::only_partition(self, partition)?;
        let inputs = execute_children(&self.input, &ctx)?
            .into_iter()
            .map(|stream| Box::pin(spawn_stream(stream, 2)) as SendableRecordBatchStream)
            .collect();
        merge_sorted_streams(
            self.schema(),
            inputs,
            self.exprs.clone(),
            ctx.batch_size,
            self.fetch,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::operators::sort::SortExec;
    use crate::operators::test_util::{int_table, run_i64};
    use crate::physical_expr::ColumnExpr;
    use arrow::compute::SortOptions;
    use arrow::datatypes::DataType;

    #[tokio::test]
    async fn merges_sorted_partitions() {
        let expr = Arc::new(ColumnExpr::new("a", 0, DataType::Int64));
        let keys = vec![PhysicalSortExpr {
            expr,
            options: SortOptions {
                descending: true,
                nulls_first: false,
            },
        }];
        let sorted = Arc::new(SortExec::new(keys.clone(), int_table(3, 7), None));
        let merged = run_i64(
            Arc::new(SortPreservingMergeExec::new(
                keys.clone(),
                sorted.clone(),
                None,
            )),
            0,
        )
        .await;
        assert_eq!(merged, (0..21).rev().collect::<Vec<i64>>());
        let top = run_i64(
            Arc::new(SortPreservingMergeExec::new(keys, sorted, Some(5))),
            0,
        )
        .await;
        assert_eq!(top, vec![20, 19, 18, 17, 16]);
    }
}

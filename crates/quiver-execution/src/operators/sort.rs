//! Sorts each partition. With a fetch (ORDER BY .. LIMIT k) it keeps only
//! the best k rows seen so far instead of buffering the whole input. When
//! its memory reservation cannot grow, a partition writes what it buffered
//! to disk as a sorted run and merges the runs at the end (external sort).

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, UInt32Array};
use arrow::compute::{concat, lexsort_to_indices, take_record_batch, SortColumn, SortOptions};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use arrow::row::{RowConverter, Rows, SortField};
use futures::{StreamExt, TryStreamExt};
use quiver_expr::Result;

use super::first_per_partition::FirstPerPartition;
use super::merge::merge_sorted_streams;
use super::packed_sort::packed_sort_indices;
use super::sorted_gather::{gathered_in_order, has_nested, SortedGather};
use super::top_per_group::TopPerGroup;
use super::{display_sort_exprs, PhysicalSortExpr};
use crate::compaction::{compact_for_writing, concat_compacted};
use crate::memory_pool::{batch_memory_size, MemoryReservation};
use crate::metrics::{execute_child, OperatorMetrics};
use crate::plan::{ExecutionPlan, TaskContext};
use crate::run_state::NodeId;
use crate::spill::{record_spill_event, SpillFile, SpillWriter};
use crate::stream::{release_as_sent, RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Sorts every partition of its input independently.
#[derive(Debug, Clone)]
pub struct SortExec {
    exprs: Vec<PhysicalSortExpr>,
    input: Arc<dyn ExecutionPlan>,
    fetch: Option<usize>,
    /// Only the first rows of each partition (with ties) are wanted.
    first_per_partition: Option<FirstPerPartition>,
    /// The operator's identity ([`ExecutionPlan::node_id`]).
    id: NodeId,
}

impl SortExec {
    /// Sorts `input` by `exprs`, keeping only the first `fetch` rows if set.
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
            first_per_partition: None,
        }
    }

    /// The same sort, keeping only the first `limit.k` rows of each
    /// partition and the rows tied with the last of them; rows of other
    /// partitions may remain where runs spilled to disk are merged, but
    /// those come after the wanted ones in their partition.
    pub fn with_first_per_partition(mut self, limit: FirstPerPartition) -> Self {
        self.first_per_partition = Some(limit);
        self
    }
}

/// Sorts `batch` by `exprs`, returning at most `limit` rows. One primitive
/// key is sorted by Arrow's sort kernel; several integer-like keys that fit
/// in 128 bits together are packed into one integer per row
/// (`packed_sort.rs`); other keys are encoded in Arrow's row format once and
/// compared as bytes, which beats comparing column by column through
/// dynamic comparators.
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
    Ok(take_record_batch(batch, &sort_indices(&columns, limit)?)?)
}

/// The row indices of `columns` (sort keys, most significant first) in
/// sorted order, the first `limit` of them when set.
pub(crate) fn sort_indices(columns: &[SortColumn], limit: Option<usize>) -> Result<UInt32Array> {
    let single_primitive = matches!(columns, [c] if c.values.data_type().is_primitive());
    Ok(if single_primitive {
        lexsort_to_indices(columns, limit)?
    } else if let Some(packed) = packed_sort_indices(columns, limit) {
        packed
    } else {
        sorted_by_rows(columns, limit)?
    })
}

/// The row indices of `columns` in sorted order (the first `limit`), found
/// by comparing the rows in Arrow's row format.
fn sorted_by_rows(columns: &[SortColumn], limit: Option<usize>) -> Result<UInt32Array> {
    let converter = row_converter(
        columns
            .iter()
            .map(|c| (c.values.data_type().clone(), c.options.unwrap_or_default())),
    )?;
    let arrays: Vec<ArrayRef> = columns.iter().map(|c| Arc::clone(&c.values)).collect();
    let rows = converter.convert_columns(&arrays)?;
    Ok(order_of_rows(&rows, limit))
}

/// A converter to Arrow's row format for keys of these types and orders.
fn row_converter(keys: impl Iterator<Item = (DataType, SortOptions)>) -> Result<RowConverter> {
    let fields = keys
        .map(|(data_type, options)| SortField::new_with_options(data_type, options))
        .collect();
    Ok(RowConverter::new(fields)?)
}

/// The indices of `rows` in sorted order, the first `limit` of them.
fn order_of_rows(rows: &Rows, limit: Option<usize>) -> UInt32Array {
    let mut order: Vec<u32> = (0..rows.num_rows() as u32).collect();
    let by_row = |a: &u32, b: &u32| rows.row(*a as usize).cmp(&rows.row(*b as usize));
    match limit {
        Some(k) if k < order.len() => {
            if k > 0 {
                order.select_nth_unstable_by(k - 1, by_row);
            }
            order.truncate(k);
            order.sort_unstable_by(by_row);
        }
        _ => order.sort_unstable_by(by_row),
    }
    UInt32Array::from(order)
}

/// The order of all the rows of `batches` (numbered batch after batch) by
/// `exprs`. Keys of fixed width are put together and sorted as by
/// [`sort_indices`]; keys with a variable-width one among them are encoded
/// in Arrow's row format batch by batch, so that beside the input only the
/// encoded keys exist, not also a concatenated copy of the key columns.
pub(crate) fn sorted_order(
    batches: &[RecordBatch],
    exprs: &[PhysicalSortExpr],
) -> Result<UInt32Array> {
    let keys_of = |batch: &RecordBatch| -> Result<Vec<ArrayRef>> {
        exprs
            .iter()
            .map(|e| e.expr.evaluate_to_array(batch))
            .collect()
    };
    let Some((first, rest)) = batches.split_first() else {
        return Ok(UInt32Array::from(Vec::<u32>::new()));
    };
    // The types the keys evaluate to (a scan's strings may be views).
    let first_keys = keys_of(first)?;
    let fixed_width = first_keys
        .iter()
        .all(|k| k.data_type().is_primitive() || *k.data_type() == DataType::Boolean);
    if fixed_width {
        let mut keys = vec![first_keys];
        for batch in rest {
            keys.push(keys_of(batch)?);
        }
        let columns = exprs
            .iter()
            .enumerate()
            .map(|(i, e)| {
                let parts: Vec<&dyn Array> = keys.iter().map(|k| k[i].as_ref()).collect();
                Ok(SortColumn {
                    values: concat(&parts)?,
                    options: Some(e.options),
                })
            })
            .collect::<Result<Vec<_>>>()?;
        return sort_indices(&columns, None);
    }
    let converter = row_converter(
        first_keys
            .iter()
            .zip(exprs)
            .map(|(k, e)| (k.data_type().clone(), e.options)),
    )?;
    let total: usize = batches.iter().map(RecordBatch::num_rows).sum();
    let mut rows = converter.empty_rows(total, 0);
    converter.append(&mut rows, &first_keys)?;
    for batch in rest {
        converter.append(&mut rows, &keys_of(batch)?)?;
    }
    Ok(order_of_rows(&rows, None))
}

/// Splits a batch into slices of at most `size` rows.
pub fn slices(batch: RecordBatch, size: usize) -> Vec<RecordBatch> {
    let size = size.max(1);
    (0..batch.num_rows())
        .step_by(size)
        .map(|at| batch.slice(at, size.min(batch.num_rows() - at)))
        .collect()
}

/// One partition of a sort: buffers its input within its memory
/// reservation and, when the reservation cannot grow, writes the buffer out
/// as a sorted run to merge at the end.
struct PartitionSorter {
    schema: SchemaRef,
    exprs: Vec<PhysicalSortExpr>,
    fetch: Option<usize>,
    ctx: Arc<TaskContext>,
    metrics: Option<Arc<OperatorMetrics>>,
    reservation: MemoryReservation,
    buffered: Vec<RecordBatch>,
    rows: usize,
    /// Keep only the first rows of each partition.
    first_per_partition: Option<FirstPerPartition>,
    /// The rows left after the last pruning (see `push`).
    pruned_rows: usize,
    runs: Vec<SpillFile>,
    /// The memory of the largest batch written to a run: what merging
    /// holds per run.
    largest_run_batch: usize,
}

/// The memory a buffered batch is charged: itself and room for its share
/// of the sorted copy, which exists alongside the input while sorting.
fn charge(batch: &RecordBatch) -> usize {
    2 * batch_memory_size(batch)
}

impl PartitionSorter {
    /// Buffers `batch`, spilling what is buffered first if the reservation
    /// cannot grow.
    fn push(&mut self, batch: RecordBatch) -> Result<()> {
        let bytes = charge(&batch);
        if let Err(full) = self.reservation.try_grow(bytes) {
            if self.buffered.is_empty() {
                // Not even this one batch fits.
                return Err(full);
            }
            self.spill()?;
            self.reservation.try_grow(bytes)?;
        }
        self.rows += batch.num_rows();
        self.buffered.push(batch);
        // The first rows per partition: once the buffer has doubled since
        // it was last pruned, prune it again.
        if self.first_per_partition.is_some()
            && self.rows >= (2 * self.pruned_rows).max(4 * self.ctx.batch_size)
        {
            let kept = self.sort_buffered()?;
            self.rows = kept.num_rows();
            self.pruned_rows = self.rows;
            self.reservation.try_resize(charge(&kept))?;
            self.buffered = vec![kept];
        }
        // Top-k: once the buffer is well past k rows, keep only the best k.
        if let Some(k) = self.fetch {
            if self.rows >= k + self.ctx.batch_size {
                let best = self.sort_buffered()?;
                self.rows = best.num_rows();
                self.reservation.try_resize(charge(&best))?;
                self.buffered = vec![best];
            }
        }
        Ok(())
    }

    /// The buffered rows sorted (the best `fetch` of them if set); empties
    /// the buffer.
    fn sort_buffered(&mut self) -> Result<RecordBatch> {
        let all = concat_compacted(&self.schema, &std::mem::take(&mut self.buffered))?;
        self.rows = 0;
        let sorted = sort_batch(&all, &self.exprs, self.fetch)?;
        match &self.first_per_partition {
            Some(limit) => limit.prune(sorted, &self.exprs),
            None => Ok(sorted),
        }
    }

    /// Writes the buffer out as one sorted run and gives back its memory.
    /// A plain sort gathers the run's batches straight from the buffer
    /// ([`SortedGather`]), so that only the sort keys, not a sorted copy of
    /// every column, are made beside it.
    fn spill(&mut self) -> Result<()> {
        let mut writer = SpillWriter::create(&self.ctx.spill_directory, Arc::clone(&self.schema))?;
        let size = self.ctx.batch_size;
        let mut largest = self.largest_run_batch;
        let mut write = |batch: RecordBatch| -> Result<()> {
            // Gathered view columns still list the whole buffer's strings.
            let batch = compact_for_writing(&batch)?;
            largest = largest.max(batch_memory_size(&batch));
            writer.write(&batch)
        };
        if self.fetch.is_none() && self.first_per_partition.is_none() {
            let gather = SortedGather::new(std::mem::take(&mut self.buffered), &self.exprs)?;
            self.rows = 0;
            for chunk in 0..gather.chunks(size) {
                write(gather.chunk(chunk, size)?)?;
            }
        } else {
            for slice in slices(self.sort_buffered()?, size) {
                write(slice)?;
            }
        }
        self.largest_run_batch = largest;
        let run = writer.finish()?;
        record_spill_event(self.metrics.as_deref());
        run.record(self.metrics.as_deref());
        self.runs.push(run);
        self.reservation.free();
        Ok(())
    }

    /// The sorted output: the buffer sorted in memory, or, when runs were
    /// spilled, the buffer spilled too and all the runs merged.
    async fn finish(mut self) -> Result<SendableRecordBatchStream> {
        if let Some(m) = &self.metrics {
            m.add_peak_memory(self.reservation.peak());
        }
        let plain = self.fetch.is_none() && self.first_per_partition.is_none();
        if self.runs.is_empty() && plain && self.rows > 0 && !has_nested(&self.schema) {
            let batches = std::mem::take(&mut self.buffered);
            return gathered_in_order(
                Arc::clone(&self.schema),
                batches,
                &self.exprs,
                self.ctx.batch_size,
                self.reservation,
            );
        }
        if self.runs.is_empty() {
            let in_memory = match self.rows {
                0 => vec![],
                _ => slices(self.sort_buffered()?, self.ctx.batch_size),
            };
            let in_memory = release_as_sent(in_memory, self.reservation);
            return Ok(RecordBatchStreamAdapter::boxed(
                Arc::clone(&self.schema),
                in_memory,
            ));
        }
        if self.rows > 0 {
            self.spill()?;
        }
        self.merge_all_runs().await
    }

    /// Merges the spilled runs into one sorted stream. Merging holds a
    /// batch of each run, charged to the reservation; when that cannot
    /// hold one per run, groups of as many runs as it can hold are first
    /// merged into longer runs (a cascaded merge).
    async fn merge_all_runs(mut self) -> Result<SendableRecordBatchStream> {
        loop {
            let fan_in = self.merge_fan_in();
            if fan_in >= self.runs.len() {
                break;
            }
            let group: Vec<SpillFile> = self.runs.drain(..fan_in).collect();
            let merged = self.merge_into_run(group).await?;
            self.runs.push(merged);
            self.reservation.free();
        }
        let inputs = std::mem::take(&mut self.runs)
            .into_iter()
            .map(SpillFile::into_stream)
            .collect::<Result<Vec<_>>>()?;
        let merged = merge_sorted_streams(
            Arc::clone(&self.schema),
            inputs,
            self.exprs,
            self.ctx.batch_size,
            self.fetch,
        )?;
        // The merge's batches stay charged until it is done.
        let reservation = self.reservation;
        let merged = merged.map(move |batch| {
            let _held = &reservation;
            batch
        });
        Ok(RecordBatchStreamAdapter::boxed(self.schema, merged))
    }

    /// How many runs one merge may read at once: as many as the
    /// reservation grows by (at least two), each charged twice its largest
    /// batch: the batch read back and its sort keys in row format.
    fn merge_fan_in(&mut self) -> usize {
        let per_run = 2 * self.largest_run_batch.max(1);
        let mut runs = 0;
        while runs < self.runs.len() && self.reservation.try_grow(per_run).is_ok() {
            runs += 1;
        }
        runs.max(2)
    }

    /// Merges `group` (sorted runs) into one run.
    async fn merge_into_run(&mut self, group: Vec<SpillFile>) -> Result<SpillFile> {
        let inputs = group
            .into_iter()
            .map(SpillFile::into_stream)
            .collect::<Result<Vec<_>>>()?;
        let mut merged = merge_sorted_streams(
            Arc::clone(&self.schema),
            inputs,
            self.exprs.clone(),
            self.ctx.batch_size,
            self.fetch,
        )?;
        let mut writer = SpillWriter::create(&self.ctx.spill_directory, Arc::clone(&self.schema))?;
        while let Some(batch) = merged.try_next().await? {
            self.largest_run_batch = self.largest_run_batch.max(batch_memory_size(&batch));
            writer.write(&batch)?;
            // Let cancellation (a dropped stream) take effect between batches.
            tokio::task::yield_now().await;
        }
        let run = writer.finish()?;
        run.record(self.metrics.as_deref());
        Ok(run)
    }
}

async fn sort_partition(
    mut input: SendableRecordBatchStream,
    mut sorter: PartitionSorter,
) -> Result<SendableRecordBatchStream> {
    let top = match sorter.first_per_partition {
        Some(limit) => TopPerGroup::try_new(limit, &sorter.exprs, Arc::clone(&sorter.schema))?,
        None => None,
    };
    if let Some(top) = top {
        return first_rows_per_partition(input, sorter, top).await;
    }
    while let Some(batch) = input.next().await {
        sorter.push(batch?)?;
        // Let cancellation (a dropped stream) take effect between batches.
        tokio::task::yield_now().await;
    }
    sorter.finish().await
}

/// The first rows of each window partition, sorted, found by keeping each
/// partition's best rows as they arrive ([`TopPerGroup`]) rather than by
/// sorting every row. What it keeps is bounded by the partitions and k, and
/// is charged to the sort's reservation (it does not spill).
async fn first_rows_per_partition(
    mut input: SendableRecordBatchStream,
    mut sorter: PartitionSorter,
    mut top: TopPerGroup,
) -> Result<SendableRecordBatchStream> {
    while let Some(batch) = input.next().await {
        top.push(batch?)?;
        sorter.reservation.try_resize(top.memory())?;
        // Let cancellation (a dropped stream) take effect between batches.
        tokio::task::yield_now().await;
    }
    if let Some(m) = &sorter.metrics {
        m.add_peak_memory(sorter.reservation.peak());
    }
    let sorted = top.finish()?;
    let batches = release_as_sent(slices(sorted, sorter.ctx.batch_size), sorter.reservation);
    Ok(RecordBatchStreamAdapter::boxed(sorter.schema, batches))
}

impl ExecutionPlan for SortExec {
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
        let mut text = match self.fetch {
            Some(k) => format!("TopK(fetch={k}): {}", display_sort_exprs(&self.exprs)),
            None => display_sort_exprs(&self.exprs),
        };
        if let Some(limit) = &self.first_per_partition {
            text.push_str(&format!(", {limit}"));
        }
        text
    }
    fn execute(
        &self,
        partition: usize,
        ctx: Arc<TaskContext>,
    ) -> Result<SendableRecordBatchStream> {
        let input = execute_child(&self.input, partition, Arc::clone(&ctx))?;
        let sorter = PartitionSorter {
            schema: self.schema(),
            exprs: self.exprs.clone(),
            fetch: self.fetch,
            metrics: ctx.operator_metrics(self),
            reservation: ctx.spillable_reservation(self.name(), partition),
            ctx,
            buffered: vec![],
            rows: 0,
            first_per_partition: self.first_per_partition,
            pruned_rows: 0,
            runs: vec![],
            largest_run_batch: 0,
        };
        let sorted = futures::stream::once(sort_partition(input, sorter)).try_flatten();
        Ok(RecordBatchStreamAdapter::boxed(self.schema(), sorted))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::memory_pool::MemoryPool;
    use crate::operators::memory::MemoryExec;
    use crate::operators::test_util::{collect_within, int_table, run_i64};
    use crate::physical_expr::ColumnExpr;
    use crate::plan::collect;
    use crate::spill::{SPILLED_ROWS, SPILL_COUNT};
    use arrow::array::{AsArray, Int64Array};
    use arrow::compute::{concat_batches, SortOptions};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};

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

    /// 5,000 distinct values 0..5000 in a shuffled order, in 50 batches.
    fn shuffled() -> (Arc<dyn ExecutionPlan>, usize) {
        let schema = Arc::new(Schema::new(vec![Field::new("a", DataType::Int64, false)]));
        let batches: Vec<RecordBatch> = (0..50)
            .map(|b| {
                let values = (b * 100..(b + 1) * 100).map(|i| (i * 7919) % 5000);
                let column = Arc::new(Int64Array::from_iter_values(values));
                RecordBatch::try_new(Arc::clone(&schema), vec![column]).unwrap()
            })
            .collect();
        let one_batch = charge(&batches[0]);
        let input = MemoryExec::try_new(schema, vec![batches]).unwrap();
        (Arc::new(input), one_batch)
    }

    /// Sorts the shuffled input ascending under a limit of ten batches;
    /// returns the values and the number of spills.
    async fn sort_within_ten_batches(fetch: Option<usize>) -> (Vec<i64>, u64) {
        let (input, one_batch) = shuffled();
        let mut asc = desc_a();
        asc[0].options.descending = false;
        let sort: Arc<dyn ExecutionPlan> = Arc::new(SortExec::new(asc, input, fetch));
        let (batches, metrics) = collect_within(&sort, 64, one_batch * 10).await;
        let values = batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        let spilled_rows = metrics.counter(SPILLED_ROWS).unwrap_or(0);
        let spills = metrics.counter(SPILL_COUNT).unwrap_or(0);
        assert!(spills == 0 || spilled_rows > 0);
        (values, spills)
    }

    #[tokio::test]
    async fn more_runs_than_memory_can_merge_at_once_are_merged_in_groups_first() {
        let (input, one_batch) = shuffled();
        let mut asc = desc_a();
        asc[0].options.descending = false;
        let sort: Arc<dyn ExecutionPlan> = Arc::new(SortExec::new(asc, input, None));
        let (batches, metrics) = collect_within(&sort, 64, one_batch * 3).await;
        let values: Vec<i64> = batches
            .iter()
            .flat_map(|b| b.column(0).as_primitive::<Int64Type>().values().to_vec())
            .collect();
        assert_eq!(values, (0..5000).collect::<Vec<i64>>());
        // Rows written again by the merges of groups of runs.
        let spilled_rows = metrics.counter(SPILLED_ROWS).unwrap_or(0);
        assert!(spilled_rows > 5000, "{spilled_rows} rows spilled");
    }

    #[tokio::test]
    async fn a_sort_past_its_memory_limit_spills_sorted_runs_and_merges_them() {
        let (values, spills) = sort_within_ten_batches(None).await;
        assert_eq!(values, (0..5000).collect::<Vec<i64>>());
        assert!(spills >= 4, "{spills} spills");
        let (top, spills) = sort_within_ten_batches(Some(3000)).await;
        assert_eq!(top, (0..3000).collect::<Vec<i64>>());
        assert!(spills >= 1, "{spills} spills");
        let (small_top, spills) = sort_within_ten_batches(Some(5)).await;
        assert_eq!((small_top, spills), (vec![0, 1, 2, 3, 4], 0));
    }

    #[test]
    fn row_format_sorts_agree_with_the_sort_kernel() {
        use arrow::array::StringArray;
        let names: StringArray = (0..300)
            .map(|i| (i % 7 != 0).then(|| format!("n{}", (i * 37) % 11)))
            .collect();
        let numbers: Int64Array = (0..300)
            .map(|i| (i % 5 != 0).then_some((i * 53) % 17))
            .collect();
        let batch = RecordBatch::try_from_iter([
            ("s", Arc::new(names) as ArrayRef),
            ("n", Arc::new(numbers) as ArrayRef),
        ])
        .unwrap();
        for (descending, nulls_first) in
            [(false, false), (true, false), (false, true), (true, true)]
        {
            let options = SortOptions {
                descending,
                nulls_first,
            };
            let keys: Vec<PhysicalSortExpr> = [("s", 0, DataType::Utf8), ("n", 1, DataType::Int64)]
                .into_iter()
                .map(|(name, i, t)| PhysicalSortExpr {
                    expr: Arc::new(ColumnExpr::new(name, i, t)),
                    options,
                })
                .collect();
            let reference_columns: Vec<SortColumn> = batch
                .columns()
                .iter()
                .map(|c| SortColumn {
                    values: Arc::clone(c),
                    options: Some(options),
                })
                .collect();
            for limit in [None, Some(0), Some(1), Some(40)] {
                let reference = lexsort_to_indices(&reference_columns, limit).unwrap();
                let expected = take_record_batch(&batch, &reference).unwrap();
                let sorted = sort_batch(&batch, &keys, limit).unwrap();
                assert_eq!(sorted, expected, "{options:?}, limit {limit:?}");
            }
            // Gathered from uneven batches, keys encoded batch by batch,
            // with the fixed-width key alone too.
            let expected = take_record_batch(
                &batch,
                &lexsort_to_indices(&reference_columns, None).unwrap(),
            )
            .unwrap();
            let parts = vec![
                batch.slice(0, 7),
                batch.slice(7, 150),
                batch.slice(157, 143),
            ];
            let only_numbers = &keys[1..];
            for keys in [&keys[..], only_numbers] {
                let gather = SortedGather::new(parts.clone(), keys).unwrap();
                let chunks = (0..gather.chunks(64))
                    .map(|c| gather.chunk(c, 64).unwrap())
                    .collect::<Vec<_>>();
                assert_eq!(gather.chunks(64), 5);
                let gathered = concat_batches(&batch.schema(), &chunks).unwrap();
                if keys.len() == 2 {
                    assert_eq!(gathered, expected, "{options:?}");
                } else {
                    let numbers = sort_batch(&batch, keys, None).unwrap();
                    assert_eq!(gathered.column(1), numbers.column(1), "{options:?}");
                }
            }
        }
    }

    #[tokio::test]
    async fn a_batch_larger_than_the_limit_fails_naming_the_sort() {
        let (input, one_batch) = shuffled();
        let sort = Arc::new(SortExec::new(desc_a(), input, None));
        let ctx = TaskContext {
            memory_pool: Arc::new(MemoryPool::new(Some(one_batch / 2))),
            ..Default::default()
        };
        let err = collect(sort, Arc::new(ctx)).await.unwrap_err().to_string();
        assert!(
            err.starts_with("Out of memory: SortExec partition 0 needs"),
            "{err}"
        );
    }
}

//! A sort's output, or a run it spills, gathered a batch at a time straight
//! from the buffered input batches: only the sort keys are encoded and
//! sorted, and each output batch takes its rows from wherever they are
//! (`interleave`). The input is never copied whole, so the sort holds its
//! input, its keys and one output batch rather than its input and a sorted
//! copy of it.
//!
//! Gathered view columns (`Utf8View`) list every input buffer, so each
//! output batch is compacted (`compaction.rs`); nested columns, whose
//! children might be views, are left to the copying path.

use arrow::array::UInt32Array;
use arrow::compute::interleave_record_batch;
use arrow::datatypes::SchemaRef;
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use quiver_expr::Result;

use super::sort::sorted_order;
use super::PhysicalSortExpr;
use crate::compaction::compacted;
use crate::memory_pool::MemoryReservation;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Whether `schema` has a nested column, whose children might be views
/// that [`compacted`] does not reach.
pub(crate) fn has_nested(schema: &SchemaRef) -> bool {
    schema.fields().iter().any(|f| f.data_type().is_nested())
}

/// Buffered batches and the order of all their rows: output batches are
/// gathered from them one at a time.
pub(crate) struct SortedGather {
    batches: Vec<RecordBatch>,
    /// Every row's number (counted batch after batch), in sorted order.
    order: UInt32Array,
    /// Where each batch starts among all rows.
    starts: Vec<usize>,
}

impl SortedGather {
    /// Sorts the rows of `batches` by `exprs`.
    pub(crate) fn new(batches: Vec<RecordBatch>, exprs: &[PhysicalSortExpr]) -> Result<Self> {
        let order = sorted_order(&batches, exprs)?;
        let mut starts = Vec::with_capacity(batches.len());
        let mut rows = 0;
        for b in &batches {
            starts.push(rows);
            rows += b.num_rows();
        }
        Ok(Self {
            batches,
            order,
            starts,
        })
    }

    /// How many output batches of `size` rows the rows make.
    pub(crate) fn chunks(&self, size: usize) -> usize {
        self.order.len().div_ceil(size.max(1))
    }

    /// Output batch `chunk`: the rows from `chunk * size` on, at most `size`
    /// of them. View columns still reference the input batches' buffers.
    pub(crate) fn chunk(&self, chunk: usize, size: usize) -> Result<RecordBatch> {
        let size = size.max(1);
        let from = chunk * size;
        let to = (from + size).min(self.order.len());
        // Where each row of this output batch is: (input batch, row in it).
        let places: Vec<(usize, usize)> = self.order.values()[from..to]
            .iter()
            .map(|&row| {
                let row = row as usize;
                let batch = self.starts.partition_point(|&s| s <= row) - 1;
                (batch, row - self.starts[batch])
            })
            .collect();
        let sources: Vec<&RecordBatch> = self.batches.iter().collect();
        Ok(interleave_record_batch(&sources, &places)?)
    }
}

/// `batches` in the order of `exprs`, `batch_size` rows a batch, giving
/// `reservation` back a share at a time as batches are sent.
pub(crate) fn gathered_in_order(
    schema: SchemaRef,
    batches: Vec<RecordBatch>,
    exprs: &[PhysicalSortExpr],
    batch_size: usize,
    mut reservation: MemoryReservation,
) -> Result<SendableRecordBatchStream> {
    let gather = SortedGather::new(batches, exprs)?;
    let chunks = gather.chunks(batch_size);
    let stream = futures::stream::iter(0..chunks).map(move |chunk| {
        // Gathered view columns would pin every input buffer's strings.
        let batch = compacted(gather.chunk(chunk, batch_size)?)?;
        reservation.shrink(reservation.size() / (chunks - chunk).max(1));
        Ok(batch)
    });
    Ok(RecordBatchStreamAdapter::boxed(schema, stream))
}

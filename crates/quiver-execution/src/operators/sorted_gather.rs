//! The output of a sort that fits in memory, gathered a batch at a time
//! straight from the buffered input batches: only the sort keys are put
//! together and sorted, and each output batch takes its rows from wherever
//! they are (`interleave`). The input is never copied whole, so the sort
//! holds its input and one output batch rather than its input and a
//! sorted copy of it.
//!
//! View columns (`Utf8View`) are left to the copying path, which compacts
//! them (`compaction.rs`): gathered views would pin every input buffer.

use std::sync::Arc;

use arrow::compute::{concat, interleave_record_batch, SortColumn};
use arrow::datatypes::{DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use futures::StreamExt;
use quiver_expr::Result;

use super::sort::sort_indices;
use super::PhysicalSortExpr;
use crate::memory_pool::MemoryReservation;
use crate::stream::{RecordBatchStreamAdapter, SendableRecordBatchStream};

/// Whether `schema` has a view column, or a nested column (whose children
/// might be views).
pub(crate) fn has_views(schema: &SchemaRef) -> bool {
    schema.fields().iter().any(|f| {
        matches!(f.data_type(), DataType::Utf8View | DataType::BinaryView)
            || f.data_type().is_nested()
    })
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
    let mut columns = vec![];
    for e in exprs {
        let parts = batches
            .iter()
            .map(|b| e.expr.evaluate_to_array(b))
            .collect::<Result<Vec<_>>>()?;
        let parts: Vec<&dyn arrow::array::Array> = parts.iter().map(|a| a.as_ref()).collect();
        columns.push(SortColumn {
            values: concat(&parts)?,
            options: Some(e.options),
        });
    }
    let order = sort_indices(&columns, None)?;
    drop(columns);
    // Where each batch starts among all rows.
    let mut starts = Vec::with_capacity(batches.len());
    let mut rows = 0;
    for b in &batches {
        starts.push(rows);
        rows += b.num_rows();
    }
    let size = batch_size.max(1);
    let chunks = order.len().div_ceil(size);
    let out_schema = Arc::clone(&schema);
    let stream = futures::stream::iter(0..chunks).map(move |chunk| {
        let from = chunk * size;
        let to = (from + size).min(order.len());
        // Where each row of this output batch is: (input batch, row in it).
        let places: Vec<(usize, usize)> = order.values()[from..to]
            .iter()
            .map(|&row| {
                let row = row as usize;
                let batch = starts.partition_point(|&s| s <= row) - 1;
                (batch, row - starts[batch])
            })
            .collect();
        let sources: Vec<&RecordBatch> = batches.iter().collect();
        let batch = interleave_record_batch(&sources, &places)?;
        reservation.shrink(reservation.size() / (chunks - chunk).max(1));
        Ok(batch)
    });
    Ok(RecordBatchStreamAdapter::boxed(out_schema, stream))
}

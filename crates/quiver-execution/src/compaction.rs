//! Concatenation that compacts string and binary view columns.
//!
//! A view array (`Utf8View`, `BinaryView`) keeps its longer values in
//! shared data buffers. `take`, `filter` and `concat` copy only the views
//! and keep a reference to every buffer of their input, so a few rows taken
//! from a large scan pin all of its bytes, and concatenating batches that
//! share buffers lists each buffer once per batch. Operators that gather
//! many batches into one (a join's build side, a sort) repeat this at every
//! level of a plan, and the buffer lists then grow multiplicatively: each
//! later `take` copies the whole list. Rewriting such a column with only the
//! bytes its views reach keeps both memory and buffer lists proportional to
//! the rows actually held.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, GenericByteViewArray};
use arrow::compute::concat_batches;
use arrow::datatypes::{BinaryViewType, ByteViewType, DataType, SchemaRef};
use arrow::record_batch::RecordBatch;
use quiver_expr::Result;

/// Unreferenced bytes a view column may carry before it is compacted.
const WASTE_ALLOWANCE: usize = 64 * 1024;

/// `batches` as one batch (with `schema`), with every view column whose
/// buffers are mostly unreferenced rewritten to hold only its values.
pub(crate) fn concat_compacted(schema: &SchemaRef, batches: &[RecordBatch]) -> Result<RecordBatch> {
    compacted(concat_batches(schema, batches)?)
}

/// `batch` with every view column whose buffers are mostly unreferenced
/// rewritten to hold only its values: for a batch gathered from many
/// others (a merge's output), which would otherwise pin all of theirs.
pub(crate) fn compacted(batch: RecordBatch) -> Result<RecordBatch> {
    if !batch
        .columns()
        .iter()
        .any(|c| matches!(c.data_type(), DataType::Utf8View | DataType::BinaryView))
    {
        return Ok(batch);
    }
    let columns = batch
        .columns()
        .iter()
        .map(|c| compact_column(c, WASTE_ALLOWANCE))
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `batch` with every view column that references bytes outside its rows
/// rewritten to hold only its own, for writing to a spill file or keeping
/// a small share of a batch for long: a file holds a buffer once per batch
/// that lists it, and a kept share would pin the whole batch's strings.
pub fn compact_for_writing(batch: &RecordBatch) -> Result<RecordBatch> {
    let columns = batch
        .columns()
        .iter()
        .map(|c| compact_column(c, 0))
        .collect();
    Ok(RecordBatch::try_new(batch.schema(), columns)?)
}

/// `column` rewritten with only the bytes it uses, if it is a view column
/// that wastes more than it uses and more than `allowance` bytes;
/// otherwise `column` itself.
fn compact_column(column: &ArrayRef, allowance: usize) -> ArrayRef {
    let compacted = match column.data_type() {
        DataType::Utf8View => compact_views(column.as_string_view(), allowance),
        DataType::BinaryView => compact_views(column.as_byte_view::<BinaryViewType>(), allowance),
        _ => None,
    };
    compacted.unwrap_or_else(|| Arc::clone(column))
}

/// The compacted copy of `array`, or `None` when it is compact enough.
/// Buffers listed more than once count once per listing, so duplicated
/// buffer lists are compacted too.
fn compact_views<T: ByteViewType + ?Sized>(
    array: &GenericByteViewArray<T>,
    allowance: usize,
) -> Option<ArrayRef> {
    // A buffer sliced from a larger allocation (an IPC message body read
    // back from a spill file holds every column) keeps all of it alive.
    let held: usize = array
        .data_buffers()
        .iter()
        .map(|b| b.len().max(b.capacity()))
        .sum();
    let used = array.total_buffer_bytes_used();
    let waste = held.saturating_sub(used);
    let wasteful = waste > allowance && (allowance == 0 || waste > used);
    wasteful.then(|| Arc::new(array.gc()) as ArrayRef)
}

#[cfg(test)]
mod tests {
    use arrow::array::{StringViewArray, UInt32Array};
    use arrow::compute::take;
    use arrow::datatypes::{Field, Schema};

    use super::*;

    fn long_strings(rows: usize) -> StringViewArray {
        (0..rows)
            .map(|i| Some(format!("a value long enough not to be inlined {i}")))
            .collect()
    }

    fn schema() -> SchemaRef {
        Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8View, true)]))
    }

    fn buffer_bytes(batch: &RecordBatch) -> usize {
        let column = batch.column(0).as_string_view();
        column.data_buffers().iter().map(|b| b.len()).sum()
    }

    #[test]
    fn few_rows_taken_from_a_large_column_keep_only_their_bytes() {
        let large = long_strings(100_000);
        let picked = take(&large, &UInt32Array::from(vec![3, 99_999]), None).unwrap();
        let batch = RecordBatch::try_new(schema(), vec![picked]).unwrap();
        let copies = vec![batch; 4];
        let out = concat_compacted(&schema(), &copies).unwrap();
        assert_eq!(out.num_rows(), 8);
        assert!(
            buffer_bytes(&out) < 1024,
            "{} bytes kept",
            buffer_bytes(&out)
        );
        let values = out.column(0).as_string_view();
        assert_eq!(values.value(0), "a value long enough not to be inlined 3");
        assert_eq!(
            values.value(7),
            "a value long enough not to be inlined 99999"
        );
    }

    #[test]
    fn compact_columns_are_left_as_they_are() {
        let column: ArrayRef = Arc::new(long_strings(10_000));
        let batch = RecordBatch::try_new(schema(), vec![Arc::clone(&column)]).unwrap();
        let out = concat_compacted(&schema(), &[batch]).unwrap();
        let before = column.as_string_view().data_buffers()[0].as_ptr();
        let after = out.column(0).as_string_view().data_buffers()[0].as_ptr();
        assert_eq!(before, after, "a compact column is not copied");
    }

    #[test]
    fn nulls_and_other_columns_survive() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("s", DataType::Utf8View, true),
            Field::new("n", DataType::UInt32, false),
        ]));
        let large = long_strings(50_000);
        let strings = take(&large, &UInt32Array::from(vec![Some(1), None]), None).unwrap();
        let numbers: ArrayRef = Arc::new(UInt32Array::from(vec![7, 8]));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![strings, numbers]).unwrap();
        let out = concat_compacted(&schema, &[batch.clone(), batch]).unwrap();
        let values = out.column(0).as_string_view();
        assert!(values.is_null(1) && values.is_null(3));
        assert_eq!(values.value(2), "a value long enough not to be inlined 1");
        assert_eq!(
            out.column(1)
                .as_primitive::<arrow::datatypes::UInt32Type>()
                .values(),
            &[7, 8, 7, 8]
        );
    }
}

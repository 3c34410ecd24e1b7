//! Skipping pages inside the row groups a scan reads. When a file has a
//! page index (per page: the column's min and max, where the page starts
//! and how many rows it holds), each bound of the scan's filter is checked
//! against every page of its column; rows in refuted pages are skipped, and
//! the reader then fetches and decodes only pages that hold selected rows.

use arrow::array::Array;
use arrow::datatypes::Schema;
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::arrow::arrow_reader::{RowSelection, RowSelector};
use parquet::file::metadata::ParquetMetaData;

use crate::row_group_pruning::Bound;

/// The rows of `row_groups` (read in that order) that may pass every
/// bound, or `None` when the page index rules nothing out (or the file
/// has none). `schema` is the file's Arrow schema.
pub(crate) fn rows_to_read(
    metadata: &ParquetMetaData,
    schema: &Schema,
    row_groups: &[usize],
    bounds: &[Bound],
) -> Option<RowSelection> {
    let selection = bounds
        .iter()
        .filter_map(|bound| bound_selection(metadata, schema, row_groups, bound))
        .reduce(|all, one| all.intersection(&one))?;
    let skips = selection.iter().any(|s| s.skip);
    skips.then_some(selection)
}

/// The rows of `row_groups` in pages where `bound` may hold.
fn bound_selection(
    metadata: &ParquetMetaData,
    schema: &Schema,
    row_groups: &[usize],
    bound: &Bound,
) -> Option<RowSelection> {
    let column_index = metadata.column_index()?;
    let offset_index = metadata.offset_index()?;
    let descr = metadata.file_metadata().schema_descr();
    let converter = StatisticsConverter::try_new(bound.column(), schema, descr).ok()?;
    let mins = converter
        .data_page_mins(column_index, offset_index, row_groups)
        .ok()?;
    let maxes = converter
        .data_page_maxes(column_index, offset_index, row_groups)
        .ok()?;
    let rows = converter
        .data_page_row_counts(offset_index, metadata.row_groups(), row_groups)
        .ok()??;
    let may_hold = bound.may_hold(&mins, &maxes)?;
    if may_hold.len() != rows.len() {
        return None;
    }
    let selectors: Vec<RowSelector> = (0..rows.len())
        .map(|page| {
            let count = rows.value(page) as usize;
            if may_hold.is_valid(page) && !may_hold.value(page) {
                RowSelector::skip(count)
            } else {
                RowSelector::select(count)
            }
        })
        .collect();
    Some(RowSelection::from(selectors))
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};
    use arrow::record_batch::RecordBatch;
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions};
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;
    use quiver_expr::{Column, Expr, Operator, ScalarValue};

    use super::*;
    use crate::row_group_pruning::bounds;

    /// One row group of ids 0..1000 in pages of 100 rows, with a page index.
    fn metadata(page_index: bool) -> ArrowReaderMetadata {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("name", DataType::Utf8, false),
        ]));
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..1000));
        let names: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..1000).map(|i| format!("n{i}")),
        ));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![ids, names]).unwrap();
        let props = WriterProperties::builder()
            .set_data_page_row_count_limit(100)
            .set_write_batch_size(100)
            .build();
        let mut bytes = vec![];
        let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        let options = ArrowReaderOptions::new().with_page_index_policy(page_index.into());
        ArrowReaderMetadata::load(&Bytes::from(bytes), options).unwrap()
    }

    fn id_bound(op: Operator, value: i64) -> Vec<Bound> {
        bounds(&[Expr::Binary(
            Box::new(Expr::Column(Column::bare("id"))),
            op,
            Box::new(Expr::Literal(ScalarValue::Int64(Some(value)))),
        )])
    }

    fn selected_rows(selection: &RowSelection) -> usize {
        selection
            .iter()
            .filter(|s| !s.skip)
            .map(|s| s.row_count)
            .sum()
    }

    #[test]
    fn pages_outside_a_bound_are_skipped() {
        let file = metadata(true);
        let (meta, schema) = (file.metadata(), file.schema());
        let point = rows_to_read(meta, schema, &[0], &id_bound(Operator::Eq, 450)).unwrap();
        assert_eq!(selected_rows(&point), 100);
        let range = rows_to_read(meta, schema, &[0], &id_bound(Operator::GtEq, 700)).unwrap();
        assert_eq!(selected_rows(&range), 300);
        let both: Vec<Bound> = [id_bound(Operator::Gt, 150), id_bound(Operator::Lt, 320)].concat();
        assert_eq!(
            selected_rows(&rows_to_read(meta, schema, &[0], &both).unwrap()),
            300
        );
    }

    #[test]
    fn nothing_skipped_or_no_index_means_no_selection() {
        let file = metadata(true);
        let all = id_bound(Operator::GtEq, 0);
        assert!(rows_to_read(file.metadata(), file.schema(), &[0], &all).is_none());
        let unindexed = metadata(false);
        let point = id_bound(Operator::Eq, 450);
        assert!(rows_to_read(unindexed.metadata(), unindexed.schema(), &[0], &point).is_none());
    }
}

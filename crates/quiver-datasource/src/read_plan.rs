//! Which byte ranges the Parquet decoder will ask a file for, row group by
//! row group, so that an object reader can fetch them ahead of it.

use std::ops::Range;

use parquet::arrow::arrow_reader::RowSelection;
use parquet::arrow::ProjectionMask;
use parquet::file::metadata::ParquetMetaData;

/// The byte ranges read from a file described by `metadata` when the
/// decoder reads `row_groups` in that order, projected by `mask`: each
/// wanted column chunk whole or, under a `selection` of rows and with a page
/// index, the pages holding selected rows (with the dictionary page before
/// them), as the decoder does. Row groups without a selected row are left
/// out: the decoder skips them.
pub(crate) fn planned_ranges(
    metadata: &ParquetMetaData,
    row_groups: &[usize],
    mask: &ProjectionMask,
    selection: Option<&RowSelection>,
) -> Vec<Vec<Range<u64>>> {
    let mut remaining = selection.cloned();
    row_groups
        .iter()
        .filter_map(|&rg| {
            let row_group = metadata.row_group(rg);
            let rows = usize::try_from(row_group.num_rows()).unwrap_or(0);
            let selected = remaining.as_mut().map(|s| s.split_off(rows));
            if selected.as_ref().is_some_and(|s| !s.selects_any()) {
                return None;
            }
            let pages = metadata.offset_index().and_then(|index| index.get(rg));
            let ranges = row_group
                .columns()
                .iter()
                .enumerate()
                .filter(|(leaf, _)| mask.leaf_included(*leaf))
                .flat_map(|(leaf, chunk)| {
                    let (start, length) = chunk.byte_range();
                    let locations = pages.and_then(|p| p.get(leaf)).map(|o| o.page_locations());
                    match (&selected, locations) {
                        (Some(selected), Some(locations)) => {
                            let first = locations.first().map(|p| p.offset as u64);
                            let dictionary = first
                                .filter(|&offset| offset != start)
                                .map(|offset| start..offset);
                            let mut ranges: Vec<Range<u64>> = dictionary.into_iter().collect();
                            ranges.extend(selected.scan_ranges(locations));
                            ranges
                        }
                        _ => std::iter::once(start..start + length).collect(),
                    }
                })
                .collect();
            Some(ranges)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use std::sync::{Arc, Mutex};

    use arrow::array::{ArrayRef, Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use arrow::record_batch::RecordBatch;
    use bytes::Bytes;
    use futures::future::BoxFuture;
    use futures::{FutureExt, TryStreamExt};
    use parquet::arrow::arrow_reader::{ArrowReaderMetadata, ArrowReaderOptions, RowSelector};
    use parquet::arrow::async_reader::AsyncFileReader;
    use parquet::arrow::{ArrowWriter, ParquetRecordBatchStreamBuilder};
    use parquet::file::metadata::PageIndexPolicy;
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// Three row groups of 1000 rows (an id, a dictionary-encoded string, a
    /// plain string) in pages of 100 rows, with a page index.
    fn file() -> Bytes {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, false),
            Field::new("colour", DataType::Utf8, false),
            Field::new("name", DataType::Utf8, false),
        ]));
        let ids: ArrayRef = Arc::new(Int64Array::from_iter_values(0..3000));
        let colours: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..3000).map(|i| ["red", "green", "blue"][i % 3]),
        ));
        let names: ArrayRef = Arc::new(StringArray::from_iter_values(
            (0..3000).map(|i| format!("name {i}")),
        ));
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![ids, colours, names]).unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(1000))
            .set_data_page_row_count_limit(100)
            .set_write_batch_size(100)
            .set_column_dictionary_enabled("name".into(), false)
            .build();
        let mut bytes = vec![];
        let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        Bytes::from(bytes)
    }

    /// A file in memory that records the ranges the decoder asks for.
    struct Recording {
        bytes: Bytes,
        asked: Arc<Mutex<Vec<Vec<Range<u64>>>>>,
    }

    impl AsyncFileReader for Recording {
        fn get_bytes(
            &mut self,
            range: Range<u64>,
        ) -> BoxFuture<'_, parquet::errors::Result<Bytes>> {
            let bytes = self.bytes.slice(range.start as usize..range.end as usize);
            async move { Ok(bytes) }.boxed()
        }

        fn get_byte_ranges(
            &mut self,
            ranges: Vec<Range<u64>>,
        ) -> BoxFuture<'_, parquet::errors::Result<Vec<Bytes>>> {
            self.asked.lock().unwrap().push(ranges.clone());
            let bytes = ranges
                .iter()
                .map(|r| self.bytes.slice(r.start as usize..r.end as usize))
                .collect();
            async move { Ok(bytes) }.boxed()
        }

        fn get_metadata<'a>(
            &'a mut self,
            _options: Option<&'a ArrowReaderOptions>,
        ) -> BoxFuture<'a, parquet::errors::Result<Arc<ParquetMetaData>>> {
            async move { Err(parquet::errors::ParquetError::General("not used".into())) }.boxed()
        }
    }

    /// The ranges the decoder asks for reading `row_groups` with `columns`
    /// under `selection`, per request, and the plan for the same read.
    async fn asked_and_planned(
        row_groups: Vec<usize>,
        columns: Vec<usize>,
        selection: Option<RowSelection>,
    ) -> (Vec<Vec<Range<u64>>>, Vec<Vec<Range<u64>>>) {
        let bytes = file();
        let options = ArrowReaderOptions::new().with_page_index_policy(PageIndexPolicy::Required);
        let metadata = ArrowReaderMetadata::load(&bytes, options).unwrap();
        let mask =
            ProjectionMask::roots(metadata.metadata().file_metadata().schema_descr(), columns);
        let planned = planned_ranges(metadata.metadata(), &row_groups, &mask, selection.as_ref());
        let asked = Arc::new(Mutex::new(vec![]));
        let reader = Recording {
            bytes,
            asked: Arc::clone(&asked),
        };
        let mut builder = ParquetRecordBatchStreamBuilder::new_with_metadata(reader, metadata)
            .with_projection(mask)
            .with_row_groups(row_groups);
        if let Some(selection) = selection {
            builder = builder.with_row_selection(selection);
        }
        let _: Vec<RecordBatch> = builder.build().unwrap().try_collect().await.unwrap();
        let asked = asked.lock().unwrap().clone();
        (asked, planned)
    }

    #[tokio::test]
    async fn without_a_selection_the_plan_is_what_the_decoder_asks_for() {
        let (asked, planned) = asked_and_planned(vec![2, 0], vec![0, 2], None).await;
        assert_eq!(asked, planned);
        assert_eq!(planned.len(), 2);
    }

    #[tokio::test]
    async fn under_a_selection_the_plan_holds_the_pages_the_decoder_asks_for() {
        // Row group 0: rows 150..250 (pages 1 and 2); row group 1: nothing;
        // row group 2: its last 50 rows.
        let selection = RowSelection::from(vec![
            RowSelector::skip(150),
            RowSelector::select(100),
            RowSelector::skip(750 + 1000 + 950),
            RowSelector::select(50),
        ]);
        let (asked, planned) =
            asked_and_planned(vec![0, 1, 2], vec![0, 1, 2], Some(selection)).await;
        assert_eq!(asked.len(), 2, "row group 1 is skipped: {asked:?}");
        assert_eq!(asked, planned);
        // The dictionary of `colour` and the selected pages only.
        let pages: u64 = planned[0].iter().map(|r| r.end - r.start).sum();
        let chunks: u64 = asked_and_planned(vec![0], vec![0, 1, 2], None).await.1[0]
            .iter()
            .map(|r| r.end - r.start)
            .sum();
        assert!(pages < chunks / 2, "{pages} of {chunks} bytes");
    }
}

//! Column statistics of a Parquet table from its footers: the smallest and
//! largest value and the NULL count over every row group of every file, and
//! a distinct-count bound for integer and date columns (the width of their
//! value range). Used by the optimizer's estimates; nothing is read but the
//! footers already in memory.

use std::cmp::Ordering;
use std::fs::File;
use std::path::Path;

use arrow::array::{Array, ArrayRef};
use arrow::datatypes::{DataType, Schema};
use parquet::arrow::arrow_reader::statistics::StatisticsConverter;
use parquet::column::page::Page;
use parquet::file::metadata::ParquetMetaData;
use parquet::file::reader::{FileReader, SerializedFileReader};
use quiver_expr::{ColumnStatistics, ScalarValue};

/// One file's footer and Arrow schema.
pub(crate) struct FileFooter<'a> {
    pub metadata: &'a ParquetMetaData,
    pub schema: &'a Schema,
}

/// The statistics of column `name` (of type `data_type` in the table) over
/// `files`. A file without the column counts its rows as NULLs; a row group
/// without min/max statistics makes min and max unknown.
pub(crate) fn column_statistics(
    files: &[FileFooter<'_>],
    name: &str,
    data_type: &DataType,
) -> ColumnStatistics {
    let mut bounds = Some((None::<ScalarValue>, None::<ScalarValue>));
    let mut null_count = Some(0usize);
    let mut rows = 0usize;
    for file in files {
        let file_rows = usize::try_from(file.metadata.file_metadata().num_rows()).unwrap_or(0);
        rows += file_rows;
        if file.schema.field_with_name(name).is_err() {
            null_count = null_count.map(|n| n + file_rows);
            continue;
        }
        let Ok(converter) = StatisticsConverter::try_new(
            name,
            file.schema,
            file.metadata.file_metadata().schema_descr(),
        ) else {
            bounds = None;
            null_count = None;
            continue;
        };
        let row_groups = file.metadata.row_groups();
        null_count = match (null_count, converter.row_group_null_counts(row_groups)) {
            (Some(n), Ok(counts)) if counts.null_count() == 0 => {
                Some(n + counts.values().iter().map(|&c| c as usize).sum::<usize>())
            }
            _ => None,
        };
        let mins = converter.row_group_mins(row_groups).ok();
        let maxes = converter.row_group_maxes(row_groups).ok();
        bounds = match (bounds, mins, maxes) {
            (Some((lo, hi)), Some(mins), Some(maxes)) => {
                extreme(lo, &mins, data_type, Ordering::Less)
                    .zip(extreme(hi, &maxes, data_type, Ordering::Greater))
                    .map(|(lo, hi)| (Some(lo), Some(hi)))
            }
            _ => None,
        };
    }
    let (min, max) = bounds.unwrap_or_default();
    let non_null = rows.saturating_sub(null_count.unwrap_or(0));
    let distinct = match (&min, &max) {
        (Some(lo), Some(hi)) => value_span(lo, hi).map(|span| span.min(non_null)),
        _ => None,
    };
    ColumnStatistics {
        min,
        max,
        null_count,
        distinct,
    }
}

/// The number of entries in the dictionary of column `leaf` (a leaf index of
/// the file's Parquet schema) in the first row group of the local file at
/// `path`, which holds that many distinct values: a distinct-count estimate
/// for columns without one from their range, such as strings. A lower bound
/// when the writer fell back from dictionary to plain encoding. `None` when
/// the chunk has no dictionary or cannot be read.
pub(crate) fn dictionary_entries(path: &Path, leaf: usize) -> Option<usize> {
    let reader = SerializedFileReader::new(File::open(path).ok()?).ok()?;
    let row_group = reader.get_row_group(0).ok()?;
    row_group.metadata().column(leaf).dictionary_page_offset()?;
    let mut pages = row_group.get_column_page_reader(leaf).ok()?;
    match pages.get_next_page().ok()?? {
        Page::DictionaryPage { num_values, .. } => usize::try_from(num_values).ok(),
        _ => None,
    }
}

/// `current` replaced by any value of `values` that compares `wanted` to it,
/// converted to `data_type`; `None` when a row group has no statistic or a
/// value cannot be converted or compared.
fn extreme(
    current: Option<ScalarValue>,
    values: &ArrayRef,
    data_type: &DataType,
    wanted: Ordering,
) -> Option<ScalarValue> {
    if values.null_count() > 0 {
        return None;
    }
    let mut best = current;
    for i in 0..values.len() {
        let value = ScalarValue::try_from_array(values, i)
            .ok()?
            .cast_to(data_type)
            .ok()?;
        best = match best {
            Some(b) if value.partial_cmp(&b)? != wanted => Some(b),
            _ => Some(value),
        };
    }
    best
}

/// How many values lie in `lo..=hi` for integer and date types; `None`
/// for types whose values are not countable that way.
fn value_span(lo: &ScalarValue, hi: &ScalarValue) -> Option<usize> {
    let as_i64 = |v: &ScalarValue| -> Option<i64> {
        match v {
            ScalarValue::Int8(x) => x.map(i64::from),
            ScalarValue::Int16(x) => x.map(i64::from),
            ScalarValue::Int32(x) | ScalarValue::Date32(x) => x.map(i64::from),
            ScalarValue::Int64(x) => *x,
            ScalarValue::UInt8(x) => x.map(i64::from),
            ScalarValue::UInt16(x) => x.map(i64::from),
            ScalarValue::UInt32(x) => x.map(i64::from),
            ScalarValue::UInt64(x) => x.and_then(|x| i64::try_from(x).ok()),
            _ => None,
        }
    };
    let span = as_i64(hi)?.checked_sub(as_i64(lo)?)?;
    usize::try_from(span).ok()?.checked_add(1)
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::Field;
    use arrow::record_batch::RecordBatch;
    use bytes::Bytes;
    use parquet::arrow::arrow_reader::ArrowReaderMetadata;
    use parquet::arrow::ArrowWriter;
    use parquet::file::properties::WriterProperties;

    use super::*;

    /// A file with two row groups of three rows: id 1..=6 with one NULL,
    /// name "b".."g".
    fn footer() -> ArrowReaderMetadata {
        ArrowReaderMetadata::load(&Bytes::from(file_bytes()), Default::default()).unwrap()
    }

    fn file_bytes() -> Vec<u8> {
        let schema = Arc::new(Schema::new(vec![
            Field::new("id", DataType::Int64, true),
            Field::new("name", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(vec![
                    Some(4),
                    Some(2),
                    None,
                    Some(9),
                    Some(5),
                    Some(6),
                ])),
                Arc::new(StringArray::from(vec!["d", "b", "c", "g", "e", "f"])),
            ],
        )
        .unwrap();
        let props = WriterProperties::builder()
            .set_max_row_group_row_count(Some(3))
            .build();
        let mut bytes = vec![];
        let mut writer = ArrowWriter::try_new(&mut bytes, schema, Some(props)).unwrap();
        writer.write(&batch).unwrap();
        writer.close().unwrap();
        bytes
    }

    #[test]
    fn the_first_dictionary_counts_distinct_values() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("t.parquet");
        std::fs::write(&path, file_bytes()).unwrap();
        // The first row group holds names d, b, c; leaf 1 is `name`.
        assert_eq!(dictionary_entries(&path, 1), Some(3));
        assert_eq!(dictionary_entries(&dir.path().join("absent"), 1), None);
    }

    #[test]
    fn min_max_nulls_and_distinct_bound_over_row_groups() {
        let meta = footer();
        let files = [FileFooter {
            metadata: meta.metadata(),
            schema: meta.schema(),
        }];
        let id = column_statistics(&files, "id", &DataType::Int64);
        assert_eq!(id.min, Some(ScalarValue::Int64(Some(2))));
        assert_eq!(id.max, Some(ScalarValue::Int64(Some(9))));
        assert_eq!(id.null_count, Some(1));
        // 2..=9 holds 8 values but only 5 rows are not NULL.
        assert_eq!(id.distinct, Some(5));
        let name = column_statistics(&files, "name", &DataType::Utf8);
        assert_eq!(name.min, Some(ScalarValue::Utf8(Some("b".into()))));
        assert_eq!(name.max, Some(ScalarValue::Utf8(Some("g".into()))));
        assert_eq!(name.distinct, None);
    }

    #[test]
    fn a_file_without_the_column_adds_nulls() {
        let meta = footer();
        let file = FileFooter {
            metadata: meta.metadata(),
            schema: meta.schema(),
        };
        let other = FileFooter {
            metadata: meta.metadata(),
            schema: &Schema::new(vec![Field::new("x", DataType::Int64, true)]),
        };
        let stats = column_statistics(&[file, other], "id", &DataType::Int64);
        assert_eq!(stats.null_count, Some(7));
        assert_eq!(stats.max, Some(ScalarValue::Int64(Some(9))));
    }
}

//! Renders record batches as text: values as strings, and tables.

pub mod layout;
mod table;

pub use table::{render_table, write_table, TableOptions, TableStyle};

use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use quiver_expr::text_columns::displayed;
pub use quiver_expr::text_columns::{displayed_batch, json_ready_batch, json_writer};
use quiver_expr::Result;

/// The rows of `batches` as strings, NULL written as `null_text`.
pub fn rows_as_strings(batches: &[RecordBatch], null_text: &str) -> Result<Vec<Vec<String>>> {
    let mut rows = vec![];
    for_each_row(batches, null_text, |row| {
        rows.push(row.to_vec());
        Ok(())
    })?;
    Ok(rows)
}

/// How values are shown as text, NULL written as `null_text`.
fn display_options(null_text: &str) -> FormatOptions<'_> {
    FormatOptions::default()
        .with_null(null_text)
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f%:z"))
}

/// Calls `f` with each row of `batches` as display strings, NULL written
/// as `null_text`.
pub(crate) fn for_each_row(
    batches: &[RecordBatch],
    null_text: &str,
    mut f: impl FnMut(&[String]) -> Result<()>,
) -> Result<()> {
    let options = display_options(null_text);
    let mut row = vec![];
    for batch in batches {
        let columns = batch
            .columns()
            .iter()
            .map(displayed)
            .collect::<Result<Vec<_>>>()?;
        let formatters = columns
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for r in 0..batch.num_rows() {
            row.clear();
            row.extend(formatters.iter().map(|f| f.value(r).to_string()));
            f(&row)?;
        }
    }
    Ok(())
}

/// Total rows over `batches`.
pub fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field, Schema};
    use std::sync::Arc;

    /// A batch of a number column `n` (7, NULL) and a text column `s`
    /// (NULL, 'x').
    pub(crate) fn numbers_and_text() -> (Arc<Schema>, RecordBatch) {
        let schema = Arc::new(Schema::new(vec![
            Field::new("n", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(Int64Array::from(vec![Some(7), None])),
                Arc::new(StringArray::from(vec![None, Some("x")])),
            ],
        )
        .unwrap();
        (schema, batch)
    }

    #[test]
    fn rows_as_strings_write_nulls_as_asked() {
        let (_, batch) = numbers_and_text();
        assert_eq!(
            rows_as_strings(&[batch], "").unwrap(),
            vec![
                vec!["7".to_string(), "".into()],
                vec!["".into(), "x".into()]
            ]
        );
    }
}

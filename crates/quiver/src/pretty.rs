//! Renders record batches as text tables.

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use comfy_table::{presets, Cell, ContentArrangement, Table};
use quiver_expr::types::sql_type_name;
use quiver_expr::Result;

/// The rows of `batches` as strings, NULL written as `null_text`.
pub fn rows_as_strings(batches: &[RecordBatch], null_text: &str) -> Result<Vec<Vec<String>>> {
    let options = FormatOptions::default()
        .with_null(null_text)
        .with_timestamp_format(Some("%Y-%m-%d %H:%M:%S%.f"))
        .with_timestamp_tz_format(Some("%Y-%m-%d %H:%M:%S%.f%:z"));
    let mut rows = vec![];
    for batch in batches {
        let formatters = batch
            .columns()
            .iter()
            .map(|c| ArrayFormatter::try_new(c.as_ref(), &options))
            .collect::<Result<Vec<_>, _>>()?;
        for r in 0..batch.num_rows() {
            rows.push(formatters.iter().map(|f| f.value(r).to_string()).collect());
        }
    }
    Ok(rows)
}

/// A boxed table with a header row of column names and, optionally, their
/// SQL types beneath.
pub fn render_table(schema: &Schema, batches: &[RecordBatch], with_types: bool) -> Result<String> {
    let mut table = Table::new();
    table
        .load_style(presets::UTF8_FULL_CONDENSED)
        .set_content_arrangement(ContentArrangement::Disabled);
    let header: Vec<Cell> = schema
        .fields()
        .iter()
        .map(|f| {
            if with_types {
                Cell::new(format!(
                    "{}\n{}",
                    f.name(),
                    sql_type_name(f.data_type()).to_lowercase()
                ))
            } else {
                Cell::new(f.name())
            }
        })
        .collect();
    table.set_header(header);
    let numeric: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric())
        .collect();
    for row in rows_as_strings(batches, "NULL")? {
        table.add_row(row.into_iter().enumerate().map(|(i, v)| {
            let cell = Cell::new(v);
            if numeric[i] {
                cell.set_alignment(comfy_table::CellAlignment::Right)
            } else {
                cell
            }
        }));
    }
    Ok(table.to_string())
}

/// Total rows over `batches`.
pub fn row_count(batches: &[RecordBatch]) -> usize {
    batches.iter().map(RecordBatch::num_rows).sum()
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};
    use std::sync::Arc;

    #[test]
    fn renders_header_types_and_nulls() {
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
        let text = render_table(&schema, std::slice::from_ref(&batch), true).unwrap();
        assert!(
            text.contains("bigint") && text.contains("varchar"),
            "{text}"
        );
        assert!(text.contains("NULL") && text.contains('7'), "{text}");
        assert_eq!(
            rows_as_strings(&[batch], "").unwrap(),
            vec![
                vec!["7".to_string(), "".into()],
                vec!["".into(), "x".into()]
            ]
        );
    }
}

//! Writes query results in the chosen output format.

use std::io::Write;

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use comfy_table::{presets, Table};
use quiver::pretty::{render_table, row_count, rows_as_strings};
use quiver::Result;

use crate::args::OutputFormat;

const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// Writes `batches` (with `schema`) to `out` in `format`.
pub fn write_results(
    out: &mut dyn Write,
    format: OutputFormat,
    schema: &Schema,
    batches: &[RecordBatch],
) -> Result<()> {
    match format {
        OutputFormat::Table => {
            writeln!(out, "{}", render_table(schema, batches, true)?)?;
            let n = row_count(batches);
            writeln!(out, "{n} row{}", if n == 1 { "" } else { "s" })?;
        }
        OutputFormat::Csv | OutputFormat::Tsv => {
            let delimiter = if format == OutputFormat::Csv {
                b','
            } else {
                b'\t'
            };
            let mut w = arrow::csv::WriterBuilder::new()
                .with_delimiter(delimiter)
                .with_timestamp_format(TIMESTAMP_FORMAT.to_string())
                .with_header(true)
                .build(&mut *out);
            if batches.is_empty() {
                w.write(&RecordBatch::new_empty(std::sync::Arc::new(schema.clone())))?;
            }
            for b in batches {
                w.write(b)?;
            }
        }
        OutputFormat::Json => {
            let mut w = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::JsonArray>(&mut *out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
            writeln!(out)?;
        }
        OutputFormat::Ndjson => {
            let mut w = arrow::json::WriterBuilder::new()
                .with_explicit_nulls(true)
                .build::<_, arrow::json::writer::LineDelimited>(&mut *out);
            for b in batches {
                w.write(b)?;
            }
            w.finish()?;
        }
        OutputFormat::Markdown => {
            let mut table = Table::new();
            table.load_style(presets::ASCII_MARKDOWN);
            table.set_header(schema.fields().iter().map(|f| f.name().clone()));
            for row in rows_as_strings(batches, "NULL")? {
                table.add_row(row);
            }
            writeln!(out, "{table}")?;
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};
    use std::sync::Arc;

    fn sample() -> (Schema, Vec<RecordBatch>) {
        let schema = Schema::new(vec![
            Field::new("n", DataType::Int64, true),
            Field::new("s", DataType::Utf8, true),
        ]);
        let batch = RecordBatch::try_new(
            Arc::new(schema.clone()),
            vec![
                Arc::new(Int64Array::from(vec![Some(1), None])),
                Arc::new(StringArray::from(vec![Some("a,b"), None])),
            ],
        )
        .unwrap();
        (schema, vec![batch])
    }

    fn render(format: OutputFormat) -> String {
        let (schema, batches) = sample();
        let mut out = vec![];
        write_results(&mut out, format, &schema, &batches).unwrap();
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn csv_quotes_and_leaves_nulls_empty() {
        assert_eq!(render(OutputFormat::Csv), "n,s\n1,\"a,b\"\n,\n");
        assert_eq!(render(OutputFormat::Tsv), "n\ts\n1\ta,b\n\t\n");
    }

    #[test]
    fn json_keeps_nulls() {
        assert_eq!(
            render(OutputFormat::Json),
            "[{\"n\":1,\"s\":\"a,b\"},{\"n\":null,\"s\":null}]\n"
        );
        assert_eq!(
            render(OutputFormat::Ndjson),
            "{\"n\":1,\"s\":\"a,b\"}\n{\"n\":null,\"s\":null}\n"
        );
    }

    #[test]
    fn table_and_markdown() {
        let t = render(OutputFormat::Table);
        assert!(t.contains("bigint") && t.ends_with("2 rows\n"), "{t}");
        let m = render(OutputFormat::Markdown);
        assert!(m.contains("| n ") && m.contains("NULL"), "{m}");
    }

    #[test]
    fn empty_results_still_have_a_header() {
        let (schema, _) = sample();
        let mut out = vec![];
        write_results(&mut out, OutputFormat::Csv, &schema, &[]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "n,s\n");
        let mut out = vec![];
        write_results(&mut out, OutputFormat::Json, &schema, &[]).unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    }
}

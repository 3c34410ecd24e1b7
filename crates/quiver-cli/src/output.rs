//! Writes query results in the chosen output format, batch by batch as
//! they arrive.

use std::io::Write;
use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::json::writer::{JsonArray, LineDelimited};
use arrow::record_batch::RecordBatch;
use quiver::pretty::{displayed_batch, write_table, TableStyle};
use quiver::Result;

use crate::args::OutputFormat;

const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// The output stream results are written to.
type Out<'a> = &'a mut (dyn Write + Send);

/// Writes one result to its output in a format. Text formats (CSV, JSON)
/// write each batch as it comes; tables keep the rows they show (at most
/// `max_rows`, or all) and are drawn at the end.
pub struct ResultWriter<'a> {
    sink: Sink<'a>,
}

/// Where a [`ResultWriter`]'s batches go.
enum Sink<'a> {
    /// CSV or TSV; `empty` until a batch has been written (the header
    /// comes with the first one).
    Delimited {
        writer: Box<arrow::csv::Writer<Out<'a>>>,
        schema: SchemaRef,
        empty: bool,
    },
    /// One JSON array of objects.
    Json(arrow::json::Writer<Out<'a>, JsonArray>),
    /// One JSON object per line.
    Ndjson(arrow::json::Writer<Out<'a>, LineDelimited>),
    /// A drawn table: the rows it will show and the count of all rows.
    Table {
        out: Out<'a>,
        schema: SchemaRef,
        style: TableStyle,
        max_rows: Option<usize>,
        kept: Vec<RecordBatch>,
        kept_rows: usize,
        total_rows: usize,
    },
}

impl<'a> ResultWriter<'a> {
    /// A writer of a result with `schema` to `out` in `format`; a table
    /// shows at most `max_rows` rows (all when None).
    pub fn new(
        out: Out<'a>,
        format: OutputFormat,
        schema: &Schema,
        max_rows: Option<usize>,
    ) -> Self {
        let schema = Arc::new(schema.clone());
        let sink = match format {
            OutputFormat::Csv | OutputFormat::Tsv => Sink::Delimited {
                writer: Box::new(
                    arrow::csv::WriterBuilder::new()
                        .with_delimiter(if format == OutputFormat::Csv {
                            b','
                        } else {
                            b'\t'
                        })
                        .with_timestamp_format(TIMESTAMP_FORMAT.to_string())
                        .with_header(true)
                        .build(out),
                ),
                schema,
                empty: true,
            },
            OutputFormat::Json => Sink::Json(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build(out),
            ),
            OutputFormat::Ndjson => Sink::Ndjson(
                arrow::json::WriterBuilder::new()
                    .with_explicit_nulls(true)
                    .build(out),
            ),
            OutputFormat::Table | OutputFormat::Markdown => Sink::Table {
                out,
                schema,
                style: if format == OutputFormat::Table {
                    TableStyle::Boxed
                } else {
                    TableStyle::Markdown
                },
                max_rows,
                kept: vec![],
                kept_rows: 0,
                total_rows: 0,
            },
        };
        Self { sink }
    }

    /// Whether this writer keeps every row until [`finish`](Self::finish)
    /// (a table with no row cap), so that the result is best collected
    /// within the session's memory limit first.
    pub fn keeps_every_row(&self) -> bool {
        matches!(self.sink, Sink::Table { max_rows: None, .. })
    }

    /// Writes (or keeps) the rows of `batch`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.sink {
            Sink::Delimited { writer, empty, .. } => {
                writer.write(&displayed_batch(batch)?)?;
                *empty = false;
            }
            Sink::Json(writer) => writer.write(batch)?,
            Sink::Ndjson(writer) => writer.write(batch)?,
            Sink::Table {
                max_rows,
                kept,
                kept_rows,
                total_rows,
                ..
            } => {
                *total_rows += batch.num_rows();
                let room = max_rows.map_or(usize::MAX, |max| max - *kept_rows);
                let take = batch.num_rows().min(room);
                if take > 0 {
                    kept.push(batch.slice(0, take));
                    *kept_rows += take;
                }
            }
        }
        Ok(())
    }

    /// Ends the output: closes JSON, draws a table and its row count.
    pub fn finish(self) -> Result<()> {
        match self.sink {
            Sink::Delimited {
                mut writer,
                schema,
                empty,
            } => {
                if empty {
                    writer.write(&RecordBatch::new_empty(schema))?;
                }
            }
            Sink::Json(mut writer) => {
                writer.finish()?;
                writeln!(writer.into_inner())?;
            }
            Sink::Ndjson(mut writer) => writer.finish()?,
            Sink::Table {
                out,
                schema,
                style,
                kept,
                kept_rows,
                total_rows,
                ..
            } => {
                write_table(out, &schema, &kept, style, style == TableStyle::Boxed)?;
                let plural = if total_rows == 1 { "" } else { "s" };
                match (style, kept_rows < total_rows) {
                    (TableStyle::Boxed, false) => writeln!(out, "{total_rows} row{plural}")?,
                    (TableStyle::Boxed, true) => writeln!(
                        out,
                        "{total_rows} row{plural} ({kept_rows} shown; .maxrows N changes this)"
                    )?,
                    (TableStyle::Markdown, false) => {}
                    (TableStyle::Markdown, true) => writeln!(
                        out,
                        "({kept_rows} of {total_rows} rows shown; .maxrows N changes this)"
                    )?,
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};

    /// Writes `batches` (with `schema`) to `out` in `format`, every row.
    pub fn write_results(
        out: Out<'_>,
        format: OutputFormat,
        schema: &Schema,
        batches: &[RecordBatch],
    ) -> Result<()> {
        let mut writer = ResultWriter::new(out, format, schema, None);
        for batch in batches {
            writer.write(batch)?;
        }
        writer.finish()
    }

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
    fn a_capped_table_keeps_its_first_rows_and_counts_them_all() {
        let (schema, batches) = sample();
        let mut out = vec![];
        let mut writer = ResultWriter::new(&mut out, OutputFormat::Table, &schema, Some(3));
        for _ in 0..3 {
            writer.write(&batches[0]).unwrap();
        }
        assert!(!writer.keeps_every_row());
        writer.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        let value_lines = text
            .lines()
            .filter(|l| l.contains("a,b") || l.contains("NULL"));
        assert_eq!(value_lines.count(), 3, "{text}");
        assert!(
            text.ends_with("6 rows (3 shown; .maxrows N changes this)\n"),
            "{text}"
        );
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

//! Writes query results in the chosen output format, batch by batch as
//! they arrive.

use std::collections::VecDeque;
use std::io::Write;
use std::sync::Arc;

use arrow::datatypes::{Schema, SchemaRef};
use arrow::json::writer::{JsonArray, LineDelimited};
use arrow::record_batch::RecordBatch;
use quiver::pretty::layout::with_thousands;
use quiver::pretty::{
    displayed_batch, json_ready_batch, json_writer, rows_as_strings, write_table, TableOptions,
    TableStyle,
};
use quiver::Result;

use crate::args::OutputFormat;
use crate::row_formats::RowFormat;

const TIMESTAMP_FORMAT: &str = "%Y-%m-%d %H:%M:%S%.f";

/// The output stream results are written to.
type Out<'a> = &'a mut (dyn Write + Send);

/// How a result is shown, beside its format.
#[derive(Debug, Clone, Default)]
pub struct Display {
    /// A boxed table shows at most this many rows: the first and the last
    /// halves (None: all).
    pub max_rows: Option<usize>,
    /// A boxed table fits in this many columns (None: no limit).
    pub max_width: Option<usize>,
    /// How NULL is written (None: as each format writes it).
    pub null_value: Option<String>,
}

/// Writes one result to its output in a format. Text formats write each
/// batch as it comes; a boxed table keeps its first and last rows and is
/// drawn at the end; ASCII and Markdown tables keep every row.
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
    /// Line, HTML or LaTeX: row by row.
    Rows {
        out: Out<'a>,
        format: RowFormat,
        null_text: String,
    },
    /// A drawn table.
    Table(Box<TableSink<'a>>),
}

/// The rows a drawn table will show and the count of all rows.
struct TableSink<'a> {
    out: Out<'a>,
    schema: SchemaRef,
    options: TableOptions,
    /// The first rows (all of them when `tail_rows` is None).
    head: Vec<RecordBatch>,
    head_rows: usize,
    /// How many of the first rows to keep (None: all).
    head_limit: Option<usize>,
    /// The last rows seen after the first ones, at most `tail_limit`.
    tail: VecDeque<RecordBatch>,
    tail_rows: usize,
    tail_limit: usize,
    total_rows: usize,
}

impl<'a> ResultWriter<'a> {
    /// A writer of a result with `schema` to `out` in `format`.
    pub fn new(out: Out<'a>, format: OutputFormat, schema: &Schema, display: &Display) -> Self {
        let schema = Arc::new(schema.clone());
        let null_text = |default: &str| display.null_value.clone().unwrap_or(default.into());
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
                        .with_null(null_text(""))
                        .with_header(true)
                        .build(out),
                ),
                schema,
                empty: true,
            },
            OutputFormat::Json => Sink::Json(json_writer().build(out)),
            OutputFormat::Ndjson => Sink::Ndjson(json_writer().build(out)),
            OutputFormat::Line | OutputFormat::Html | OutputFormat::Latex => {
                let format = RowFormat::new(format, &schema);
                Sink::Rows {
                    out,
                    format,
                    null_text: null_text("NULL"),
                }
            }
            OutputFormat::Box | OutputFormat::Table | OutputFormat::Markdown => {
                let boxed = format == OutputFormat::Box;
                let style = match format {
                    OutputFormat::Box => TableStyle::Boxed,
                    OutputFormat::Table => TableStyle::Ascii,
                    _ => TableStyle::Markdown,
                };
                let options = TableOptions {
                    with_types: boxed,
                    max_width: display.max_width.filter(|_| boxed),
                    thousands: boxed,
                    null_text: null_text("NULL"),
                    ..TableOptions::new(style)
                };
                let max_rows = display.max_rows.filter(|_| boxed);
                Sink::Table(Box::new(TableSink {
                    out,
                    schema,
                    options,
                    head: vec![],
                    head_rows: 0,
                    head_limit: max_rows.map(|m| m.div_ceil(2)),
                    tail: VecDeque::new(),
                    tail_rows: 0,
                    tail_limit: max_rows.map_or(0, |m| m / 2),
                    total_rows: 0,
                }))
            }
        };
        Self { sink }
    }

    /// Whether this writer keeps every row until [`finish`](Self::finish)
    /// (a table with no row cap), so that the result is best collected
    /// within the session's memory limit first.
    pub fn keeps_every_row(&self) -> bool {
        matches!(&self.sink, Sink::Table(table) if table.head_limit.is_none())
    }

    /// Whether [`write`](Self::write) prints at once (text formats), rather
    /// than keeping rows for [`finish`](Self::finish) (tables).
    pub fn writes_as_it_goes(&self) -> bool {
        !matches!(self.sink, Sink::Table(_))
    }

    /// Writes (or keeps) the rows of `batch`.
    pub fn write(&mut self, batch: &RecordBatch) -> Result<()> {
        match &mut self.sink {
            Sink::Delimited { writer, empty, .. } => {
                writer.write(&displayed_batch(batch)?)?;
                *empty = false;
            }
            Sink::Json(writer) => writer.write(&json_ready_batch(batch)?)?,
            Sink::Ndjson(writer) => writer.write(&json_ready_batch(batch)?)?,
            Sink::Rows {
                out,
                format,
                null_text,
            } => {
                for row in rows_as_strings(std::slice::from_ref(batch), null_text)? {
                    format.row(*out, &row)?;
                }
            }
            Sink::Table(table) => table.keep(batch),
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
            Sink::Rows { out, format, .. } => format.finish(out)?,
            Sink::Table(table) => table.draw()?,
        }
        Ok(())
    }
}

impl TableSink<'_> {
    /// Keeps the rows of `batch` the table may show.
    fn keep(&mut self, batch: &RecordBatch) {
        self.total_rows += batch.num_rows();
        let room = self
            .head_limit
            .map_or(usize::MAX, |limit| limit - self.head_rows);
        let take = batch.num_rows().min(room);
        if take > 0 {
            self.head.push(batch.slice(0, take));
            self.head_rows += take;
        }
        let rest = batch.num_rows() - take;
        if rest == 0 || self.tail_limit == 0 {
            return;
        }
        let keep = rest.min(self.tail_limit);
        self.tail
            .push_back(batch.slice(batch.num_rows() - keep, keep));
        self.tail_rows += keep;
        while self.tail_rows > self.tail_limit {
            let excess = self.tail_rows - self.tail_limit;
            let Some(front) = self.tail.front_mut() else {
                break;
            };
            if front.num_rows() <= excess {
                self.tail_rows -= front.num_rows();
                self.tail.pop_front();
            } else {
                *front = front.slice(excess, front.num_rows() - excess);
                self.tail_rows -= excess;
            }
        }
    }

    /// Draws the kept rows and the footer.
    fn draw(mut self) -> Result<()> {
        let shown_rows = self.head_rows + self.tail_rows;
        let omitted = self.total_rows > shown_rows;
        self.options.gap_after = omitted.then_some(self.head_rows);
        let mut rows = std::mem::take(&mut self.head);
        rows.extend(self.tail.drain(..));
        let layout = write_table(self.out, &self.schema, &rows, &self.options)?;
        if self.options.style == TableStyle::Markdown {
            return Ok(());
        }
        let count = |n: usize, noun: &str| {
            let plural = if n == 1 { "" } else { "s" };
            format!("{} {noun}{plural}", with_thousands(&n.to_string()))
        };
        let mut footer = count(self.total_rows, "row");
        if omitted {
            footer.push_str(&format!(
                " ({} shown)",
                with_thousands(&shown_rows.to_string())
            ));
        }
        let columns = self.schema.fields().len();
        if layout.shown_columns() < columns {
            footer.push_str(&format!(
                "  {} ({} shown)",
                count(columns, "column"),
                layout.shown_columns()
            ));
        }
        writeln!(self.out, "{footer}")?;
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
        display: &Display,
    ) -> Result<()> {
        let mut writer = ResultWriter::new(out, format, schema, display);
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

    fn render_with(format: OutputFormat, display: &Display) -> String {
        let (schema, batches) = sample();
        let mut out = vec![];
        write_results(&mut out, format, &schema, &batches, display).unwrap();
        String::from_utf8(out).unwrap()
    }

    fn render(format: OutputFormat) -> String {
        render_with(format, &Display::default())
    }

    #[test]
    fn csv_quotes_and_leaves_nulls_empty() {
        assert_eq!(render(OutputFormat::Csv), "n,s\n1,\"a,b\"\n,\n");
        assert_eq!(render(OutputFormat::Tsv), "n\ts\n1\ta,b\n\t\n");
        let display = Display {
            null_value: Some("∅".into()),
            ..Display::default()
        };
        assert_eq!(
            render_with(OutputFormat::Csv, &display),
            "n,s\n1,\"a,b\"\n∅,∅\n"
        );
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
    fn tables_of_every_style() {
        let t = render(OutputFormat::Box);
        assert!(t.contains("bigint") && t.ends_with("2 rows\n"), "{t}");
        let m = render(OutputFormat::Markdown);
        assert!(m.contains("| n ") && m.contains("NULL"), "{m}");
        let a = render(OutputFormat::Table);
        assert!(a.starts_with("+------+") && a.ends_with("2 rows\n"), "{a}");
    }

    #[test]
    fn a_capped_table_shows_its_first_and_last_rows_and_counts_them_all() {
        let schema = Schema::new(vec![Field::new("n", DataType::Int64, false)]);
        let batches: Vec<RecordBatch> = (0..5)
            .map(|b| {
                let values: Vec<i64> = (b * 1000..(b + 1) * 1000).collect();
                RecordBatch::try_new(
                    Arc::new(schema.clone()),
                    vec![Arc::new(Int64Array::from(values))],
                )
                .unwrap()
            })
            .collect();
        let display = Display {
            max_rows: Some(6),
            ..Display::default()
        };
        let mut out = vec![];
        let mut writer = ResultWriter::new(&mut out, OutputFormat::Box, &schema, &display);
        assert!(!writer.keeps_every_row());
        for batch in &batches {
            writer.write(batch).unwrap();
        }
        writer.finish().unwrap();
        let text = String::from_utf8(out).unwrap();
        let values: Vec<&str> = text
            .lines()
            .filter_map(|l| l.strip_prefix("│ "))
            .map(|l| l.trim_end_matches(" │").trim())
            .collect();
        assert_eq!(
            values,
            ["n", "bigint", "0", "1", "2", "·", "·", "·", "4,997", "4,998", "4,999"],
            "{text}"
        );
        assert!(text.ends_with("5,000 rows (6 shown)\n"), "{text}");
    }

    #[test]
    fn empty_results_still_have_a_header() {
        let (schema, _) = sample();
        let mut out = vec![];
        write_results(
            &mut out,
            OutputFormat::Csv,
            &schema,
            &[],
            &Display::default(),
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "n,s\n");
        let mut out = vec![];
        write_results(
            &mut out,
            OutputFormat::Json,
            &schema,
            &[],
            &Display::default(),
        )
        .unwrap();
        assert_eq!(String::from_utf8(out).unwrap(), "[]\n");
    }
}

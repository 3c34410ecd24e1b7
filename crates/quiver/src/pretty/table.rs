//! Draws record batches as a text table: boxed, ASCII or Markdown, fitted
//! to a width when one is given.

use std::io::Write;

use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use quiver_expr::types::sql_type_name;
use quiver_expr::Result;
use unicode_width::UnicodeWidthStr;

use super::for_each_row;
use super::layout::{cut, fit, with_thousands, Layout, ELIDED_MARK};

/// How [`write_table`] draws a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStyle {
    /// Box-drawing lines, numbers aligned right.
    Boxed,
    /// ASCII lines (`+---+`), numbers aligned right.
    Ascii,
    /// A Markdown (GitHub) table, every value aligned left.
    Markdown,
}

/// What [`write_table`] draws besides the values.
#[derive(Debug, Clone)]
pub struct TableOptions {
    /// The line style.
    pub style: TableStyle,
    /// Show each column's SQL type under its name.
    pub with_types: bool,
    /// Fit the table within this many display columns: long values are cut
    /// with an ellipsis, then middle columns are left out (None: no limit).
    pub max_width: Option<usize>,
    /// Group the integer digits of numbers in threes (`1,234,567`).
    pub thousands: bool,
    /// How NULL is written.
    pub null_text: String,
    /// Rows were left out after this many rows: draw a row of dots there.
    pub gap_after: Option<usize>,
}

impl TableOptions {
    /// A table in `style` with no width limit, NULL written as `NULL`.
    pub fn new(style: TableStyle) -> Self {
        Self {
            style,
            with_types: false,
            max_width: None,
            thousands: false,
            null_text: "NULL".to_string(),
            gap_after: None,
        }
    }
}

/// A boxed table with a header row of column names and, optionally, their
/// SQL types beneath.
pub fn render_table(schema: &Schema, batches: &[RecordBatch], with_types: bool) -> Result<String> {
    let mut text = vec![];
    let options = TableOptions {
        with_types,
        ..TableOptions::new(TableStyle::Boxed)
    };
    write_table(&mut text, schema, batches, &options)?;
    let mut text = String::from_utf8_lossy(&text).into_owned();
    text.truncate(text.trim_end_matches('\n').len());
    Ok(text)
}

/// Writes `batches` to `out` as a text table, a line at a time: a first
/// pass measures each column's width, a second writes the rows, so the
/// memory it needs beyond the batches is one row's text. Returns which
/// columns it drew.
pub fn write_table(
    out: &mut dyn Write,
    schema: &Schema,
    batches: &[RecordBatch],
    options: &TableOptions,
) -> Result<Layout> {
    let numeric: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| f.data_type().is_numeric())
        .collect();
    let shown = |row: &[String], i: usize| -> String {
        if options.thousands && numeric[i] {
            with_thousands(&row[i]).into_owned()
        } else {
            row[i].clone()
        }
    };
    let header: Vec<Vec<String>> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut lines = vec![f.name().clone()];
            if options.with_types {
                lines.push(sql_type_name(f.data_type()).to_lowercase());
            }
            lines
        })
        .collect();
    let mut natural: Vec<usize> = header.iter().map(widest_line).collect();
    for_each_row(batches, &options.null_text, |row| {
        for (i, width) in natural.iter_mut().enumerate() {
            *width = (*width).max(widest_line(cell_lines(&shown(row, i))));
        }
        Ok(())
    })?;
    let layout = fit(&natural, options.max_width);
    let table = TableWriter {
        right_aligned: layout
            .columns
            .iter()
            .map(|c| c.is_some_and(|i| numeric[i]) && options.style != TableStyle::Markdown)
            .collect(),
        layout,
        style: options.style,
    };
    let header_cells = table.cells(|i| header[i].clone());
    match options.style {
        TableStyle::Boxed => {
            table.rule(out, Rule('┌', '─', '┬', '┐'))?;
            table.row(out, &header_cells, false)?;
            table.rule(out, Rule('├', '─', '┼', '┤'))?;
        }
        TableStyle::Ascii => {
            table.rule(out, Rule('+', '-', '+', '+'))?;
            table.row(out, &header_cells, false)?;
            table.rule(out, Rule('+', '-', '+', '+'))?;
        }
        TableStyle::Markdown => {
            table.row(out, &header_cells, false)?;
            table.rule(out, Rule('|', '-', '|', '|'))?;
        }
    }
    let mut written = 0;
    for_each_row(batches, &options.null_text, |row| {
        if options.gap_after == Some(written) {
            table.gap(out)?;
        }
        written += 1;
        let cells = table.cells(|i| cell_lines(&shown(row, i)).map(str::to_string).collect());
        table.row(out, &cells, true)
    })?;
    if options.gap_after == Some(written) && written > 0 {
        table.gap(out)?;
    }
    match options.style {
        TableStyle::Boxed => table.rule(out, Rule('└', '─', '┴', '┘'))?,
        TableStyle::Ascii => table.rule(out, Rule('+', '-', '+', '+'))?,
        TableStyle::Markdown => {}
    }
    Ok(table.layout)
}

/// The widest of `lines`, in display columns.
fn widest_line<S: AsRef<str>>(lines: impl IntoIterator<Item = S>) -> usize {
    lines
        .into_iter()
        .map(|l| l.as_ref().width())
        .max()
        .unwrap_or(0)
}

/// The text lines a value is drawn on: it is split at each line break
/// (`\n` or `\r\n`), so that measuring and drawing see the same lines.
fn cell_lines(value: &str) -> impl Iterator<Item = &str> {
    value
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
}

/// The characters of one horizontal rule: left end, fill, column joint,
/// right end.
struct Rule(char, char, char, char);

/// Draws the lines of a table whose layout is known.
struct TableWriter {
    layout: Layout,
    right_aligned: Vec<bool>,
    style: TableStyle,
}

impl TableWriter {
    /// The drawn cells of a row whose column `i` has the lines `lines(i)`;
    /// the marker column shows the elision mark.
    fn cells(&self, lines: impl Fn(usize) -> Vec<String>) -> Vec<Vec<String>> {
        self.layout
            .columns
            .iter()
            .map(|column| match column {
                Some(i) => lines(*i),
                None => vec![ELIDED_MARK.to_string()],
            })
            .collect()
    }

    /// A horizontal rule across every column.
    fn rule(&self, out: &mut dyn Write, Rule(left, fill, joint, right): Rule) -> Result<()> {
        let mut line = String::new();
        line.push(left);
        for (i, width) in self.layout.widths.iter().enumerate() {
            if i > 0 {
                line.push(joint);
            }
            line.extend(std::iter::repeat_n(fill, width + 2));
        }
        line.push(right);
        writeln!(out, "{line}")?;
        Ok(())
    }

    /// Three rows of dots where rows were left out.
    fn gap(&self, out: &mut dyn Write) -> Result<()> {
        let dots = self.cells(|_| vec!["·".to_string()]);
        for _ in 0..3 {
            self.draw(out, &dots, |_| Align::Center)?;
        }
        Ok(())
    }

    /// One row of cells, each a list of lines; as many text lines as its
    /// tallest cell. Values are aligned as their column is when `values`.
    fn row(&self, out: &mut dyn Write, cells: &[Vec<String>], values: bool) -> Result<()> {
        self.draw(out, cells, |i| {
            if values && self.right_aligned[i] {
                Align::Right
            } else {
                Align::Left
            }
        })
    }

    fn draw(
        &self,
        out: &mut dyn Write,
        cells: &[Vec<String>],
        align: impl Fn(usize) -> Align,
    ) -> Result<()> {
        let (edge, separator) = match self.style {
            TableStyle::Boxed => ('│', '│'),
            TableStyle::Ascii => ('|', '|'),
            TableStyle::Markdown => ('|', '|'),
        };
        let height = cells.iter().map(Vec::len).max().unwrap_or(1).max(1);
        for line_no in 0..height {
            let mut line = String::new();
            line.push(edge);
            for (i, cell) in cells.iter().enumerate() {
                if i > 0 {
                    line.push(separator);
                }
                let width = self.layout.widths[i];
                let text = cut(cell.get(line_no).map_or("", String::as_str), width);
                let room = width.saturating_sub(text.width());
                let (before, after) = match align(i) {
                    Align::Left => (0, room),
                    Align::Right => (room, 0),
                    Align::Center => (room / 2, room - room / 2),
                };
                line.push(' ');
                line.extend(std::iter::repeat_n(' ', before));
                line.push_str(&text);
                line.extend(std::iter::repeat_n(' ', after));
                line.push(' ');
            }
            line.push(edge);
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
}

/// Where a value sits in its cell.
#[derive(Clone, Copy)]
enum Align {
    Left,
    Right,
    Center,
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::{DataType, Field};
    use std::sync::Arc;

    #[test]
    fn values_with_line_breaks_are_drawn_on_several_lines() {
        let schema = Arc::new(Schema::new(vec![Field::new("s", DataType::Utf8, true)]));
        let values = StringArray::from(vec!["abcdefgh\r\nb", "x\ny\n"]);
        let batch = RecordBatch::try_new(Arc::clone(&schema), vec![Arc::new(values)]).unwrap();
        let text = render_table(&schema, &[batch], false).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert!(
            lines
                .iter()
                .all(|l| l.chars().count() == lines[0].chars().count()),
            "{text}"
        );
        assert!(!text.contains('\r'), "{text}");
        assert!(
            text.contains("│ abcdefgh │") && text.contains("│ b        │"),
            "{text}"
        );
    }

    #[test]
    fn renders_header_types_and_nulls() {
        let (schema, batch) = super::super::tests::numbers_and_text();
        let text = render_table(&schema, std::slice::from_ref(&batch), true).unwrap();
        assert!(
            text.contains("bigint") && text.contains("varchar"),
            "{text}"
        );
        assert!(text.contains("NULL") && text.contains('7'), "{text}");
    }

    fn wide_batch() -> (Arc<Schema>, RecordBatch) {
        let fields: Vec<Field> = (0..12)
            .map(|i| Field::new(format!("column_{i}"), DataType::Int64, false))
            .chain(std::iter::once(Field::new("note", DataType::Utf8, false)))
            .collect();
        let schema = Arc::new(Schema::new(fields));
        let mut columns: Vec<arrow::array::ArrayRef> = (0..12)
            .map(|i| Arc::new(Int64Array::from(vec![1_234_567 * i, 5])) as _)
            .collect();
        columns.push(Arc::new(StringArray::from(vec![
            "a".repeat(200),
            "b".into(),
        ])));
        let batch = RecordBatch::try_new(Arc::clone(&schema), columns).unwrap();
        (schema, batch)
    }

    #[test]
    fn a_wide_table_fits_its_width_with_a_marker_and_grouped_numbers() {
        let (schema, batch) = wide_batch();
        let options = TableOptions {
            max_width: Some(80),
            thousands: true,
            gap_after: Some(1),
            ..TableOptions::new(TableStyle::Boxed)
        };
        let mut out = vec![];
        let layout = write_table(&mut out, &schema, &[batch], &options).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.lines().all(|l| l.width() <= 80), "{text}");
        assert!(layout.shown_columns() < 13, "{text}");
        assert!(text.contains("│ … │"), "{text}");
        assert!(text.contains("aaaaaaa…"), "{text}");
        assert!(text.contains("1,234,567"), "{text}");
        assert_eq!(
            text.matches('·').count(),
            3 * layout.shown_columns(),
            "{text}"
        );
    }

    #[test]
    fn ascii_and_markdown_styles() {
        let (schema, batch) = wide_batch();
        let mut out = vec![];
        write_table(
            &mut out,
            &schema,
            std::slice::from_ref(&batch),
            &TableOptions::new(TableStyle::Ascii),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("+----------+"), "{text}");
        assert!(text.contains(&"a".repeat(200)), "no width limit: {text}");
        let mut out = vec![];
        write_table(
            &mut out,
            &schema,
            &[batch],
            &TableOptions::new(TableStyle::Markdown),
        )
        .unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("| column_0 |"), "{text}");
    }
}

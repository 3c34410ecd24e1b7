//! Renders record batches as text tables.

use std::sync::Arc;

use arrow::array::ArrayRef;
use arrow::datatypes::{Field, Schema};
use arrow::record_batch::RecordBatch;
use arrow::util::display::{ArrayFormatter, FormatOptions};
use quiver_expr::types::sql_type_name;
use quiver_expr::value_text::{needs_sql_text, sql_text};
use quiver_expr::Result;
use std::io::Write;
use unicode_width::UnicodeWidthStr;

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

/// How [`write_table`] draws a table.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TableStyle {
    /// Box-drawing lines, numbers aligned right, NULL shown as `NULL`.
    Boxed,
    /// A Markdown (GitHub) table, every value aligned left.
    Markdown,
}

/// The characters of one horizontal rule: left end, fill, column joint,
/// right end.
struct Rule(char, char, char, char);

/// A boxed table with a header row of column names and, optionally, their
/// SQL types beneath.
pub fn render_table(schema: &Schema, batches: &[RecordBatch], with_types: bool) -> Result<String> {
    let mut text = vec![];
    write_table(&mut text, schema, batches, TableStyle::Boxed, with_types)?;
    let mut text = String::from_utf8_lossy(&text).into_owned();
    text.truncate(text.trim_end_matches('\n').len());
    Ok(text)
}

/// Writes `batches` to `out` as a text table, a line at a time: a first
/// pass measures each column's width, a second writes the rows, so the
/// memory it needs beyond the batches is one row's text.
pub fn write_table(
    out: &mut dyn Write,
    schema: &Schema,
    batches: &[RecordBatch],
    style: TableStyle,
    with_types: bool,
) -> Result<()> {
    let header: Vec<Vec<String>> = schema
        .fields()
        .iter()
        .map(|f| {
            let mut lines = vec![f.name().clone()];
            if with_types {
                lines.push(sql_type_name(f.data_type()).to_lowercase());
            }
            lines
        })
        .collect();
    let mut widths: Vec<usize> = header
        .iter()
        .map(|lines| lines.iter().map(|l| l.width()).max().unwrap_or(0))
        .collect();
    for_each_row(batches, "NULL", |row| {
        for (width, value) in widths.iter_mut().zip(row) {
            *width = (*width).max(cell_lines(value).map(|l| l.width()).max().unwrap_or(0));
        }
        Ok(())
    })?;
    let right_aligned: Vec<bool> = schema
        .fields()
        .iter()
        .map(|f| style == TableStyle::Boxed && f.data_type().is_numeric())
        .collect();
    let table = TableWriter {
        widths,
        right_aligned,
        style,
    };
    match style {
        TableStyle::Boxed => {
            table.rule(out, Rule('┌', '─', '┬', '┐'))?;
            table.row(out, &header, false)?;
            table.rule(out, Rule('╞', '═', '╪', '╡'))?;
        }
        TableStyle::Markdown => {
            table.row(out, &header, false)?;
            table.rule(out, Rule('|', '-', '|', '|'))?;
        }
    }
    for_each_row(batches, "NULL", |row| {
        let cells: Vec<Vec<String>> = row
            .iter()
            .map(|v| cell_lines(v).map(str::to_string).collect())
            .collect();
        table.row(out, &cells, true)
    })?;
    if style == TableStyle::Boxed {
        table.rule(out, Rule('└', '─', '┴', '┘'))?;
    }
    Ok(())
}

/// The text lines a value is drawn on: it is split at each line break
/// (`\n` or `\r\n`), so that measuring and drawing see the same lines.
fn cell_lines(value: &str) -> impl Iterator<Item = &str> {
    value
        .split('\n')
        .map(|line| line.strip_suffix('\r').unwrap_or(line))
}

/// `column` as it is shown: as its SQL text where Quiver writes values
/// differently from Arrow (intervals, BLOBs, nested types).
pub fn as_displayed(column: &ArrayRef) -> Result<ArrayRef> {
    if needs_sql_text(column.data_type()) {
        sql_text(column)
    } else {
        Ok(Arc::clone(column))
    }
}

/// `batch` with each column [`as_displayed`]: the columns Quiver writes
/// differently from Arrow become VARCHAR, for writers (such as CSV) that
/// would print them in Arrow's form or not at all.
pub fn displayed_batch(batch: &RecordBatch) -> Result<RecordBatch> {
    if !batch
        .schema()
        .fields()
        .iter()
        .any(|f| needs_sql_text(f.data_type()))
    {
        return Ok(batch.clone());
    }
    let columns = batch
        .columns()
        .iter()
        .map(as_displayed)
        .collect::<Result<Vec<_>>>()?;
    let fields: Vec<Field> = batch
        .schema()
        .fields()
        .iter()
        .zip(&columns)
        .map(|(f, c)| Field::new(f.name(), c.data_type().clone(), f.is_nullable()))
        .collect();
    Ok(RecordBatch::try_new(
        Arc::new(Schema::new(fields)),
        columns,
    )?)
}

/// Calls `f` with each row of `batches` as display strings, NULL written
/// as `null_text`.
fn for_each_row(
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
            .map(as_displayed)
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

/// Draws the lines of a table whose column widths are known.
struct TableWriter {
    widths: Vec<usize>,
    right_aligned: Vec<bool>,
    style: TableStyle,
}

impl TableWriter {
    /// A horizontal rule across every column.
    fn rule(&self, out: &mut dyn Write, Rule(left, fill, joint, right): Rule) -> Result<()> {
        let mut line = String::new();
        line.push(left);
        for (i, width) in self.widths.iter().enumerate() {
            if i > 0 {
                line.push(joint);
            }
            line.extend(std::iter::repeat_n(fill, width + 2));
        }
        line.push(right);
        writeln!(out, "{line}")?;
        Ok(())
    }

    /// One row of cells, each a list of lines; as many text lines as its
    /// tallest cell. Values are aligned as their column is when `values`.
    fn row(&self, out: &mut dyn Write, cells: &[Vec<String>], values: bool) -> Result<()> {
        let (edge, separator) = match self.style {
            TableStyle::Boxed => ('│', '┆'),
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
                let text = cell.get(line_no).map_or("", String::as_str);
                let pad = " ".repeat(self.widths[i].saturating_sub(text.width()));
                if values && self.right_aligned[i] {
                    line.push_str(&format!(" {pad}{text} "));
                } else {
                    line.push_str(&format!(" {text}{pad} "));
                }
            }
            line.push(edge);
            writeln!(out, "{line}")?;
        }
        Ok(())
    }
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

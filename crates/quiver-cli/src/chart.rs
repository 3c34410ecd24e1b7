//! `.plot`: a horizontal bar chart of a result, drawn with Unicode blocks,
//! for a quick look at a numeric column.

use arrow::array::Array;
use arrow::compute::cast;
use arrow::datatypes::{DataType, Schema};
use arrow::record_batch::RecordBatch;
use quiver::pretty::layout::cut;
use quiver::pretty::rows_as_strings;
use quiver::{QuiverError, Result};
use unicode_width::UnicodeWidthStr;

/// At most this many bars are drawn.
const MAX_BARS: usize = 100;

/// Block characters one eighth to eight eighths wide.
const EIGHTHS: [char; 8] = ['▏', '▎', '▍', '▌', '▋', '▊', '▉', '█'];

/// A bar per row: the label is the first column's text (or the row number
/// when the result has only the number), the length the last numeric
/// column's value, scaled so that the largest fills the width.
pub fn bar_chart(schema: &Schema, batches: &[RecordBatch], width: usize) -> Result<String> {
    let value_column = schema
        .fields()
        .iter()
        .rposition(|f| f.data_type().is_numeric())
        .ok_or_else(|| QuiverError::Plan(".plot needs a numeric column to draw".into()))?;
    let label_column = (value_column > 0).then_some(0);
    let mut bars: Vec<(String, Option<f64>)> = vec![];
    for batch in batches {
        let values = cast(batch.column(value_column), &DataType::Float64)?;
        let values = values
            .as_any()
            .downcast_ref::<arrow::array::Float64Array>()
            .ok_or_else(|| QuiverError::Internal("a cast to DOUBLE gave another type".into()))?;
        let labels = match label_column {
            Some(c) => rows_as_strings(&[batch.project(&[c])?], "NULL")?
                .into_iter()
                .map(|mut row| row.remove(0))
                .collect(),
            None => (bars.len()..bars.len() + batch.num_rows())
                .map(|i| (i + 1).to_string())
                .collect::<Vec<_>>(),
        };
        for (i, label) in labels.into_iter().enumerate() {
            bars.push((label, values.is_valid(i).then(|| values.value(i))));
        }
    }
    let shown = bars.len().min(MAX_BARS);
    let label_width = bars[..shown]
        .iter()
        .map(|(l, _)| l.width())
        .max()
        .unwrap_or(0)
        .min(24);
    let numbers: Vec<String> = bars[..shown]
        .iter()
        .map(|(_, v)| v.map_or("NULL".to_string(), number_text))
        .collect();
    let number_width = numbers.iter().map(|n| n.width()).max().unwrap_or(0);
    let largest = bars[..shown]
        .iter()
        .filter_map(|(_, v)| *v)
        .map(f64::abs)
        .fold(0.0, f64::max);
    let room = width.saturating_sub(label_width + number_width + 4).max(10);
    let mut text = String::new();
    for ((label, value), number) in bars[..shown].iter().zip(&numbers) {
        let label = cut(label, label_width);
        let pad = label_width - label.width();
        let length = match value {
            Some(v) if largest > 0.0 => v.abs() / largest * room as f64,
            _ => 0.0,
        };
        text.push_str(&format!(
            "{label}{} │{} {number}\n",
            " ".repeat(pad),
            blocks(length)
        ));
    }
    if bars.len() > shown {
        text.push_str(&format!("({shown} of {} rows drawn)\n", bars.len()));
    }
    Ok(text)
}

/// A bar `length` character cells long, to the nearest eighth.
fn blocks(length: f64) -> String {
    let eighths = (length * 8.0).round() as usize;
    let mut bar = "█".repeat(eighths / 8);
    if !eighths.is_multiple_of(8) {
        bar.push(EIGHTHS[eighths % 8 - 1]);
    }
    bar
}

fn number_text(value: f64) -> String {
    if value.fract() == 0.0 && value.abs() < 1e15 {
        format!("{value:.0}")
    } else {
        format!("{value:.2}")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int64Array, StringArray};
    use arrow::datatypes::Field;
    use std::sync::Arc;

    #[test]
    fn bars_scale_to_the_largest_value() {
        let schema = Arc::new(Schema::new(vec![
            Field::new("city", DataType::Utf8, true),
            Field::new("trips", DataType::Int64, true),
        ]));
        let batch = RecordBatch::try_new(
            Arc::clone(&schema),
            vec![
                Arc::new(StringArray::from(vec!["Oslo", "Rome"])),
                Arc::new(Int64Array::from(vec![Some(10), Some(5)])),
            ],
        )
        .unwrap();
        let text = bar_chart(&schema, &[batch], 30).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(lines.len(), 2, "{text}");
        let bar_length = |l: &str| l.chars().filter(|c| EIGHTHS.contains(c)).count();
        assert_eq!(bar_length(lines[0]), 2 * bar_length(lines[1]), "{text}");
        assert!(
            lines[0].starts_with("Oslo │") && lines[0].ends_with(" 10"),
            "{text}"
        );
    }

    #[test]
    fn a_result_without_numbers_is_an_error() {
        let schema = Schema::new(vec![Field::new("s", DataType::Utf8, true)]);
        let err = bar_chart(&schema, &[], 80).unwrap_err();
        assert!(err.to_string().contains("numeric column"), "{err}");
    }
}

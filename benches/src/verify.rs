//! Compares query results with expected answers stored as CSV (a header,
//! then rows; NULL as an empty field). Text must match exactly; numbers
//! within a relative tolerance, since engines print floats and decimals
//! differently.

use std::path::Path;

use arrow::record_batch::RecordBatch;
use quiver::pretty::rows_as_strings;

/// Relative tolerance for numeric values.
pub const TOLERANCE: f64 = 1e-6;

/// Reads an expected-answer CSV file: (column names, rows).
pub fn read_answer(path: &Path) -> Result<(Vec<String>, Vec<Vec<String>>), String> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| format!("cannot read {}: {e}", path.display()))?;
    let mut lines = parse_csv(&text).into_iter();
    let header = lines
        .next()
        .ok_or_else(|| format!("{} is empty", path.display()))?;
    Ok((header, lines.collect()))
}

/// Splits CSV text into rows of fields (RFC 4180 quoting).
fn parse_csv(text: &str) -> Vec<Vec<String>> {
    let mut rows = vec![];
    let mut row = vec![];
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match (c, quoted) {
            ('"', true) if chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            ('"', true) => quoted = false,
            ('"', false) if field.is_empty() => quoted = true,
            (',', false) => row.push(std::mem::take(&mut field)),
            ('\n', false) => {
                row.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut row));
            }
            (c, _) => field.push(c),
        }
    }
    if !field.is_empty() || !row.is_empty() {
        row.push(field);
        rows.push(row);
    }
    rows
}

fn same_value(got: &str, expected: &str) -> bool {
    if got == expected {
        return true;
    }
    match (got.parse::<f64>(), expected.parse::<f64>()) {
        (Ok(a), Ok(b)) => (a - b).abs() <= TOLERANCE * b.abs().max(1.0),
        _ => false,
    }
}

/// Checks `batches` (with column `names`) against the answer in `path`;
/// the error lists the first differences.
pub fn check(names: &[String], batches: &[RecordBatch], path: &Path) -> Result<(), String> {
    let (header, expected) = read_answer(path)?;
    let got = rows_as_strings(batches, "").map_err(|e| e.to_string())?;
    let mut problems = vec![];
    if names != header {
        problems.push(format!("columns {names:?}, expected {header:?}"));
    }
    if got.len() != expected.len() {
        problems.push(format!("{} rows, expected {}", got.len(), expected.len()));
    }
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        if g.len() != e.len() || !g.iter().zip(e).all(|(a, b)| same_value(a, b)) {
            problems.push(format!("row {}: {g:?}, expected {e:?}", i + 1));
        }
        if problems.len() >= 5 {
            break;
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_fields_unquote_and_numbers_compare_loosely() {
        let rows = parse_csv("a,b\n\"x,\"\"y\"\"\",\n1.0,2\n");
        assert_eq!(rows[1], vec!["x,\"y\"".to_string(), String::new()]);
        assert_eq!(rows.len(), 3);
        assert!(same_value("0.1000000001", "0.1"));
        assert!(!same_value("0.11", "0.1"));
        assert!(!same_value("a", "b"));
    }
}

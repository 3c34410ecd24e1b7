//! Points at the place in the SQL that an error names: the line, and a
//! caret under the column, as DuckDB's shell does:
//!
//! ```text
//! Binder Error: column "nope" not found
//! LINE 1: SELECT nope FROM t
//!                ^
//! ```

/// The (line, column) an error message names, 1-based: the binder's
/// "(line L, column C)" or the parser's "at Line: L, Column: C"; the last
/// one when there are several.
fn position(message: &str) -> Option<(usize, usize)> {
    let numbers = |text: &str, line_tag: &str, column_tag: &str| -> Option<(usize, usize)> {
        let at = text.rfind(line_tag)?;
        let rest = &text[at + line_tag.len()..];
        let line: String = rest.chars().take_while(char::is_ascii_digit).collect();
        let rest = &rest[line.len()..];
        let rest = rest.strip_prefix(column_tag)?;
        let column: String = rest.chars().take_while(char::is_ascii_digit).collect();
        Some((line.parse().ok()?, column.parse().ok()?))
    };
    numbers(message, "(line ", ", column ").or_else(|| numbers(message, "at Line: ", ", Column: "))
}

/// `message` without the positions it names (the caret shows them):
/// the binder's " (line L, column C)" and the parser's " at Line: L,
/// Column: C".
pub fn without_position(message: &str) -> String {
    let mut text = message.to_string();
    for (open, middle, close) in [
        (" (line ", ", column ", ")"),
        (" at Line: ", ", Column: ", ""),
    ] {
        while let Some(span) = position_span(&text, open, middle, close) {
            text.replace_range(span, "");
        }
    }
    text
}

/// The byte range of the first `open` L `middle` C `close` in `text`, with
/// L and C numbers.
fn position_span(
    text: &str,
    open: &str,
    middle: &str,
    close: &str,
) -> Option<std::ops::Range<usize>> {
    let mut from = 0;
    while let Some(found) = text[from..].find(open) {
        let start = from + found;
        let digits = |at: usize| text[at..].chars().take_while(char::is_ascii_digit).count();
        let line_end = start + open.len() + digits(start + open.len());
        let column_start = line_end + middle.len();
        if line_end > start + open.len() && text[line_end..].starts_with(middle) {
            let column_end = column_start + digits(column_start);
            if column_end > column_start && text[column_end..].starts_with(close) {
                return Some(start..column_end + close.len());
            }
        }
        from = start + open.len();
    }
    None
}

/// The lines that show where in `sql` the error `message` points, or None
/// when it names no position inside `sql`.
pub fn pointer(sql: &str, message: &str) -> Option<String> {
    let (line, column) = position(message)?;
    let text = sql.lines().nth(line.checked_sub(1)?)?;
    if column == 0 || column > text.chars().count() + 1 {
        return None;
    }
    let prefix = format!("LINE {line}: ");
    let before: String = text.chars().take(column - 1).collect();
    // Tabs stay tabs so that the caret lines up in a terminal.
    let pad: String = before
        .chars()
        .map(|c| if c == '\t' { '\t' } else { ' ' })
        .collect();
    Some(format!(
        "{prefix}{text}\n{}{pad}^",
        " ".repeat(prefix.chars().count())
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_at_the_named_column() {
        let sql = "SELECT 1;\nSELECT nope FROM t";
        let message = "Planning error: column \"nope\" not found (line 2, column 8)";
        assert_eq!(
            pointer(sql, message).unwrap(),
            "LINE 2: SELECT nope FROM t\n               ^"
        );
        let parse =
            "SQL parse error: Expected: an SQL statement, found: SELEC at Line: 1, Column: 1";
        assert_eq!(
            pointer("SELEC 1", parse).unwrap(),
            "LINE 1: SELEC 1\n        ^"
        );
    }

    #[test]
    fn the_position_leaves_the_message() {
        assert_eq!(
            without_position("column \"x\" not found (line 2, column 8); did you mean \"y\"?"),
            "column \"x\" not found; did you mean \"y\"?"
        );
        assert_eq!(
            without_position("column \"x\" not found (line 2, column 8)"),
            "column \"x\" not found"
        );
        assert_eq!(
            without_position("Expected: an SQL statement, found: SELEC at Line: 1, Column: 1"),
            "Expected: an SQL statement, found: SELEC"
        );
    }

    #[test]
    fn no_pointer_without_a_position_inside_the_text() {
        assert_eq!(
            pointer("SELECT 1", "Execution error: division by zero"),
            None
        );
        assert_eq!(pointer("SELECT 1", "bad (line 5, column 1)"), None);
        assert_eq!(pointer("SELECT 1", "bad (line 1, column 40)"), None);
    }
}

//! Splits shell input into dot commands and SQL, the same way for `-c`,
//! `-f`, standard input, `.read` and the interactive prompt: a line that
//! starts with `.` while no statement is open is a dot command; everything
//! else is SQL, which runs once its statement ends with `;`.

/// Follows SQL text line by line and knows whether it ends between
/// statements: outside quotes and comments, after a `;` (or with nothing
/// but blanks and comments since the last one).
#[derive(Debug, Default, Clone)]
pub struct StatementScanner {
    /// The quote character of an open string or quoted name.
    quote: Option<char>,
    /// Inside a `/* ... */` comment.
    block_comment: bool,
    /// The last character that is not blank and not in a comment.
    last: Option<char>,
}

impl StatementScanner {
    /// Reads `text`, carrying the open quote or comment across calls.
    pub fn feed(&mut self, text: &str) {
        let mut chars = text.chars().peekable();
        while let Some(c) = chars.next() {
            if self.block_comment {
                if c == '*' && chars.peek() == Some(&'/') {
                    chars.next();
                    self.block_comment = false;
                }
                continue;
            }
            match self.quote {
                Some(q) if c == q => self.quote = None,
                Some(_) => {}
                None if c == '\'' || c == '"' => {
                    self.quote = Some(c);
                    self.last = Some(c);
                }
                None if c == '-' && chars.peek() == Some(&'-') => {
                    for n in chars.by_ref() {
                        if n == '\n' {
                            break;
                        }
                    }
                }
                None if c == '/' && chars.peek() == Some(&'*') => {
                    chars.next();
                    self.block_comment = true;
                }
                None if !c.is_whitespace() => self.last = Some(c),
                None => {}
            }
        }
    }

    /// True when the text so far ends between statements.
    pub fn between_statements(&self) -> bool {
        self.quote.is_none() && !self.block_comment && matches!(self.last, None | Some(';'))
    }
}

/// True when `buffer` holds one or more complete statements and nothing
/// after them but blanks and comments.
pub fn statement_complete(buffer: &str) -> bool {
    let mut scanner = StatementScanner::default();
    scanner.feed(buffer);
    scanner.last.is_some() && scanner.between_statements()
}

/// One step of a script.
#[derive(Debug, PartialEq, Eq)]
pub enum ScriptItem {
    /// A dot command, trimmed, and its 1-based line.
    Dot { line: usize, text: String },
    /// SQL statements; `text` keeps the script's line numbers (it starts
    /// with one line break per line before `first_line`), so that errors
    /// point into the script as written.
    Sql { first_line: usize, text: String },
}

/// The dot commands and SQL of `script`, in order.
pub fn split_script(script: &str) -> Vec<ScriptItem> {
    let mut items = vec![];
    let mut scanner = StatementScanner::default();
    let mut sql = String::new();
    let mut first_line = 0;
    for (index, line) in script.lines().enumerate() {
        let number = index + 1;
        if scanner.between_statements() && line.trim_start().starts_with('.') {
            flush_sql(&mut items, &mut sql, first_line);
            items.push(ScriptItem::Dot {
                line: number,
                text: line.trim().to_string(),
            });
            continue;
        }
        if sql.is_empty() {
            if line.trim().is_empty() {
                continue;
            }
            first_line = number;
            sql.push_str(&"\n".repeat(number - 1));
        }
        sql.push_str(line);
        sql.push('\n');
        scanner.feed(line);
        scanner.feed("\n");
    }
    flush_sql(&mut items, &mut sql, first_line);
    items
}

fn flush_sql(items: &mut Vec<ScriptItem>, sql: &mut String, first_line: usize) {
    if !sql.trim().is_empty() {
        items.push(ScriptItem::Sql {
            first_line,
            text: std::mem::take(sql),
        });
    }
    sql.clear();
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn statements_end_at_a_semicolon_outside_quotes_and_comments() {
        assert!(statement_complete("SELECT 1;"));
        assert!(statement_complete("SELECT 1;  \n"));
        assert!(!statement_complete("SELECT 1"));
        assert!(!statement_complete("SELECT ';"));
        assert!(statement_complete("SELECT ';';"));
        assert!(statement_complete("SELECT 1; -- done"));
        assert!(statement_complete("SELECT 1 -- note;\n;"));
        assert!(!statement_complete("SELECT 1 /* ; */"));
        assert!(statement_complete("SELECT 1 /* x */;"));
        assert!(!statement_complete(""));
    }

    #[test]
    fn dot_commands_only_between_statements() {
        let items = split_script(".mode csv\nSELECT 1\n.5 AS x;\n\n.timer on\nSELECT 2;");
        assert_eq!(
            items,
            vec![
                ScriptItem::Dot {
                    line: 1,
                    text: ".mode csv".into()
                },
                ScriptItem::Sql {
                    first_line: 2,
                    text: "\nSELECT 1\n.5 AS x;\n\n".into()
                },
                ScriptItem::Dot {
                    line: 5,
                    text: ".timer on".into()
                },
                ScriptItem::Sql {
                    first_line: 6,
                    text: "\n\n\n\n\nSELECT 2;\n".into()
                },
            ]
        );
    }

    #[test]
    fn a_quoted_line_starting_with_a_dot_is_sql() {
        let items = split_script("SELECT '\n.not a command';");
        assert_eq!(items.len(), 1);
        assert!(matches!(&items[0], ScriptItem::Sql { first_line: 1, .. }));
    }
}

//! Tab completion and syntax highlighting for the interactive shell.

use std::borrow::Cow;

use quiver::SessionContext;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::Validator;
use rustyline::{Context, Helper};

/// SQL keywords offered for completion and highlighted.
const KEYWORDS: &[&str] = &[
    "AND",
    "AS",
    "ASC",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "CREATE",
    "CSV",
    "CURRENT",
    "DATE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCLUDE",
    "EXISTS",
    "EXPLAIN",
    "EXTERNAL",
    "EXTRACT",
    "FALSE",
    "FIRST",
    "FOLLOWING",
    "FROM",
    "GROUP",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "ILIKE",
    "IN",
    "INTERVAL",
    "IS",
    "LAST",
    "LIKE",
    "LIMIT",
    "LOCATION",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "OPTIONS",
    "OR",
    "ORDER",
    "OVER",
    "PARQUET",
    "PARTITION",
    "PRECEDING",
    "QUALIFY",
    "RANGE",
    "REPLACE",
    "RESPECT",
    "ROW",
    "ROWS",
    "SELECT",
    "SHOW",
    "STORED",
    "TABLE",
    "TABLES",
    "THEN",
    "TIES",
    "TIMESTAMP",
    "TRUE",
    "UNBOUNDED",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

const DOT_COMMANDS: &[&str] = &[
    ".exit", ".help", ".maxrows", ".mode", ".quit", ".schema", ".tables", ".timer",
];

/// Completes keywords, table, column and function names, and dot commands;
/// colours keywords, strings and numbers.
pub struct SqlHelper {
    ctx: SessionContext,
}

impl SqlHelper {
    /// A helper that completes names from `ctx`'s catalog.
    pub fn new(ctx: SessionContext) -> Self {
        Self { ctx }
    }

    fn names(&self) -> Vec<String> {
        let mut names: Vec<String> = KEYWORDS.iter().map(|k| k.to_string()).collect();
        for (table, _) in self.ctx.table_names() {
            if let Some(schema) = self.ctx.table_schema(&table) {
                names.extend(schema.fields().iter().map(|f| f.name().clone()));
            }
            names.push(table);
        }
        names.extend(self.ctx.state().functions().names());
        names.sort();
        names.dedup();
        names
    }
}

/// Where the word ending at `pos` starts.
fn word_start(line: &str, pos: usize) -> usize {
    line[..pos]
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |i| i + 1)
}

impl Completer for SqlHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let start = word_start(line, pos);
        let word = &line[start..pos];
        if word.is_empty() {
            return Ok((pos, vec![]));
        }
        let lower = word.to_lowercase();
        let pool: Vec<String> = if start == 0 && word.starts_with('.') {
            DOT_COMMANDS.iter().map(|c| c.to_string()).collect()
        } else {
            self.names()
        };
        let typed_lower = word.chars().all(|c| !c.is_uppercase());
        let candidates = pool
            .into_iter()
            .filter(|n| n.to_lowercase().starts_with(&lower))
            .map(|n| {
                let is_keyword = KEYWORDS.contains(&n.as_str());
                let replacement = if is_keyword && typed_lower {
                    n.to_lowercase()
                } else {
                    n.clone()
                };
                Pair {
                    display: n,
                    replacement,
                }
            })
            .collect();
        Ok((start, candidates))
    }
}

/// Colours SQL text with ANSI escapes: keywords bold blue, strings green,
/// numbers yellow.
pub fn highlight_sql(line: &str) -> String {
    let mut out = String::with_capacity(line.len() + 16);
    let chars: Vec<char> = line.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let end = chars[i + 1..]
                .iter()
                .position(|&d| d == '\'')
                .map_or(chars.len(), |p| i + 2 + p);
            out.push_str("\x1b[32m");
            out.extend(&chars[i..end]);
            out.push_str("\x1b[0m");
            i = end;
        } else if c.is_ascii_digit()
            && (i == 0 || !(chars[i - 1].is_alphanumeric() || chars[i - 1] == '_'))
        {
            let end = chars[i..]
                .iter()
                .position(|d| !(d.is_ascii_digit() || *d == '.'))
                .map_or(chars.len(), |p| i + p);
            out.push_str("\x1b[33m");
            out.extend(&chars[i..end]);
            out.push_str("\x1b[0m");
            i = end;
        } else if c.is_alphabetic() || c == '_' {
            let end = chars[i..]
                .iter()
                .position(|d| !(d.is_alphanumeric() || *d == '_'))
                .map_or(chars.len(), |p| i + p);
            let word: String = chars[i..end].iter().collect();
            if KEYWORDS.contains(&word.to_uppercase().as_str()) {
                out.push_str("\x1b[1;34m");
                out.push_str(&word);
                out.push_str("\x1b[0m");
            } else {
                out.push_str(&word);
            }
            i = end;
        } else {
            out.push(c);
            i += 1;
        }
    }
    out
}

impl Highlighter for SqlHelper {
    fn highlight<'l>(&self, line: &'l str, _pos: usize) -> Cow<'l, str> {
        if line.trim_start().starts_with('.') {
            Cow::Borrowed(line)
        } else {
            Cow::Owned(highlight_sql(line))
        }
    }

    fn highlight_char(&self, _line: &str, _pos: usize, _kind: CmdKind) -> bool {
        true
    }
}

impl Hinter for SqlHelper {
    type Hint = String;
}

impl Validator for SqlHelper {}

impl Helper for SqlHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::DefaultHistory;

    #[tokio::test]
    async fn completes_tables_columns_keywords_and_commands() {
        let ctx = SessionContext::new();
        ctx.sql("CREATE VIEW trips AS SELECT 1 AS passenger_count")
            .await
            .unwrap();
        let helper = SqlHelper::new(ctx);
        let history = DefaultHistory::new();
        let context = Context::new(&history);
        let complete = |line: &str| {
            let (start, pairs) = helper.complete(line, line.len(), &context).unwrap();
            (
                start,
                pairs.into_iter().map(|p| p.replacement).collect::<Vec<_>>(),
            )
        };
        assert_eq!(
            complete("SELECT passe"),
            (7, vec!["passenger_count".to_string()])
        );
        assert_eq!(
            complete("select * from t wher").1,
            vec!["where".to_string()]
        );
        assert!(complete("SELECT * FROM tri")
            .1
            .contains(&"trips".to_string()));
        assert_eq!(complete(".ti").1, vec![".timer".to_string()]);
    }

    #[test]
    fn highlights_keywords_strings_and_numbers() {
        let h = highlight_sql("select 'from' , 42 from t1");
        assert!(h.starts_with("\x1b[1;34mselect\x1b[0m"), "{h:?}");
        assert!(
            h.contains("\x1b[32m'from'\x1b[0m") && h.contains("\x1b[33m42\x1b[0m"),
            "{h:?}"
        );
        assert!(
            h.ends_with(" t1"),
            "digits inside names are not numbers: {h:?}"
        );
    }
}

//! The line editor's helper: completion that knows where the cursor is,
//! syntax highlighting, and multi-line statements.

use std::borrow::Cow;

use quiver::function_reference::function_signatures;
use quiver::SessionContext;
use rustyline::completion::{Completer, Pair};
use rustyline::highlight::{CmdKind, Highlighter};
use rustyline::hint::Hinter;
use rustyline::validate::{ValidationContext, ValidationResult, Validator};
use rustyline::{Context, Helper};

use crate::completion_context::{cursor_context, paths, CursorContext};
use crate::dot_commands::COMMANDS;
use crate::script::statement_complete;

/// SQL keywords offered for completion and highlighted.
pub const KEYWORDS: &[&str] = &[
    "ALL",
    "ALTER",
    "AND",
    "ANTI",
    "ANY",
    "AS",
    "ASC",
    "ASOF",
    "BETWEEN",
    "BY",
    "CASE",
    "CAST",
    "COLUMNS",
    "COPY",
    "CREATE",
    "CROSS",
    "CSV",
    "CUBE",
    "CURRENT",
    "DATE",
    "DEFAULT",
    "DELETE",
    "DESC",
    "DESCRIBE",
    "DISTINCT",
    "DROP",
    "ELSE",
    "END",
    "EXCEPT",
    "EXCLUDE",
    "EXISTS",
    "EXPLAIN",
    "EXTERNAL",
    "EXTRACT",
    "FALSE",
    "FILTER",
    "FIRST",
    "FOLLOWING",
    "FROM",
    "FULL",
    "GROUP",
    "GROUPING",
    "GROUPS",
    "HAVING",
    "IF",
    "IGNORE",
    "ILIKE",
    "IN",
    "INNER",
    "INSERT",
    "INTERSECT",
    "INTERVAL",
    "INTO",
    "IS",
    "JOIN",
    "JSON",
    "LAST",
    "LATERAL",
    "LEFT",
    "LIKE",
    "LIMIT",
    "LOCATION",
    "NATURAL",
    "NOT",
    "NULL",
    "NULLS",
    "OFFSET",
    "ON",
    "OPTIONS",
    "OR",
    "ORDER",
    "OUTER",
    "OVER",
    "PARQUET",
    "PARTITION",
    "PIVOT",
    "PRECEDING",
    "PREPARE",
    "QUALIFY",
    "RANGE",
    "RECURSIVE",
    "RENAME",
    "REPLACE",
    "RESPECT",
    "RIGHT",
    "ROLLUP",
    "ROW",
    "ROWS",
    "SELECT",
    "SEMI",
    "SET",
    "SETS",
    "SHOW",
    "STORED",
    "SUMMARIZE",
    "TABLE",
    "TABLES",
    "TABLESAMPLE",
    "THEN",
    "TIES",
    "TIMESTAMP",
    "TO",
    "TRUE",
    "TRUNCATE",
    "UNBOUNDED",
    "UNION",
    "UNNEST",
    "UNPIVOT",
    "UPDATE",
    "USING",
    "VALUES",
    "VIEW",
    "WHEN",
    "WHERE",
    "WINDOW",
    "WITH",
];

/// How long completion waits for a directory listing.
const LISTING_PATIENCE: std::time::Duration = std::time::Duration::from_secs(3);

/// Completes what fits where the cursor is; colours SQL; keeps reading
/// lines until a statement ends with `;`.
pub struct SqlHelper {
    ctx: SessionContext,
    functions: Vec<(String, String)>,
}

impl SqlHelper {
    /// A helper that completes names from `ctx`'s catalog.
    pub fn new(ctx: SessionContext) -> Self {
        Self {
            ctx,
            functions: function_signatures(),
        }
    }

    fn table_names(&self) -> Vec<String> {
        let mut names: Vec<String> = self.ctx.table_names().into_iter().map(|(n, _)| n).collect();
        names.sort();
        names
    }

    fn columns_of(&self, table: &str) -> Vec<String> {
        self.ctx
            .table_schema(table)
            .map(|schema| schema.fields().iter().map(|f| f.name().clone()).collect())
            .unwrap_or_default()
    }

    /// The names in `directory`, local or in S3. A listing that takes
    /// longer than [`LISTING_PATIENCE`] (an unreachable server) gives none
    /// rather than freeze the prompt.
    fn directory_names(&self, directory: &str) -> Vec<String> {
        let (sender, receiver) = std::sync::mpsc::channel();
        let ctx = self.ctx.clone();
        let directory = directory.to_string();
        std::thread::spawn(move || {
            let _ = sender.send(ctx.directory_names(&directory).unwrap_or_default());
        });
        receiver.recv_timeout(LISTING_PATIENCE).unwrap_or_default()
    }

    /// The candidates for `word`, typed where `context` says.
    fn candidates(&self, context: &CursorContext, word: &str) -> Vec<Pair> {
        let lower = word.to_lowercase();
        let matches = |name: &str| name.to_lowercase().starts_with(&lower);
        let plain = |name: String| Pair {
            display: name.clone(),
            replacement: name,
        };
        match context {
            CursorContext::DotCommand => COMMANDS
                .iter()
                .filter(|(name, ..)| matches(name))
                .map(|(name, args, _)| Pair {
                    display: format!("{name} {args}").trim_end().to_string(),
                    replacement: name.to_string(),
                })
                .collect(),
            CursorContext::Path => vec![],
            CursorContext::Table => self
                .table_names()
                .into_iter()
                .filter(|n| matches(n))
                .map(plain)
                .collect(),
            CursorContext::Column { table } => self
                .columns_of(table)
                .into_iter()
                .filter(|n| matches(n))
                .map(plain)
                .collect(),
            CursorContext::Expression { tables } => {
                let tables: Vec<String> = if tables.is_empty() {
                    self.table_names()
                } else {
                    tables.clone()
                };
                let mut columns: Vec<String> = tables
                    .iter()
                    .flat_map(|t| self.columns_of(t))
                    .filter(|n| matches(n))
                    .collect();
                columns.sort();
                columns.dedup();
                let mut pairs: Vec<Pair> = columns.into_iter().map(plain).collect();
                let typed_lower = word.chars().all(|c| !c.is_uppercase());
                pairs.extend(KEYWORDS.iter().filter(|k| matches(k)).map(|k| {
                    let keyword = if typed_lower {
                        k.to_lowercase()
                    } else {
                        k.to_string()
                    };
                    plain(keyword)
                }));
                pairs.extend(self.functions.iter().filter(|(name, _)| matches(name)).map(
                    |(name, signature)| Pair {
                        display: match signature.as_str() {
                            "" => format!("{name}()"),
                            s if s.starts_with(name.as_str()) => s.to_string(),
                            s => format!("{name}: {s}"),
                        },
                        replacement: format!("{name}("),
                    },
                ));
                pairs
            }
        }
    }
}

impl Completer for SqlHelper {
    type Candidate = Pair;

    fn complete(
        &self,
        line: &str,
        pos: usize,
        _ctx: &Context<'_>,
    ) -> rustyline::Result<(usize, Vec<Pair>)> {
        let before = &line[..pos];
        let (context, start) =
            cursor_context(before, &|name| self.ctx.table_schema(name).is_some());
        if let CursorContext::Path = context {
            let list = |directory: &str| self.directory_names(directory);
            return Ok((start, paths(&before[start..], &list)));
        }
        let word = &before[start..];
        let listable = matches!(context, CursorContext::Column { .. } | CursorContext::Table);
        if word.is_empty() && !listable {
            return Ok((pos, vec![]));
        }
        Ok((start, self.candidates(&context, word)))
    }
}

/// Colours SQL text with ANSI escapes: keywords bold blue, strings green,
/// numbers yellow; an unclosed string and an unmatched `)` red.
pub fn highlight_sql(text: &str) -> String {
    let mut out = String::with_capacity(text.len() + 16);
    let chars: Vec<char> = text.chars().collect();
    let mut open_parentheses = 0usize;
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c == '\'' {
            let close = chars[i + 1..].iter().position(|&d| d == '\'');
            let end = close.map_or(chars.len(), |p| i + 2 + p);
            out.push_str(if close.is_some() {
                "\x1b[32m"
            } else {
                "\x1b[31m"
            });
            out.extend(&chars[i..end]);
            out.push_str("\x1b[0m");
            i = end;
        } else if c == '-' && chars.get(i + 1) == Some(&'-') {
            let end = chars[i..]
                .iter()
                .position(|&d| d == '\n')
                .map_or(chars.len(), |p| i + p);
            out.push_str("\x1b[90m");
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
            match c {
                '(' => open_parentheses += 1,
                ')' if open_parentheses == 0 => {
                    out.push_str("\x1b[31m)\x1b[0m");
                    i += 1;
                    continue;
                }
                ')' => open_parentheses -= 1,
                _ => {}
            }
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

impl Validator for SqlHelper {
    /// Enter ends the input only at the end of a statement (or of a dot
    /// command); otherwise it starts a new line of the same statement, so
    /// that the whole statement is edited and recalled as one.
    fn validate(&self, ctx: &mut ValidationContext<'_>) -> rustyline::Result<ValidationResult> {
        if input_complete(ctx.input()) {
            Ok(ValidationResult::Valid(None))
        } else {
            Ok(ValidationResult::Incomplete)
        }
    }
}

/// True when Enter after `input` runs it: it is blank, a dot command, or
/// ends a statement.
fn input_complete(input: &str) -> bool {
    let trimmed = input.trim_start();
    trimmed.is_empty() || trimmed.starts_with('.') || statement_complete(input)
}

impl Helper for SqlHelper {}

#[cfg(test)]
mod tests {
    use super::*;
    use rustyline::history::DefaultHistory;

    async fn helper() -> SqlHelper {
        let ctx = SessionContext::new();
        ctx.sql("CREATE VIEW trips AS SELECT 1 AS passenger_count, 2 AS fare")
            .await
            .unwrap();
        ctx.sql("CREATE VIEW zones AS SELECT 1 AS zone_id, 'x' AS borough")
            .await
            .unwrap();
        SqlHelper::new(ctx)
    }

    fn complete(helper: &SqlHelper, line: &str) -> (usize, Vec<String>) {
        let history = DefaultHistory::new();
        let context = Context::new(&history);
        let (start, pairs) = helper.complete(line, line.len(), &context).unwrap();
        (start, pairs.into_iter().map(|p| p.replacement).collect())
    }

    #[tokio::test]
    async fn completion_knows_where_the_cursor_is() {
        let helper = helper().await;
        assert_eq!(
            complete(&helper, "SELECT passe"),
            (7, vec!["passenger_count".to_string()])
        );
        assert_eq!(
            complete(&helper, "select * from trips wher").1,
            vec!["where".to_string()]
        );
        assert_eq!(complete(&helper, "SELECT * FROM t").1, vec!["trips"]);
        assert_eq!(
            complete(&helper, "SELECT * FROM zones z JOIN trips t ON z.").1,
            vec!["zone_id", "borough"]
        );
        assert_eq!(
            complete(&helper, "SELECT * FROM ").1,
            vec!["trips", "zones"]
        );
        assert_eq!(complete(&helper, "SELECT bo").1[0], "borough");
        assert_eq!(
            complete(&helper, "SELECT fa FROM zones, trips WHERE fa").1[0],
            "fare"
        );
        assert_eq!(complete(&helper, ".ti").1, vec![".timer"]);
        assert!(complete(&helper, "SELECT upp")
            .1
            .contains(&"upper(".to_string()));
    }

    #[tokio::test]
    async fn a_candidate_list_shows_function_signatures() {
        let helper = helper().await;
        let history = DefaultHistory::new();
        let context = Context::new(&history);
        let (_, pairs) = helper.complete("SELECT roun", 11, &context).unwrap();
        let round = pairs.iter().find(|p| p.replacement == "round(").unwrap();
        assert_eq!(round.display, "round(x [, digits])");
    }

    #[test]
    fn statements_continue_until_their_semicolon() {
        assert!(!input_complete("SELECT 1"));
        assert!(!input_complete("SELECT ';"));
        assert!(input_complete("SELECT 1\n  FROM trips;"));
        assert!(input_complete(".mode csv"));
        assert!(input_complete("  "));
    }

    #[test]
    fn highlights_keywords_strings_numbers_and_errors() {
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
        assert!(highlight_sql("select 'open").contains("\x1b[31m'open"));
        assert!(highlight_sql("select 1)").contains("\x1b[31m)"));
    }
}

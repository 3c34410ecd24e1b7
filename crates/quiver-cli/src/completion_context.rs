//! Where the cursor is in a statement being typed, for completion: in a
//! quoted file path, after FROM or JOIN, after `alias.`, or in an
//! expression over the statement's tables.

use rustyline::completion::Pair;

/// What fits at the cursor.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CursorContext {
    /// The name of a dot command.
    DotCommand,
    /// A file path (inside quotes, or after `.read`).
    Path,
    /// A table or view name (after FROM, JOIN, INTO, ...).
    Table,
    /// A column of this table (after `table.` or `alias.`).
    Column {
        /// The table the qualifier names.
        table: String,
    },
    /// Anything in an expression: columns of these tables (the ones the
    /// statement reads), functions, keywords.
    Expression {
        /// The known tables the statement names.
        tables: Vec<String>,
    },
}

/// Keywords after which a table name comes.
const BEFORE_TABLE: &[&str] = &[
    "FROM",
    "JOIN",
    "INTO",
    "TABLE",
    "UPDATE",
    "DESCRIBE",
    "SUMMARIZE",
];

/// Dot commands whose argument is a file.
const FILE_COMMANDS: &[&str] = &[".read", ".output", ".o", ".once"];

/// A word of a statement: a name (possibly dotted) or one punctuation
/// character; quoted strings are left out.
fn words(text: &str) -> Vec<&str> {
    let mut words = vec![];
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c == '\'' {
            for (_, d) in chars.by_ref() {
                if d == '\'' {
                    break;
                }
            }
        } else if c.is_alphanumeric() || c == '_' || c == '"' {
            let mut end = i + c.len_utf8();
            while let Some(&(j, d)) = chars.peek() {
                if d.is_alphanumeric() || d == '_' || d == '.' || d == '"' {
                    end = j + d.len_utf8();
                    chars.next();
                } else {
                    break;
                }
            }
            words.push(&text[i..end]);
        } else if !c.is_whitespace() {
            words.push(&text[i..i + c.len_utf8()]);
        }
    }
    words
}

fn is_keyword(word: &str) -> bool {
    crate::helper::KEYWORDS.contains(&word.to_uppercase().as_str())
}

/// `name` without the double quotes around it.
fn unquoted_name(name: &str) -> &str {
    name.trim_matches('"')
}

/// The known tables `text` reads (after FROM and JOIN, comma lists
/// included), each with its alias if it has one.
pub fn tables_in(text: &str, is_table: &dyn Fn(&str) -> bool) -> Vec<(String, Option<String>)> {
    let words = words(text);
    let mut tables = vec![];
    let mut i = 0;
    while i < words.len() {
        let upper = words[i].to_uppercase();
        if upper != "FROM" && upper != "JOIN" {
            i += 1;
            continue;
        }
        i += 1;
        while let Some(name) = words.get(i).map(|w| unquoted_name(w)) {
            if !is_table(name) {
                break;
            }
            i += 1;
            if words.get(i).is_some_and(|w| w.eq_ignore_ascii_case("AS")) {
                i += 1;
            }
            let alias = words
                .get(i)
                .filter(|w| !is_keyword(w) && w.chars().next().is_some_and(char::is_alphabetic))
                .map(|w| unquoted_name(w).to_string());
            if alias.is_some() {
                i += 1;
            }
            tables.push((name.to_string(), alias));
            if words.get(i) == Some(&",") {
                i += 1;
            } else {
                break;
            }
        }
    }
    tables
}

/// What fits at the end of `before` (the text before the cursor) and where
/// the text it replaces starts.
pub fn cursor_context(before: &str, is_table: &dyn Fn(&str) -> bool) -> (CursorContext, usize) {
    let trimmed = before.trim_start();
    if trimmed.starts_with('.') {
        let offset = before.len() - trimmed.len();
        return match trimmed.split_once(char::is_whitespace) {
            None => (CursorContext::DotCommand, offset),
            Some((command, _)) if FILE_COMMANDS.contains(&command) => {
                let argument = before.rfind(char::is_whitespace).map_or(0, |i| i + 1);
                let argument = argument + usize::from(before[argument..].starts_with('\''));
                (CursorContext::Path, argument)
            }
            Some(_) => (CursorContext::Expression { tables: vec![] }, before.len()),
        };
    }
    if let Some(quote) = open_quote(before) {
        return (CursorContext::Path, quote + 1);
    }
    let start = before
        .rfind(|c: char| !(c.is_alphanumeric() || c == '_' || c == '.'))
        .map_or(0, |i| i + 1);
    let word = &before[start..];
    if let Some(dot) = word.rfind('.') {
        let qualifier = &word[..dot];
        let tables = tables_in(before, is_table);
        let table = tables
            .iter()
            .find(|(_, alias)| alias.as_deref() == Some(qualifier))
            .map(|(table, _)| table.clone())
            .unwrap_or_else(|| qualifier.to_string());
        return (CursorContext::Column { table }, start + dot + 1);
    }
    let previous = words(&before[..start]).last().map(|w| w.to_uppercase());
    if previous.is_some_and(|w| BEFORE_TABLE.contains(&w.as_str())) {
        return (CursorContext::Table, start);
    }
    let tables = tables_in(before, is_table)
        .into_iter()
        .map(|(table, _)| table)
        .collect();
    (CursorContext::Expression { tables }, start)
}

/// Where the single-quoted string open at the end of `text` starts.
fn open_quote(text: &str) -> Option<usize> {
    let mut open = None;
    for (i, c) in text.char_indices() {
        if c == '\'' {
            open = match open {
                Some(_) => None,
                None => Some(i),
            };
        }
    }
    open
}

/// The files and directories whose paths start with `partial` (a local
/// path or an `s3://bucket/…` key), directories with a trailing `/`; the
/// replacement is the whole path. `list` gives the names in a directory,
/// as [`quiver::SessionContext::directory_names`] does.
pub fn paths(partial: &str, list: &dyn Fn(&str) -> Vec<String>) -> Vec<Pair> {
    let (directory, prefix) = match partial.rfind('/') {
        Some(i) => (&partial[..=i], &partial[i + 1..]),
        None => ("", partial),
    };
    if directory.ends_with("://") {
        // "s3://" or "s3://buck": no bucket to list yet.
        return vec![];
    }
    let listed = if directory.is_empty() { "." } else { directory };
    list(listed)
        .into_iter()
        .filter(|name| name.starts_with(prefix))
        .map(|name| Pair {
            replacement: format!("{directory}{name}"),
            display: name,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn known(name: &str) -> bool {
        matches!(name, "trips" | "zones")
    }

    #[test]
    fn tables_and_aliases_of_a_statement() {
        assert_eq!(
            tables_in("SELECT * FROM trips t JOIN zones AS z ON t.a = z.b", &known),
            vec![
                ("trips".to_string(), Some("t".to_string())),
                ("zones".to_string(), Some("z".to_string()))
            ]
        );
        assert_eq!(
            tables_in("SELECT 1 FROM trips, zones WHERE x", &known),
            vec![("trips".to_string(), None), ("zones".to_string(), None)]
        );
        assert_eq!(tables_in("SELECT 'FROM trips'", &known), vec![]);
    }

    #[test]
    fn contexts() {
        let context = |text: &str| cursor_context(text, &known);
        assert_eq!(context("SELECT * FROM 'data/tr"), (CursorContext::Path, 15));
        assert_eq!(context("SELECT * FROM tr"), (CursorContext::Table, 14));
        assert_eq!(
            context("SELECT * FROM zones JOIN "),
            (CursorContext::Table, 25)
        );
        assert_eq!(
            context("SELECT z.bo"),
            (
                CursorContext::Column {
                    table: "z".to_string()
                },
                9
            )
        );
        assert_eq!(
            context("SELECT * FROM zones z WHERE z.bo").0,
            CursorContext::Column {
                table: "zones".to_string()
            }
        );
        assert_eq!(context(".rea"), (CursorContext::DotCommand, 0));
        assert_eq!(context(".read scripts/se"), (CursorContext::Path, 6));
        assert_eq!(
            context("SELECT x FROM trips WHERE fa"),
            (
                CursorContext::Expression {
                    tables: vec!["trips".to_string()]
                },
                26
            )
        );
    }

    #[test]
    fn paths_in_a_directory() {
        let list = |dir: &str| match dir {
            "." => vec!["data/".to_string(), "notes.txt".into()],
            "data/" => vec![
                "tables/".to_string(),
                "taxis.csv".into(),
                "trips.parquet".into(),
            ],
            "s3://bucket/" => vec!["logs/".to_string()],
            _ => vec![],
        };
        let shown = |partial: &str| -> Vec<(String, String)> {
            paths(partial, &list)
                .into_iter()
                .map(|p| (p.display, p.replacement))
                .collect()
        };
        assert_eq!(
            shown("data/t"),
            vec![
                ("tables/".to_string(), "data/tables/".to_string()),
                ("taxis.csv".into(), "data/taxis.csv".into()),
                ("trips.parquet".into(), "data/trips.parquet".into())
            ]
        );
        assert_eq!(shown("d"), vec![("data/".to_string(), "data/".to_string())]);
        assert_eq!(
            shown("s3://bucket/l"),
            vec![("logs/".to_string(), "s3://bucket/logs/".to_string())]
        );
        assert!(shown("s3://buck").is_empty());
    }
}

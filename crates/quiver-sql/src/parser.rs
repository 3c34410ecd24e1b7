//! Splits a script into statements and parses each, remembering the line it
//! starts on. Adds `CREATE EXTERNAL TABLE .. STORED AS .. LOCATION ..
//! [OPTIONS (..)]` and `COPY .. TO 'location' (FORMAT .., PARTITION_BY (..))`
//! to what sqlparser understands, and `GLOB` (`glob.rs`).

use quiver_expr::stack::with_stack;
use quiver_expr::{QuiverError, Result};
use sqlparser::ast::{ColumnDef, ObjectName};
use sqlparser::dialect::GenericDialect;
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer};

use crate::asof::{rewrite_asof_joins, rewrite_positional_joins};
use crate::distinct_from::regroup_distinct_from;
use crate::filter_clause::add_filter_where;
use crate::frame_exclusion::move_frame_exclusions;
use crate::glob::rewrite_globs;
use crate::lambda_syntax::rewrite_lambdas;
use crate::macro_syntax::rewrite_drop_macro;
use crate::operator_precedence::{regroup_operators, rewrite_double_star};
use crate::pivot_statement::{wrap_inner_reshape_statements, wrap_reshape_statements};
use crate::struct_type::rewrite_struct_types;
use crate::using_sample::move_using_samples;

/// A statement Quiver can plan.
#[derive(Debug, Clone)]
pub enum Statement {
    /// Anything sqlparser parses.
    Sql(Box<sqlparser::ast::Statement>),
    /// `CREATE EXTERNAL TABLE`.
    CreateExternalTable(CreateExternalTable),
    /// `COPY .. TO`.
    CopyTo(CopyTo),
    /// `SUMMARIZE table` or `SUMMARIZE query` (DuckDB's).
    Summarize(RowSource),
}

/// Rows a statement reads: a table or the result of a query (what `COPY`
/// writes, what `SUMMARIZE` describes).
#[derive(Debug, Clone)]
pub enum RowSource {
    /// A table by name (`COPY name TO ..`).
    Table(ObjectName),
    /// A query (`COPY (query) TO ..`, `SUMMARIZE SELECT ..`).
    Query(Box<sqlparser::ast::Query>),
}

/// `COPY source TO 'location' [(option [value], ..)]`. Option values are a
/// word, a string, a number, or a parenthesised list of names (joined with
/// commas); an option without a value (`HEADER`) is `true`.
#[derive(Debug, Clone)]
pub struct CopyTo {
    /// What to write.
    pub source: RowSource,
    /// Where to write it.
    pub location: String,
    /// Options, keys lower-cased.
    pub options: Vec<(String, String)>,
}

/// `CREATE [OR REPLACE] EXTERNAL TABLE [IF NOT EXISTS] name [(columns)]
/// STORED AS format LOCATION 'path' [OPTIONS ('key' 'value', ..)]`.
#[derive(Debug, Clone)]
pub struct CreateExternalTable {
    /// Table name.
    pub name: ObjectName,
    /// Declared columns (empty: infer from the files).
    pub columns: Vec<ColumnDef>,
    /// `STORED AS` format name.
    pub format: String,
    /// `LOCATION`.
    pub location: String,
    /// `OPTIONS`, keys lower-cased.
    pub options: Vec<(String, String)>,
    /// `IF NOT EXISTS`.
    pub if_not_exists: bool,
    /// `OR REPLACE`.
    pub or_replace: bool,
}

/// A parsed statement and where it starts.
#[derive(Debug, Clone)]
pub struct ParsedStatement {
    /// The statement; `None` only while it is dropped.
    statement: Option<Statement>,
    /// 1-based line the statement starts on.
    pub line: u64,
    /// The statement's SQL as written (without the `;` after it).
    pub text: String,
    /// The stack dropping the statement may take (see [`deep_tree_stack`]).
    drop_stack: usize,
}

impl ParsedStatement {
    /// Another statement written as `text`, in this one's place in the
    /// script.
    pub fn with_statement(&self, statement: Statement, text: String) -> ParsedStatement {
        ParsedStatement {
            statement: Some(statement),
            line: self.line,
            drop_stack: deep_tree_stack(&text).max(self.drop_stack),
            text,
        }
    }

    /// The statement.
    pub fn statement(&self) -> &Statement {
        self.statement
            .as_ref()
            .expect("a parsed statement holds its statement until dropped")
    }
}

impl Drop for ParsedStatement {
    /// Drops the syntax tree on a stack deep enough for it: a chain like
    /// `a + b + c …` of thousands of terms parses without recursion, but
    /// its boxes are freed recursively.
    fn drop(&mut self) {
        let statement = self.statement.take();
        with_stack(self.drop_stack, move || drop(statement));
    }
}

/// The stack that parsing `sql`, or dropping its syntax tree, may take: a
/// tree is at most as deep as the text is long, and every level of it two
/// small frames.
fn deep_tree_stack(sql: &str) -> usize {
    const BASE: usize = 256 * 1024;
    const PER_BYTE: usize = 256;
    BASE.saturating_add(sql.len().saturating_mul(PER_BYTE))
}

/// The statements of a script up to the first one that fails to parse.
#[derive(Debug)]
pub struct ParsedScript {
    /// Statements parsed successfully, in order.
    pub statements: Vec<ParsedStatement>,
    /// The parse error that stopped parsing, if any.
    pub error: Option<QuiverError>,
}

/// A parse error as Quiver reports it.
pub(crate) fn parse_error(e: ParserError) -> QuiverError {
    let msg = match e {
        ParserError::ParserError(m) | ParserError::TokenizerError(m) => m,
        ParserError::RecursionLimitExceeded => "the query is nested too deeply".to_string(),
    };
    QuiverError::Parse(msg)
}

/// Parses every statement of `sql` (separated by `;`). Parsing stops at the
/// first error, which is returned beside the statements before it so that a
/// script runner can run those first.
pub fn parse_script(sql: &str) -> ParsedScript {
    let stack = deep_tree_stack(sql);
    with_stack(stack, || parse_statements(sql, stack))
}

/// [`parse_script`], on a stack of `stack` bytes.
fn parse_statements(sql: &str, stack: usize) -> ParsedScript {
    let dialect = GenericDialect {};
    let mut statements = vec![];
    let rewritten = tokenize(&dialect, sql)
        .map(wrap_reshape_statements)
        .and_then(rewrite);
    let mut parser = match rewritten {
        Ok(tokens) => Parser::new(&dialect).with_tokens_with_locations(tokens),
        Err(e) => {
            return ParsedScript {
                statements,
                error: Some(e),
            }
        }
    };
    loop {
        while parser.consume_token(&Token::SemiColon) {}
        let next = parser.peek_token();
        if next.token == Token::EOF {
            return ParsedScript {
                statements,
                error: None,
            };
        }
        let line = next.span.start.line;
        let start = byte_offset(sql, next.span.start);
        let parsed = parse_one(&mut parser).and_then(|mut statement| {
            regroup_statement(&mut statement);
            let t = parser.peek_token();
            if t.token == Token::SemiColon || t.token == Token::EOF {
                Ok((statement, t))
            } else {
                parser.expected("end of statement", t)
            }
        });
        match parsed {
            Ok((statement, after)) => statements.push(ParsedStatement {
                statement: Some(statement),
                line,
                text: match after.token {
                    Token::EOF => sql[start..].trim_end().to_string(),
                    _ => sql[start..byte_offset(sql, after.span.start).max(start)]
                        .trim_end()
                        .to_string(),
                },
                drop_stack: stack,
            }),
            Err(e) => {
                return ParsedScript {
                    statements,
                    error: Some(parse_error(e)),
                }
            }
        }
    }
}

/// The tokens of `sql`, quoted strings and names unescaped.
fn tokenize(dialect: &GenericDialect, sql: &str) -> Result<Vec<TokenWithSpan>> {
    Tokenizer::new(dialect, sql)
        .with_unescape(true)
        .tokenize_with_location()
        .map_err(|e| parse_error(ParserError::TokenizerError(e.to_string())))
}

/// `tokens` with what sqlparser does not parse written as what it does
/// (each rewrite's module says how).
fn rewrite(tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>> {
    move_using_samples(move_frame_exclusions(rewrite_struct_types(
        rewrite_asof_joins(rewrite_positional_joins(rewrite_drop_macro(
            rewrite_lambdas(add_filter_where(rewrite_double_star(rewrite_globs(tokens)))),
        ))),
    )))
}

/// The tokens of `sql`, a `PIVOT` or `UNPIVOT` statement, rewritten as a
/// statement's are but for the statement itself: for parsing it
/// (`pivot_statement.rs`).
pub(crate) fn reshape_tokens(dialect: &GenericDialect, sql: &str) -> Result<Vec<TokenWithSpan>> {
    tokenize(dialect, sql)
        .map(wrap_inner_reshape_statements)
        .and_then(rewrite)
}

/// Regroups, over every expression of `statement`, what sqlparser groups
/// other than DuckDB does: `IS [NOT] DISTINCT FROM` operands and the ranks
/// of binary operators.
fn regroup_statement(statement: &mut Statement) {
    fn regroup<N: sqlparser::ast::VisitMut>(node: &mut N) {
        regroup_distinct_from(node);
        regroup_operators(node);
    }
    match statement {
        Statement::Sql(sql) => regroup(sql.as_mut()),
        Statement::CopyTo(CopyTo {
            source: RowSource::Query(query),
            ..
        })
        | Statement::Summarize(RowSource::Query(query)) => regroup(query.as_mut()),
        Statement::CopyTo(_) | Statement::Summarize(_) | Statement::CreateExternalTable(_) => {}
    }
}

/// The byte offset in `sql` of a token's 1-based line and column (columns
/// count characters); the end of `sql` past its last line.
pub(crate) fn byte_offset(sql: &str, location: sqlparser::tokenizer::Location) -> usize {
    let mut start = 0;
    for _ in 1..location.line {
        match sql[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return sql.len(),
        }
    }
    let line = &sql[start..];
    let column = (location.column as usize).saturating_sub(1);
    start
        + line
            .char_indices()
            .nth(column)
            .map_or(line.len(), |(i, _)| i)
}

/// Parses `sql`, which must hold exactly one statement.
pub fn parse_one_statement(sql: &str) -> Result<ParsedStatement> {
    let script = parse_script(sql);
    if let Some(e) = script.error {
        return Err(e);
    }
    let mut statements = script.statements;
    match statements.len() {
        1 => Ok(statements.remove(0)),
        0 => Err(QuiverError::Parse("no SQL statement given".into())),
        n => Err(QuiverError::Parse(format!(
            "expected one statement, found {n}"
        ))),
    }
}

fn parse_one(parser: &mut Parser) -> Result<Statement, ParserError> {
    if parser.parse_keywords(&[Keyword::CREATE, Keyword::EXTERNAL, Keyword::TABLE]) {
        return parse_create_external_table(parser, false).map(Statement::CreateExternalTable);
    }
    if parser.parse_keywords(&[
        Keyword::CREATE,
        Keyword::OR,
        Keyword::REPLACE,
        Keyword::EXTERNAL,
        Keyword::TABLE,
    ]) {
        return parse_create_external_table(parser, true).map(Statement::CreateExternalTable);
    }
    if let Token::Word(w) = &parser.peek_token().token {
        if w.quote_style.is_none() && w.value.eq_ignore_ascii_case("summarize") {
            parser.next_token();
            return parse_summarize(parser).map(Statement::Summarize);
        }
    }
    if parser.peek_keyword(Keyword::COPY) && copy_to_ahead(parser) {
        parser.expect_keyword(Keyword::COPY)?;
        return parse_copy_to(parser).map(Statement::CopyTo);
    }
    Ok(Statement::Sql(Box::new(parser.parse_statement()?)))
}

/// Whether the COPY at hand writes (`COPY .. TO`): its source is a name or
/// a parenthesised query followed by TO.
fn copy_to_ahead(parser: &Parser) -> bool {
    let mut depth = 0usize;
    for n in 1..10_000 {
        match parser.peek_nth_token(n).token {
            Token::LParen => depth += 1,
            Token::RParen => depth = depth.saturating_sub(1),
            Token::Word(w) if depth == 0 && w.keyword == Keyword::TO => return true,
            Token::Word(w) if depth == 0 && w.keyword == Keyword::FROM => return false,
            Token::EOF | Token::SemiColon => return false,
            _ => {}
        }
    }
    false
}

/// What follows `SUMMARIZE`: a query, or a table name.
fn parse_summarize(parser: &mut Parser) -> Result<RowSource, ParserError> {
    let starts_query = matches!(parser.peek_token().token, Token::LParen)
        || [
            Keyword::SELECT,
            Keyword::WITH,
            Keyword::FROM,
            Keyword::VALUES,
        ]
        .iter()
        .any(|k| parser.peek_keyword(*k));
    if starts_query {
        return Ok(RowSource::Query(parser.parse_query()?));
    }
    Ok(RowSource::Table(parser.parse_object_name(false)?))
}

fn parse_copy_to(parser: &mut Parser) -> Result<CopyTo, ParserError> {
    let source = if parser.consume_token(&Token::LParen) {
        let query = parser.parse_query()?;
        parser.expect_token(&Token::RParen)?;
        RowSource::Query(query)
    } else {
        RowSource::Table(parser.parse_object_name(false)?)
    };
    parser.expect_keyword(Keyword::TO)?;
    let location = parser.parse_literal_string()?;
    let mut options = vec![];
    if parser.consume_token(&Token::LParen) {
        options = parser.parse_comma_separated(parse_copy_option)?;
        parser.expect_token(&Token::RParen)?;
    }
    Ok(CopyTo {
        source,
        location,
        options,
    })
}

fn parse_copy_option(p: &mut Parser) -> Result<(String, String), ParserError> {
    let key = match p.next_token().token {
        Token::Word(w) => w.value.to_lowercase(),
        Token::SingleQuotedString(s) => s.to_lowercase(),
        other => {
            return Err(ParserError::ParserError(format!(
                "Expected: COPY option name, found: {other}"
            )))
        }
    };
    let value = match p.peek_token().token {
        Token::Comma | Token::RParen => "true".to_string(),
        Token::LParen => {
            p.next_token();
            let names = p.parse_comma_separated(|p| Ok(p.parse_identifier()?.value))?;
            p.expect_token(&Token::RParen)?;
            names.join(",")
        }
        _ => match p.next_token().token {
            Token::Word(w) => w.value,
            Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s,
            Token::Number(n, _) => n,
            other => {
                return Err(ParserError::ParserError(format!(
                    "Expected: value of COPY option {key}, found: {other}"
                )))
            }
        },
    };
    Ok((key, value))
}

fn parse_create_external_table(
    parser: &mut Parser,
    or_replace: bool,
) -> Result<CreateExternalTable, ParserError> {
    let if_not_exists = parser.parse_keywords(&[Keyword::IF, Keyword::NOT, Keyword::EXISTS]);
    let name = parser.parse_object_name(false)?;
    let mut columns = vec![];
    if parser.consume_token(&Token::LParen) && !parser.consume_token(&Token::RParen) {
        columns = parser.parse_comma_separated(|p| {
            let name = p.parse_identifier()?;
            let data_type = p.parse_data_type()?;
            let mut options = vec![];
            if p.parse_keywords(&[Keyword::NOT, Keyword::NULL]) {
                options.push(not_null_option());
            } else {
                let _explicitly_nullable = p.parse_keyword(Keyword::NULL);
            }
            Ok(ColumnDef {
                name,
                data_type,
                options,
            })
        })?;
        parser.expect_token(&Token::RParen)?;
    }
    let mut format = None;
    let mut location = None;
    let mut options = vec![];
    loop {
        if parser.parse_keywords(&[Keyword::STORED, Keyword::AS]) {
            format = Some(parser.parse_identifier()?.value);
        } else if parser.parse_keyword(Keyword::LOCATION) {
            location = Some(parser.parse_literal_string()?);
        } else if parser.parse_keyword(Keyword::OPTIONS) {
            parser.expect_token(&Token::LParen)?;
            options.extend(parser.parse_comma_separated(|p| {
                let key = match p.next_token().token {
                    Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s,
                    Token::Word(w) => w.value,
                    other => {
                        return Err(ParserError::ParserError(format!(
                            "Expected: option name, found: {other}"
                        )))
                    }
                };
                let value = match p.next_token().token {
                    Token::SingleQuotedString(s) | Token::DoubleQuotedString(s) => s,
                    Token::Word(w) => w.value,
                    Token::Number(n, _) => n,
                    other => {
                        return Err(ParserError::ParserError(format!(
                            "Expected: option value, found: {other}"
                        )))
                    }
                };
                Ok((key.to_lowercase(), value))
            })?);
            parser.expect_token(&Token::RParen)?;
        } else {
            break;
        }
    }
    let format = format.ok_or_else(|| {
        ParserError::ParserError("CREATE EXTERNAL TABLE needs STORED AS <format>".into())
    })?;
    let location = location.ok_or_else(|| {
        ParserError::ParserError("CREATE EXTERNAL TABLE needs LOCATION '<path>'".into())
    })?;
    Ok(CreateExternalTable {
        name,
        columns,
        format,
        location,
        options,
        if_not_exists,
        or_replace,
    })
}

fn not_null_option() -> sqlparser::ast::ColumnOptionDef {
    sqlparser::ast::ColumnOptionDef {
        name: None,
        option: sqlparser::ast::ColumnOption::NotNull,
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn statements_keep_their_text() {
        let script = super::parse_script(
            "SELECT 1;\n  CREATE VIEW v AS\n  SELECT 'a;b' AS x ;\nSELECT 'é' AS e",
        );
        let texts: Vec<&str> = script.statements.iter().map(|s| s.text.as_str()).collect();
        assert_eq!(
            texts,
            vec![
                "SELECT 1",
                "CREATE VIEW v AS\n  SELECT 'a;b' AS x",
                "SELECT 'é' AS e"
            ]
        );
    }

    use super::*;

    #[test]
    fn splits_statements_and_records_lines() {
        let script = super::parse_script("SELECT 1;\n\n  SELECT 2;;\nSELECT\n 3");
        assert!(script.error.is_none());
        let lines: Vec<u64> = script.statements.iter().map(|s| s.line).collect();
        assert_eq!(lines, vec![1, 3, 4]);
    }

    #[test]
    fn stops_at_the_first_parse_error_with_its_position() {
        let script = super::parse_script("SELECT 1;\nSELEC 2;\nSELECT 3");
        assert_eq!(script.statements.len(), 1);
        let err = script.error.unwrap().to_string();
        assert!(err.contains("Line: 2, Column: 1"), "{err}");
        assert!(parse_script("SELECT 1 2")
            .error
            .unwrap()
            .to_string()
            .contains("end of statement"));
    }

    #[test]
    fn parses_copy_to_with_options() {
        let sql = "COPY (SELECT 1 AS a) TO 'out' (FORMAT parquet, PARTITION_BY (a, b), HEADER, COMPRESSION 'zstd')";
        let parsed = parse_one_statement(sql).unwrap();
        let Statement::CopyTo(c) = parsed.statement() else {
            panic!("not a COPY TO")
        };
        assert!(matches!(c.source, RowSource::Query(_)));
        assert_eq!(c.location, "out");
        let keys: Vec<(&str, &str)> = c
            .options
            .iter()
            .map(|(k, v)| (k.as_str(), v.as_str()))
            .collect();
        assert_eq!(
            keys,
            vec![
                ("format", "parquet"),
                ("partition_by", "a,b"),
                ("header", "true"),
                ("compression", "zstd")
            ]
        );
        let parsed = parse_one_statement("COPY t TO 'x.csv'").unwrap();
        let Statement::CopyTo(t) = parsed.statement() else {
            panic!("not a COPY TO")
        };
        assert!(matches!(t.source, RowSource::Table(_)));
        assert!(parse_one_statement("COPY t TO").is_err());
    }

    #[test]
    fn parses_create_external_table() {
        let sql =
            "CREATE EXTERNAL TABLE IF NOT EXISTS t (a INT NOT NULL, b VARCHAR) STORED AS CSV \
                   LOCATION 'data/t.csv' OPTIONS ('delimiter' '|', HEADER 'false')";
        let parsed = parse_one_statement(sql).unwrap();
        let Statement::CreateExternalTable(c) = parsed.statement() else {
            panic!("not a CREATE EXTERNAL TABLE")
        };
        assert!(c.if_not_exists);
        assert_eq!(c.columns.len(), 2);
        assert_eq!(
            (c.format.as_str(), c.location.as_str()),
            ("CSV", "data/t.csv")
        );
        assert_eq!(
            c.options,
            vec![
                ("delimiter".into(), "|".into()),
                ("header".into(), "false".into())
            ]
        );
        let err = parse_one_statement("CREATE EXTERNAL TABLE t LOCATION 'x'")
            .unwrap_err()
            .to_string();
        assert!(err.contains("STORED AS"), "{err}");
    }
}

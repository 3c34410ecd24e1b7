//! DuckDB's `PIVOT` and `UNPIVOT` statements, which sqlparser does not
//! parse:
//!
//! ```sql
//! PIVOT source ON column [IN (value [AS name], …)], … [USING aggregate [AS name], …]
//!     [GROUP BY column, …] [ORDER BY …] [LIMIT …]
//! UNPIVOT [INCLUDE NULLS] source ON column [AS name], … [INTO NAME name VALUE value]
//!     [ORDER BY …] [LIMIT …]
//! ```
//!
//! (`PIVOT_WIDER` and `PIVOT_LONGER` are their other names.) Such a
//! statement may stand alone, as a subquery or as a CTE. Before parsing,
//! it becomes `SELECT * FROM __quiver_pivot('its text')`: a call that the
//! planner answers by parsing the text with [`parse_reshape`] and planning
//! what it describes, which may need values read from the data first.

use sqlparser::ast::{self, ExprWithAlias, Ident, OrderByExpr, TableFactor};
use sqlparser::dialect::{Dialect, GenericDialect, Precedence};
use sqlparser::keywords::Keyword;
use sqlparser::parser::{Parser, ParserError};
use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

use crate::frame_exclusion::is_word;

/// The table function a `PIVOT` or `UNPIVOT` statement is written as.
pub const RESHAPE_FUNCTION: &str = "__quiver_pivot";

/// The words that start a pivot statement, and whether each pivots (as
/// opposed to unpivots).
const STATEMENT_WORDS: [(&str, bool); 4] = [
    ("PIVOT", true),
    ("PIVOT_WIDER", true),
    ("UNPIVOT", false),
    ("PIVOT_LONGER", false),
];

/// `tokens` with each `PIVOT` or `UNPIVOT` statement (at the start of a
/// statement or of a parenthesised query) replaced by a call of
/// [`RESHAPE_FUNCTION`] on its text.
pub(crate) fn wrap_reshape_statements(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    wrap_from(tokens, 0)
}

/// [`wrap_reshape_statements`] for the tokens of one such statement: those
/// it holds are wrapped, not the statement itself.
pub(crate) fn wrap_inner_reshape_statements(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let first = tokens
        .iter()
        .position(|t| !matches!(t.token, Token::Whitespace(_)));
    wrap_from(tokens, first.map_or(0, |f| f + 1))
}

/// [`wrap_reshape_statements`] from the token at `start` on.
fn wrap_from(mut tokens: Vec<TokenWithSpan>, start: usize) -> Vec<TokenWithSpan> {
    let mut i = start;
    while i < tokens.len() {
        let starts_statement = STATEMENT_WORDS
            .iter()
            .any(|(word, _)| is_word(&tokens[i].token, word))
            && previous_significant(&tokens, i).is_none_or(|p| starts_query_at(&tokens, p));
        if !starts_statement {
            i += 1;
            continue;
        }
        let end = statement_end(&tokens, i);
        let text: String = tokens[i..end]
            .iter()
            .map(|t| token_text(&t.token))
            .collect();
        let span = tokens[i].span;
        let token = |token: Token| TokenWithSpan { token, span };
        let space = || token(Token::Whitespace(Whitespace::Space));
        let call = vec![
            token(Token::make_keyword("SELECT")),
            space(),
            token(Token::Mul),
            space(),
            token(Token::make_keyword("FROM")),
            space(),
            token(Token::make_word(RESHAPE_FUNCTION, None)),
            token(Token::LParen),
            token(Token::SingleQuotedString(text.trim_end().to_string())),
            token(Token::RParen),
            space(),
        ];
        let length = call.len();
        tokens.splice(i..end, call);
        i += length;
    }
    tokens
}

/// Whether a query may start after the token at `previous`: at the start
/// of a statement, in parentheses, after `EXPLAIN [ANALYZE]`, and after the
/// `AS` of `CREATE … AS` and `PREPARE name AS`.
fn starts_query_at(tokens: &[TokenWithSpan], previous: usize) -> bool {
    let token = &tokens[previous].token;
    let statement_start = || {
        let start = (0..previous)
            .rev()
            .find(|&j| tokens[j].token == Token::SemiColon)
            .map_or(0, |j| j + 1);
        (start..previous)
            .find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
            .is_some_and(|j| {
                ["CREATE", "PREPARE"]
                    .iter()
                    .any(|w| is_word(&tokens[j].token, w))
            })
    };
    matches!(token, Token::SemiColon | Token::LParen)
        || is_word(token, "EXPLAIN")
        || (is_word(token, "ANALYZE")
            && previous_significant(tokens, previous)
                .is_some_and(|p| is_word(&tokens[p].token, "EXPLAIN")))
        || (is_word(token, "AS") && statement_start())
}

/// The index of the last token before `i` that is not whitespace.
fn previous_significant(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    (0..i)
        .rev()
        .find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
}

/// Where the statement starting at `start` ends: at the `)` that closes
/// the parentheses around it, or at `;`.
fn statement_end(tokens: &[TokenWithSpan], start: usize) -> usize {
    let mut depth = 0usize;
    for (at, t) in tokens.iter().enumerate().skip(start) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => return at,
            Token::RParen => depth -= 1,
            Token::SemiColon | Token::EOF if depth == 0 => return at,
            _ => {}
        }
    }
    tokens.len()
}

/// A token written back as SQL: quoted strings and names with their quotes
/// doubled (the tokenizer has taken them out).
fn token_text(token: &Token) -> String {
    match token {
        Token::SingleQuotedString(s) => format!("'{}'", s.replace('\'', "''")),
        Token::Word(w) if w.quote_style == Some('"') => {
            format!("\"{}\"", w.value.replace('"', "\"\""))
        }
        other => other.to_string(),
    }
}

/// A parsed `PIVOT` or `UNPIVOT` statement.
#[derive(Debug, Clone)]
pub(crate) enum Reshape {
    /// `PIVOT`.
    Pivot(PivotStatement),
    /// `UNPIVOT`.
    Unpivot(UnpivotStatement),
}

/// `PIVOT source ON … USING … GROUP BY …`.
#[derive(Debug, Clone)]
pub(crate) struct PivotStatement {
    /// What is pivoted.
    pub source: TableFactor,
    /// The expressions whose values become columns, each with its values
    /// (none: the aggregates are computed per group, as they are).
    pub on: Vec<(ast::Expr, PivotValues)>,
    /// Expressions over one aggregate each, computed for each new column
    /// (`count(*)` when none is given and `on` is not empty).
    pub using: Vec<ExprWithAlias>,
    /// The rows' keys; `None`: every column that neither `on` nor `using`
    /// reads.
    pub group_by: Option<Vec<ast::Expr>>,
    /// `ORDER BY …`, `LIMIT …` and `OFFSET …` as written.
    pub tail: String,
}

/// The values a pivoted expression makes columns of.
#[derive(Debug, Clone)]
pub(crate) enum PivotValues {
    /// `IN (v1 [AS name], …)`.
    Listed(Vec<ExprWithAlias>),
    /// `IN (subquery)`: the subquery's rows.
    Query(Box<ast::Query>),
    /// Not given (or `IN (ANY [ORDER BY …])`): the distinct values in the
    /// data, ordered by these keys (ascending when none).
    FromData(Vec<OrderByExpr>),
}

/// `UNPIVOT source ON … INTO NAME … VALUE …`.
#[derive(Debug, Clone)]
pub(crate) struct UnpivotStatement {
    /// What is unpivoted.
    pub source: TableFactor,
    /// The columns turned into rows, each with the name its rows get.
    pub on: Vec<ExprWithAlias>,
    /// The column holding the unpivoted column's name.
    pub name: Ident,
    /// The column holding its value.
    pub value: Ident,
    /// Whether rows with a NULL value are kept.
    pub include_nulls: bool,
    /// `ORDER BY …`, `LIMIT …` and `OFFSET …` as written.
    pub tail: String,
}

/// Parses the text of a `PIVOT` or `UNPIVOT` statement (as
/// [`wrap_reshape_statements`] kept it).
pub(crate) fn parse_reshape(text: &str) -> quiver_expr::Result<Reshape> {
    let dialect = GenericDialect {};
    let tokens = crate::parser::reshape_tokens(&dialect, text)?;
    let mut parser = Parser::new(&dialect).with_tokens_with_locations(tokens);
    parse_statement(&mut parser, text).map_err(crate::parser::parse_error)
}

fn parse_statement(parser: &mut Parser, text: &str) -> Result<Reshape, ParserError> {
    let word = parser.next_token();
    let pivots = STATEMENT_WORDS
        .iter()
        .find(|(w, _)| is_word(&word.token, w))
        .is_some_and(|(_, pivots)| *pivots);
    if pivots {
        parse_pivot(parser, text).map(Reshape::Pivot)
    } else {
        parse_unpivot(parser, text).map(Reshape::Unpivot)
    }
}

fn parse_pivot(parser: &mut Parser, text: &str) -> Result<PivotStatement, ParserError> {
    let source = parser.parse_table_factor()?;
    let on = match parser.parse_keyword(Keyword::ON) {
        true => parser.parse_comma_separated(parse_pivot_column)?,
        false => vec![],
    };
    let using = if parser.parse_keyword(Keyword::USING) {
        parser.parse_comma_separated(Parser::parse_expr_with_alias)?
    } else {
        vec![]
    };
    let group_by = if parser.parse_keywords(&[Keyword::GROUP, Keyword::BY]) {
        Some(parser.parse_comma_separated(Parser::parse_expr)?)
    } else {
        None
    };
    if on.is_empty() && using.is_empty() && group_by.is_none() {
        return parser.expected_ref("ON, USING or GROUP BY", parser.peek_token_ref());
    }
    let tail = parse_tail(parser, text)?;
    Ok(PivotStatement {
        source,
        on,
        using,
        group_by,
        tail,
    })
}

/// `expr [IN (values | subquery | ANY [ORDER BY …])]`.
fn parse_pivot_column(parser: &mut Parser) -> Result<(ast::Expr, PivotValues), ParserError> {
    let expr = parser.parse_subexpr(GenericDialect {}.prec_value(Precedence::Between))?;
    if !parser.parse_keyword(Keyword::IN) {
        return Ok((expr, PivotValues::FromData(vec![])));
    }
    parser.expect_token(&Token::LParen)?;
    let values = if parser.parse_keyword(Keyword::ANY) {
        let order = if parser.parse_keywords(&[Keyword::ORDER, Keyword::BY]) {
            parser.parse_comma_separated(Parser::parse_order_by_expr)?
        } else {
            vec![]
        };
        PivotValues::FromData(order)
    } else if starts_query(parser) {
        PivotValues::Query(parser.parse_query()?)
    } else {
        PivotValues::Listed(parser.parse_comma_separated(|p| {
            let expr = p.parse_expr()?;
            let alias = match p.parse_keyword(Keyword::AS) {
                true => Some(p.parse_identifier()?),
                false => None,
            };
            Ok(ExprWithAlias { expr, alias })
        })?)
    };
    parser.expect_token(&Token::RParen)?;
    Ok((expr, values))
}

/// Whether a query starts at the parser's next token.
fn starts_query(parser: &Parser) -> bool {
    [
        Keyword::SELECT,
        Keyword::WITH,
        Keyword::FROM,
        Keyword::VALUES,
    ]
    .iter()
    .any(|k| parser.peek_keyword(*k))
}

fn parse_unpivot(parser: &mut Parser, text: &str) -> Result<UnpivotStatement, ParserError> {
    let include_nulls = parser.parse_keywords(&[Keyword::INCLUDE, Keyword::NULLS]);
    if !include_nulls {
        let _excluded = parser.parse_keywords(&[Keyword::EXCLUDE, Keyword::NULLS]);
    }
    let source = parser.parse_table_factor()?;
    parser.expect_keyword(Keyword::ON)?;
    let on = parser.parse_comma_separated(Parser::parse_expr_with_alias)?;
    let (mut name, mut value) = (Ident::new("name"), Ident::new("value"));
    if parser.parse_keyword(Keyword::INTO) {
        parser.expect_keyword(Keyword::NAME)?;
        name = parser.parse_identifier()?;
        parser.expect_keyword(Keyword::VALUE)?;
        value = parser.parse_identifier()?;
        if parser.peek_token_ref().token == Token::Comma {
            return parser.expected_ref(
                "one VALUE column (unpivoting into several is not supported)",
                parser.peek_token_ref(),
            );
        }
    }
    let tail = parse_tail(parser, text)?;
    Ok(UnpivotStatement {
        source,
        on,
        name,
        value,
        include_nulls,
        tail,
    })
}

/// What follows the statement's own clauses: `ORDER BY`, `LIMIT` and
/// `OFFSET` as written, for the query the statement becomes.
fn parse_tail(parser: &mut Parser, text: &str) -> Result<String, ParserError> {
    let next = parser.peek_token();
    if next.token == Token::EOF {
        return Ok(String::new());
    }
    let starts_tail = [Keyword::ORDER, Keyword::LIMIT, Keyword::OFFSET]
        .iter()
        .any(|k| parser.peek_keyword(*k));
    if !starts_tail {
        return parser.expected("ORDER BY, LIMIT or the end of the statement", next);
    }
    Ok(text[crate::parser::byte_offset(text, next.span.start)..].to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame_exclusion::rewritten_text;

    #[test]
    fn statements_become_calls_on_their_text() {
        // (The call's argument is shown unescaped, as the tokenizer holds it.)
        assert_eq!(
            rewritten_text(
                "PIVOT t ON a USING sum(x); SELECT 1",
                wrap_reshape_statements
            ),
            "SELECT * FROM __quiver_pivot('PIVOT t ON a USING sum(x)') ; SELECT 1"
        );
        assert_eq!(
            rewritten_text(
                "WITH p AS (UNPIVOT t ON a, b) SELECT * FROM (PIVOT p ON name IN ('it''s'))",
                wrap_reshape_statements
            ),
            "WITH p AS (SELECT * FROM __quiver_pivot('UNPIVOT t ON a, b') ) SELECT * FROM \
             (SELECT * FROM __quiver_pivot('PIVOT p ON name IN ('it''s')') )"
        );
    }

    #[test]
    fn statements_after_explain_and_create_as_are_wrapped() {
        assert_eq!(
            rewritten_text("EXPLAIN ANALYZE PIVOT t ON a", wrap_reshape_statements),
            "EXPLAIN ANALYZE SELECT * FROM __quiver_pivot('PIVOT t ON a') "
        );
        assert_eq!(
            rewritten_text("CREATE TABLE p AS PIVOT t ON a", wrap_reshape_statements),
            "CREATE TABLE p AS SELECT * FROM __quiver_pivot('PIVOT t ON a') "
        );
    }

    #[test]
    fn the_standard_form_and_names_are_left_alone() {
        for sql in [
            "SELECT * FROM t PIVOT (sum(x) FOR a IN (1)) UNPIVOT (v FOR n IN (b))",
            "SELECT 1 AS pivot FROM t AS unpivot",
        ] {
            assert_eq!(rewritten_text(sql, wrap_reshape_statements), sql);
        }
    }

    #[test]
    fn pivot_statements_parse() {
        let Reshape::Pivot(p) = parse_reshape(
            "PIVOT t ON a IN (1 AS one, 2), b IN (SELECT 1), c USING sum(x) AS s, max(y) \
             GROUP BY g ORDER BY g LIMIT 3",
        )
        .unwrap() else {
            panic!("a pivot")
        };
        assert_eq!(p.source.to_string(), "t");
        assert!(matches!(&p.on[0].1, PivotValues::Listed(v) if v.len() == 2));
        assert!(matches!(&p.on[1].1, PivotValues::Query(_)));
        assert!(matches!(&p.on[2].1, PivotValues::FromData(o) if o.is_empty()));
        assert_eq!(p.using.len(), 2);
        assert_eq!(p.group_by.map(|g| g.len()), Some(1));
        assert_eq!(p.tail, "ORDER BY g LIMIT 3");
    }

    #[test]
    fn unpivot_statements_parse() {
        let Reshape::Unpivot(u) =
            parse_reshape("UNPIVOT INCLUDE NULLS t ON a, b AS bb INTO NAME k VALUE v").unwrap()
        else {
            panic!("an unpivot")
        };
        assert!(u.include_nulls);
        assert_eq!((u.name.value.as_str(), u.value.value.as_str()), ("k", "v"));
        assert_eq!(u.on[1].alias.as_ref().map(|a| a.value.as_str()), Some("bb"));
        assert!(parse_reshape("PIVOT t ON a WHERE x").is_err());
        assert!(parse_reshape("UNPIVOT t ON a INTO NAME k VALUE v, w").is_err());
    }
}

//! DuckDB's `ASOF [LEFT] JOIN r ON keys AND l.t >= r.t`, which sqlparser
//! does not parse: it knows Snowflake's form,
//! `ASOF JOIN r MATCH_CONDITION (l.t >= r.t) ON keys`, without LEFT.
//!
//! Before parsing, the DuckDB form gets a `MATCH_CONDITION (marker)` before
//! its `ON`, the marker saying which kind it is; the binder then takes the
//! inequality out of the ON condition.
//!
//! DuckDB's `POSITIONAL JOIN r`, which sqlparser would read as a join of a
//! table aliased `POSITIONAL`, becomes `ASOF JOIN r MATCH_CONDITION
//! (marker) ON TRUE` the same way (an `ON` or `USING` written after it is
//! kept, for the binder to refuse).

use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

use crate::frame_exclusion::{is_word, next_significant};

/// The marker of an `ASOF JOIN` written as DuckDB writes it.
pub const ASOF_INNER_MARKER: &str = "__quiver_asof_inner";

/// The marker of an `ASOF LEFT JOIN`.
pub const ASOF_LEFT_MARKER: &str = "__quiver_asof_left";

/// The marker of a `POSITIONAL JOIN`.
pub const POSITIONAL_MARKER: &str = "__quiver_positional";

/// Words that end the right side of a `POSITIONAL JOIN` at its depth.
const AFTER_JOINED_TABLE: &[&str] = &[
    "JOIN",
    "INNER",
    "LEFT",
    "RIGHT",
    "FULL",
    "CROSS",
    "NATURAL",
    "ASOF",
    "POSITIONAL",
    "SEMI",
    "ANTI",
    "ON",
    "USING",
    "WHERE",
    "GROUP",
    "HAVING",
    "QUALIFY",
    "WINDOW",
    "ORDER",
    "LIMIT",
    "OFFSET",
    "FETCH",
    "UNION",
    "EXCEPT",
    "INTERSECT",
];

/// `tokens` with each `POSITIONAL JOIN r` written as a marked `ASOF JOIN`
/// (see the module's documentation).
pub(crate) fn rewrite_positional_joins(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        let join = next_significant(&tokens, i);
        let after_as = (0..i)
            .rev()
            .find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
            .is_some_and(|j| is_word(&tokens[j].token, "AS"));
        let Some(join) = join.filter(|&j| {
            !after_as
                && is_word(&tokens[i].token, "POSITIONAL")
                && is_word(&tokens[j].token, "JOIN")
        }) else {
            i += 1;
            continue;
        };
        let span = tokens[i].span;
        let token = |token: Token| TokenWithSpan { token, span };
        tokens[i] = token(Token::make_keyword("ASOF"));
        let end = joined_table_end(&tokens, join);
        let constrained = tokens.get(end).is_some_and(|t| {
            is_word(&t.token, "ON")
                || (is_word(&t.token, "USING")
                    && next_significant(&tokens, end)
                        .is_some_and(|n| tokens[n].token == Token::LParen))
        });
        let mut marker = vec![
            token(Token::Whitespace(Whitespace::Space)),
            token(Token::make_keyword("MATCH_CONDITION")),
            token(Token::LParen),
            token(Token::make_word(POSITIONAL_MARKER, None)),
            token(Token::RParen),
            token(Token::Whitespace(Whitespace::Space)),
        ];
        if !constrained {
            marker.extend([
                token(Token::make_keyword("ON")),
                token(Token::Whitespace(Whitespace::Space)),
                token(Token::make_keyword("TRUE")),
                token(Token::Whitespace(Whitespace::Space)),
            ]);
        }
        tokens.splice(end..end, marker);
        i = join + 1;
    }
    tokens
}

/// Where the table joined by the `JOIN` at `join` ends.
fn joined_table_end(tokens: &[TokenWithSpan], join: usize) -> usize {
    let mut depth = 0usize;
    for (at, t) in tokens.iter().enumerate().skip(join + 1) {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => return at,
            Token::RParen => depth -= 1,
            Token::Comma | Token::SemiColon | Token::EOF if depth == 0 => return at,
            token if depth == 0 && AFTER_JOINED_TABLE.iter().any(|w| is_word(token, w)) => {
                return at
            }
            _ => {}
        }
    }
    tokens.len()
}

/// `tokens` with each DuckDB-style `ASOF [LEFT] JOIN` marked (see the
/// module's documentation).
pub(crate) fn rewrite_asof_joins(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        if !is_word(&tokens[i].token, "ASOF") {
            i += 1;
            continue;
        }
        let Some(mut join) = next_significant(&tokens, i) else {
            break;
        };
        let left = is_word(&tokens[join].token, "LEFT");
        if left {
            let Some(after) = next_significant(&tokens, join) else {
                break;
            };
            if !is_word(&tokens[after].token, "JOIN") {
                i += 1;
                continue;
            }
            tokens[join].token = Token::Whitespace(Whitespace::Space);
            join = after;
        }
        if !is_word(&tokens[join].token, "JOIN") {
            i += 1;
            continue;
        }
        if let Some(on) = on_of_join(&tokens, join) {
            let span = tokens[on].span;
            let token = |token: Token| TokenWithSpan { token, span };
            let marker = if left {
                ASOF_LEFT_MARKER
            } else {
                ASOF_INNER_MARKER
            };
            tokens.splice(
                on..on,
                [
                    token(Token::make_keyword("MATCH_CONDITION")),
                    token(Token::LParen),
                    token(Token::make_word(marker, None)),
                    token(Token::RParen),
                    token(Token::Whitespace(Whitespace::Space)),
                ],
            );
        }
        i = join + 1;
    }
    tokens
}

/// The `ON` (or `USING`) of the join whose `JOIN` is at `join`, outside
/// parentheses; None when the join already has a `MATCH_CONDITION` or
/// neither.
fn on_of_join(tokens: &[TokenWithSpan], join: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (at, t) in tokens.iter().enumerate().skip(join + 1) {
        match &t.token {
            Token::LParen => depth += 1,
            Token::RParen if depth == 0 => return None,
            Token::RParen => depth -= 1,
            Token::SemiColon => return None,
            token if depth == 0 && is_word(token, "MATCH_CONDITION") => return None,
            token if depth == 0 && (is_word(token, "ON") || is_word(token, "USING")) => {
                return Some(at)
            }
            _ => {}
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rewritten(sql: &str) -> String {
        crate::frame_exclusion::rewritten_text(sql, rewrite_asof_joins)
    }

    #[test]
    fn duckdb_asof_joins_get_a_marked_match_condition() {
        assert_eq!(
            rewritten("FROM a ASOF JOIN (SELECT * FROM b ON x) b ON a.k = b.k"),
            "FROM a ASOF JOIN (SELECT * FROM b ON x) b MATCH_CONDITION(__quiver_asof_inner) ON a.k = b.k"
        );
        assert_eq!(
            rewritten("FROM a ASOF LEFT JOIN b ON a.t >= b.t"),
            "FROM a ASOF   JOIN b MATCH_CONDITION(__quiver_asof_left) ON a.t >= b.t"
        );
        let snowflake = "FROM a ASOF JOIN b MATCH_CONDITION (a.t >= b.t) ON a.k = b.k";
        assert_eq!(rewritten(snowflake), snowflake);
    }

    #[test]
    fn positional_joins_become_marked_asof_joins() {
        let rewritten =
            |sql: &str| crate::frame_exclusion::rewritten_text(sql, rewrite_positional_joins);
        assert_eq!(
            rewritten("FROM a POSITIONAL JOIN (SELECT 1) b WHERE x"),
            "FROM a ASOF JOIN (SELECT 1) b  MATCH_CONDITION(__quiver_positional) ON TRUE WHERE x"
        );
        assert_eq!(
            rewritten("FROM a POSITIONAL JOIN b ON a.x = b.x"),
            "FROM a ASOF JOIN b  MATCH_CONDITION(__quiver_positional) ON a.x = b.x"
        );
        let alias = "FROM a AS positional JOIN b ON true";
        assert_eq!(rewritten(alias), alias);
    }
}

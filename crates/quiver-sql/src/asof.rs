//! DuckDB's `ASOF [LEFT] JOIN r ON keys AND l.t >= r.t`, which sqlparser
//! does not parse: it knows Snowflake's form,
//! `ASOF JOIN r MATCH_CONDITION (l.t >= r.t) ON keys`, without LEFT.
//!
//! Before parsing, the DuckDB form gets a `MATCH_CONDITION (marker)` before
//! its `ON`, the marker saying which kind it is; the binder then takes the
//! inequality out of the ON condition.

use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

use crate::frame_exclusion::{is_word, next_significant};

/// The marker of an `ASOF JOIN` written as DuckDB writes it.
pub const ASOF_INNER_MARKER: &str = "__quiver_asof_inner";

/// The marker of an `ASOF LEFT JOIN`.
pub const ASOF_LEFT_MARKER: &str = "__quiver_asof_left";

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
}

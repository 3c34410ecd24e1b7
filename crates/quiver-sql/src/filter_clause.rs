//! DuckDB lets an aggregate's `FILTER` clause leave out its `WHERE`
//! (`count(*) FILTER (x > 1)`), which sqlparser does not parse: before
//! parsing, a `FILTER (` right after a call's `)` and not followed by
//! `WHERE` gets one.

use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

use crate::frame_exclusion::{is_word, next_significant};

/// `tokens` with `WHERE` put into each `FILTER (…)` that lacks it.
pub(crate) fn add_filter_where(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        let after_call = tokens[..i]
            .iter()
            .rev()
            .find(|t| !matches!(t.token, Token::Whitespace(_)))
            .is_some_and(|t| t.token == Token::RParen);
        let open = next_significant(&tokens, i).filter(|&j| tokens[j].token == Token::LParen);
        let (true, true, Some(open)) = (is_word(&tokens[i].token, "FILTER"), after_call, open)
        else {
            i += 1;
            continue;
        };
        let lacks_where =
            next_significant(&tokens, open).is_some_and(|j| !is_word(&tokens[j].token, "WHERE"));
        if lacks_where {
            let span = tokens[open].span;
            let token = |token: Token| TokenWithSpan { token, span };
            tokens.splice(
                open + 1..open + 1,
                [
                    token(Token::make_keyword("WHERE")),
                    token(Token::Whitespace(Whitespace::Space)),
                ],
            );
        }
        i = open + 1;
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame_exclusion::rewritten_text;

    #[test]
    fn filter_gets_its_where() {
        assert_eq!(
            rewritten_text(
                "SELECT count(*) FILTER (x > 1), sum(y) FILTER (WHERE y < 2) FROM t",
                add_filter_where
            ),
            "SELECT count(*) FILTER (WHERE x > 1), sum(y) FILTER (WHERE y < 2) FROM t"
        );
        let column = "SELECT filter FROM t WHERE filter > (1)";
        assert_eq!(rewritten_text(column, add_filter_where), column);
    }
}

//! DuckDB's struct type `STRUCT(a INTEGER, b VARCHAR)`, which sqlparser
//! reads only in its DuckDB dialect. Before parsing, each `STRUCT (...)`
//! becomes the equivalent `STRUCT<...>` that the generic dialect reads.
//! (DuckDB has no `struct(...)` function, so a `STRUCT` followed by a
//! parenthesis is always this type.)

use sqlparser::tokenizer::{Token, TokenWithSpan};

use crate::frame_exclusion::{is_word, next_significant};

/// The index of the `)` closing the `(` at `open`, if any.
fn closing_paren(tokens: &[TokenWithSpan], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, t) in tokens.iter().enumerate().skip(open) {
        match t.token {
            Token::LParen => depth += 1,
            Token::RParen => {
                depth -= 1;
                if depth == 0 {
                    return Some(i);
                }
            }
            _ => {}
        }
    }
    None
}

/// Rewrites every `STRUCT (...)` in `tokens` to `STRUCT<...>`.
pub(crate) fn rewrite_struct_types(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    for i in 0..tokens.len() {
        if !is_word(&tokens[i].token, "STRUCT") {
            continue;
        }
        let Some(open) = next_significant(&tokens, i) else {
            continue;
        };
        if tokens[open].token != Token::LParen {
            continue;
        }
        if let Some(close) = closing_paren(&tokens, open) {
            tokens[open].token = Token::Lt;
            tokens[close].token = Token::Gt;
        }
    }
    tokens
}

#[cfg(test)]
mod tests {

    use super::*;

    fn rewritten(sql: &str) -> String {
        crate::frame_exclusion::rewritten_text(sql, rewrite_struct_types)
    }

    #[test]
    fn struct_parentheses_become_angle_brackets_at_every_depth() {
        assert_eq!(
            rewritten("CAST(x AS STRUCT(a DECIMAL(10, 2), b STRUCT(c INT)))"),
            "CAST(x AS STRUCT<a DECIMAL(10, 2), b STRUCT<c INT>>)"
        );
        assert_eq!(
            rewritten("SELECT struct_pack(a := 1)"),
            "SELECT struct_pack(a := 1)"
        );
    }
}

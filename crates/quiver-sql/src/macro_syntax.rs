//! DuckDB's `DROP MACRO [TABLE] name`, which sqlparser does not parse:
//! before parsing it becomes `DROP FUNCTION name`, which the planner reads
//! as dropping a macro (DuckDB takes `DROP FUNCTION` for macros too).

use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

use crate::frame_exclusion::{is_word, next_significant};

/// `tokens` with each `DROP MACRO [TABLE]` written `DROP FUNCTION`.
pub(crate) fn rewrite_drop_macro(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        if is_word(&tokens[i].token, "DROP") {
            if let Some(word) = next_significant(&tokens, i) {
                if is_word(&tokens[word].token, "MACRO") {
                    tokens[word].token = Token::make_keyword("FUNCTION");
                    if let Some(table) = next_significant(&tokens, word) {
                        if is_word(&tokens[table].token, "TABLE") {
                            tokens[table].token = Token::Whitespace(Whitespace::Space);
                        }
                    }
                }
            }
        }
        i += 1;
    }
    tokens
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn drop_macro_becomes_drop_function() {
        let rewritten = |sql: &str| crate::frame_exclusion::rewritten_text(sql, rewrite_drop_macro);
        assert_eq!(rewritten("DROP MACRO f"), "DROP FUNCTION f");
        assert_eq!(rewritten("DROP MACRO TABLE t"), "DROP FUNCTION   t");
        assert_eq!(rewritten("DROP TABLE macro"), "DROP TABLE macro");
    }
}

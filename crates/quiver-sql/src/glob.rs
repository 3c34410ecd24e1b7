//! `x [NOT] GLOB 'pattern'` (DuckDB's and SQLite's file-name matching:
//! `*` any text, `?` one character, `[abc]`, `[a-z]` and `[!abc]` one of or
//! none of a set; case-sensitive, over the whole string), which sqlparser
//! does not parse. Before parsing, `GLOB 'pattern'` becomes `SIMILAR TO
//! 'regex'`, the whole-string regular expression of the same strings.

use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

use crate::frame_exclusion::{is_word, next_significant};

/// The regular expression matching the strings the glob `pattern` matches.
fn glob_regex(pattern: &str) -> String {
    let mut out = String::with_capacity(pattern.len() + 8);
    let mut chars = pattern.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '*' => out.push_str(".*"),
            '?' => out.push('.'),
            '[' => {
                // A set, up to its `]` (a `]` first in the set is literal).
                let mut set = String::new();
                if chars.peek() == Some(&'!') {
                    chars.next();
                    set.push('^');
                }
                let mut closed = false;
                let mut first = true;
                for s in chars.by_ref() {
                    if s == ']' && !first {
                        closed = true;
                        break;
                    }
                    if matches!(s, '\\' | '[' | ']' | '^') {
                        set.push('\\');
                    }
                    set.push(s);
                    first = false;
                }
                if closed {
                    out.push('[');
                    out.push_str(&set);
                    out.push(']');
                } else {
                    // No closing `]`: the `[` and the rest are literal.
                    out.push_str(r"\[");
                    out.push_str(&regex_escape(set.trim_start_matches('^')));
                }
            }
            c => out.push_str(&regex_escape(&c.to_string())),
        }
    }
    out
}

/// `text` with the regular-expression metacharacters escaped.
fn regex_escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

/// `tokens` with each `GLOB 'pattern'` rewritten to `SIMILAR TO 'regex'`.
pub(crate) fn rewrite_globs(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        if is_word(&tokens[i].token, "GLOB") {
            if let Some(p) = next_significant(&tokens, i) {
                if let Token::SingleQuotedString(pattern) = &tokens[p].token {
                    let regex = glob_regex(pattern);
                    let span = tokens[i].span;
                    tokens[p].token = Token::SingleQuotedString(regex);
                    let word = |w: &str| TokenWithSpan {
                        token: Token::make_keyword(w),
                        span,
                    };
                    let space = TokenWithSpan {
                        token: Token::Whitespace(Whitespace::Space),
                        span,
                    };
                    tokens.splice(i..=i, [word("SIMILAR"), space, word("TO")]);
                    i += 2;
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
    fn globs_become_regular_expressions() {
        assert_eq!(glob_regex("a*.txt"), r"a.*\.txt");
        assert_eq!(glob_regex("?b[0-9][!xy]"), r".b[0-9][^xy]");
        assert_eq!(glob_regex("[]a]"), r"[\]a]");
        assert_eq!(glob_regex("a[b"), r"a\[b");
        assert_eq!(glob_regex("(x)"), r"\(x\)");
    }
}

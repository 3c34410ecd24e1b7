//! `EXCLUDE CURRENT ROW | GROUP | TIES | NO OTHERS` at the end of a window
//! frame, which sqlparser does not parse. Before parsing, the clause is
//! taken out of the window's parentheses and put first in its PARTITION BY
//! as a call of a marker function (`__quiver_exclude_ties()`), which the
//! binder reads back and removes (`planner/window.rs`).

use sqlparser::tokenizer::{Token, TokenWithSpan, Whitespace};

/// The marker functions' name prefix; the exclusion follows it.
pub(crate) const EXCLUDE_MARKER: &str = "__quiver_exclude_";

/// `tokens` with every frame's EXCLUDE clause moved into its window's
/// PARTITION BY as a marker.
pub(crate) fn move_frame_exclusions(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        if let Some((kind, close)) = exclusion_at(&tokens, i) {
            if let Some(open) = window_open_paren(&tokens, close) {
                let span = tokens[i].span;
                tokens.drain(i..close);
                let marker = marker_tokens(&tokens, open, &kind);
                let at = insertion_point(&tokens, open);
                let count = marker.len();
                tokens.splice(
                    at..at,
                    marker
                        .into_iter()
                        .map(|token| TokenWithSpan { token, span }),
                );
                i += count;
            }
        }
        i += 1;
    }
    tokens
}

/// The index of the next token after `i` that is not whitespace.
pub(crate) fn next_significant(tokens: &[TokenWithSpan], mut i: usize) -> Option<usize> {
    i += 1;
    while i < tokens.len() {
        if !matches!(tokens[i].token, Token::Whitespace(_)) {
            return Some(i);
        }
        i += 1;
    }
    None
}

/// `sql` tokenized, rewritten by `rewrite`, and written back as text: how
/// the token rewrites are tested.
#[cfg(test)]
pub(crate) fn rewritten_text(
    sql: &str,
    rewrite: fn(Vec<TokenWithSpan>) -> Vec<TokenWithSpan>,
) -> String {
    let tokens = sqlparser::tokenizer::Tokenizer::new(&sqlparser::dialect::GenericDialect {}, sql)
        .tokenize_with_location()
        .expect("the test's SQL tokenizes");
    rewrite(tokens)
        .iter()
        .map(|t| t.token.to_string())
        .collect()
}

/// Whether `t` is the unquoted word `word` (any case).
pub(crate) fn is_word(t: &Token, word: &str) -> bool {
    matches!(t, Token::Word(w) if w.quote_style.is_none() && w.value.eq_ignore_ascii_case(word))
}

/// When an EXCLUDE clause starts at `i` and a `)` ends it: its kind
/// (`current_row`, ...) and the index of that `)`.
fn exclusion_at(tokens: &[TokenWithSpan], i: usize) -> Option<(String, usize)> {
    if !is_word(&tokens[i].token, "EXCLUDE") {
        return None;
    }
    let first = next_significant(tokens, i)?;
    let (kind, last) = match &tokens[first].token {
        t if is_word(t, "GROUP") => ("group", first),
        t if is_word(t, "TIES") => ("ties", first),
        t if is_word(t, "CURRENT") || is_word(t, "NO") => {
            let second = next_significant(tokens, first)?;
            match &tokens[second].token {
                t2 if is_word(&tokens[first].token, "CURRENT") && is_word(t2, "ROW") => {
                    ("current_row", second)
                }
                t2 if is_word(&tokens[first].token, "NO") && is_word(t2, "OTHERS") => {
                    ("no_others", second)
                }
                _ => return None,
            }
        }
        _ => return None,
    };
    let close = next_significant(tokens, last)?;
    (tokens[close].token == Token::RParen).then(|| (kind.to_string(), close))
}

/// The `(` that `close` ends, when it opens a window (after OVER, or after
/// AS in a WINDOW clause).
fn window_open_paren(tokens: &[TokenWithSpan], close: usize) -> Option<usize> {
    let mut depth = 0usize;
    let mut j = close;
    loop {
        match tokens[j].token {
            Token::RParen => depth += 1,
            Token::LParen => {
                depth -= 1;
                if depth == 0 {
                    break;
                }
            }
            _ => {}
        }
        j = j.checked_sub(1)?;
    }
    let before = (0..j)
        .rev()
        .find(|&k| !matches!(tokens[k].token, Token::Whitespace(_)))?;
    (is_word(&tokens[before].token, "OVER") || is_word(&tokens[before].token, "AS")).then_some(j)
}

/// Where the marker goes: after `(`, after a base window's name, and after
/// `PARTITION BY` when the window has one.
fn insertion_point(tokens: &[TokenWithSpan], open: usize) -> usize {
    let mut at = open + 1;
    let starts_clause = |t: &Token| {
        ["PARTITION", "ORDER", "ROWS", "RANGE", "GROUPS", ")"]
            .iter()
            .any(|w| is_word(t, w))
            || *t == Token::RParen
    };
    if let Some(k) = next_significant(tokens, open) {
        if matches!(tokens[k].token, Token::Word(_)) && !starts_clause(&tokens[k].token) {
            at = k + 1;
        }
    }
    if let Some(k) = next_significant(tokens, at - 1) {
        if is_word(&tokens[k].token, "PARTITION") {
            if let Some(by) = next_significant(tokens, k) {
                return by + 1;
            }
        }
    }
    at
}

/// The marker call to insert at the start of the window whose `(` is at
/// `open`: `PARTITION BY marker()` or, when the window has a PARTITION BY,
/// `marker(),` after it.
fn marker_tokens(tokens: &[TokenWithSpan], open: usize, kind: &str) -> Vec<Token> {
    let call = vec![
        Token::Whitespace(Whitespace::Space),
        Token::make_word(&format!("{EXCLUDE_MARKER}{kind}"), None),
        Token::LParen,
        Token::RParen,
    ];
    let at = insertion_point(tokens, open);
    let has_partition = (open + 1..at).any(|k| is_word(&tokens[k].token, "PARTITION"));
    if has_partition {
        [call, vec![Token::Comma]].concat()
    } else {
        [
            vec![
                Token::Whitespace(Whitespace::Space),
                Token::make_keyword("PARTITION"),
                Token::Whitespace(Whitespace::Space),
                Token::make_keyword("BY"),
            ],
            call,
            vec![Token::Whitespace(Whitespace::Space)],
        ]
        .concat()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(sql: &str) -> String {
        rewritten_text(sql, move_frame_exclusions)
    }

    #[test]
    fn exclusions_move_into_partition_by() {
        assert_eq!(
            moved("sum(x) OVER (ORDER BY y ROWS 1 PRECEDING EXCLUDE CURRENT ROW)"),
            "sum(x) OVER ( PARTITION BY __quiver_exclude_current_row() ORDER BY y ROWS 1 PRECEDING )"
        );
        assert_eq!(
            moved("f() OVER (PARTITION BY g ORDER BY y RANGE CURRENT ROW EXCLUDE TIES)"),
            "f() OVER (PARTITION BY __quiver_exclude_ties(), g ORDER BY y RANGE CURRENT ROW )"
        );
        assert_eq!(
            moved("WINDOW w AS (w0 ORDER BY y GROUPS 1 PRECEDING exclude no others)"),
            "WINDOW w AS (w0 PARTITION BY __quiver_exclude_no_others()  ORDER BY y GROUPS 1 PRECEDING )"
        );
        // EXCLUDE elsewhere is left alone.
        assert_eq!(
            moved("SELECT * EXCLUDE (a) FROM t"),
            "SELECT * EXCLUDE (a) FROM t"
        );
    }
}

//! Lambdas and list comprehensions, which the generic dialect of sqlparser
//! does not parse as such. Before parsing:
//!
//! - `lambda x, i: body` (DuckDB's syntax) becomes `(x, i) -> (body)`;
//! - `x -> body` and `(x, i) -> body` (DuckDB's older syntax, also
//!   DataFusion's and Spark's) get their body parenthesized, since the
//!   generic dialect binds `->` tighter than `AND` and `OR`: a lambda's body
//!   runs to the end of its argument, as in DuckDB;
//! - `[expr FOR x IN list IF condition]` becomes
//!   `list_transform(list_filter(list, (x) -> (condition)), (x) -> (expr))`.
//!
//! Only an argument that starts with a lambda is rewritten (after `(` or
//! `,`). The binder reads `params -> (body)` as a lambda in the arguments
//! of a lambda function, and as JSON's `->` elsewhere.

use sqlparser::tokenizer::{Token, TokenWithSpan, Word};

use crate::frame_exclusion::{is_word, next_significant};

/// `tokens` with lambdas and list comprehensions in the form the parser
/// reads.
pub(crate) fn rewrite_lambdas(tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    rewrite_comprehensions(rewrite_lambda_keywords(rewrite_arrows(tokens)))
}

/// The index of the significant token before `i`.
fn previous_significant(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    (0..i)
        .rev()
        .find(|&j| !matches!(tokens[j].token, Token::Whitespace(_)))
}

/// Whether an argument of a call (or a parenthesized expression) starts
/// at `i`: after a `(`, or after a `,` directly inside parentheses that do
/// not hold a query (a select list's items are not arguments).
fn starts_argument(tokens: &[TokenWithSpan], i: usize) -> bool {
    let Some(previous) = previous_significant(tokens, i) else {
        return false;
    };
    match tokens[previous].token {
        Token::LParen => true,
        Token::Comma => enclosing_open(tokens, previous).is_some_and(|open| {
            tokens[open].token == Token::LParen
                && next_significant(tokens, open).is_some_and(|first| {
                    !["SELECT", "WITH", "VALUES", "FROM", "TABLE"]
                        .iter()
                        .any(|w| is_word(&tokens[first].token, w))
                })
        }),
        _ => false,
    }
}

/// The index of the bracket that encloses the token at `i`.
fn enclosing_open(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    let mut depth = 0usize;
    for j in (0..i).rev() {
        let token = &tokens[j].token;
        if closes(token) {
            depth += 1;
        } else if opens(token) {
            if depth == 0 {
                return Some(j);
            }
            depth -= 1;
        }
    }
    None
}

fn opens(t: &Token) -> bool {
    matches!(t, Token::LParen | Token::LBracket | Token::LBrace)
}

fn closes(t: &Token) -> bool {
    matches!(t, Token::RParen | Token::RBracket | Token::RBrace)
}

/// The index of the first token from `i` on that ends the expression
/// there: a `,` or closing bracket outside any bracket opened after `i`,
/// a `;`, or the end; with `stop_words`, also one of those words.
fn expression_end(tokens: &[TokenWithSpan], i: usize, stop_words: &[&str]) -> usize {
    let mut depth = 0usize;
    for (j, t) in tokens.iter().enumerate().skip(i) {
        let token = &t.token;
        if depth == 0
            && (closes(token)
                || matches!(token, Token::Comma | Token::SemiColon | Token::EOF)
                || stop_words.iter().any(|w| is_word(token, w)))
        {
            return j;
        }
        if opens(token) {
            depth += 1;
        } else if closes(token) {
            depth -= 1;
        }
    }
    tokens.len()
}

/// A token of the same span as `at`.
fn token_like(token: Token, at: &TokenWithSpan) -> TokenWithSpan {
    TokenWithSpan {
        token,
        span: at.span,
    }
}

/// When the parameter list of a lambda written with `->` starts at `i`
/// (`x` or `(x, i)`): the index of its `->`.
fn arrow_after_parameters(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    let after_parameters = match &tokens[i].token {
        Token::Word(w) if plain_name(w) => i,
        Token::LParen => names_until(tokens, i, &Token::RParen)?,
        _ => return None,
    };
    let arrow = next_significant(tokens, after_parameters)?;
    (tokens[arrow].token == Token::Arrow).then_some(arrow)
}

/// Whether `w` can name a lambda parameter (any word but the keywords that
/// start an expression).
fn plain_name(w: &Word) -> bool {
    w.quote_style.is_some()
        || !["CASE", "NOT", "EXISTS", "CAST", "INTERVAL", "SELECT"]
            .iter()
            .any(|k| w.value.eq_ignore_ascii_case(k))
}

/// `x -> body` with its body parenthesized, for each lambda written with
/// `->` that starts an argument.
fn rewrite_arrows(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        let arrow = if starts_argument(&tokens, i) {
            arrow_after_parameters(&tokens, i)
        } else {
            None
        };
        let Some(arrow) = arrow else {
            i += 1;
            continue;
        };
        let end = expression_end(&tokens, arrow + 1, &[]);
        let close = token_like(Token::RParen, &tokens[end.min(tokens.len() - 1)]);
        tokens.insert(end, close);
        let open = token_like(Token::LParen, &tokens[arrow]);
        tokens.insert(arrow + 1, open);
        i = arrow + 2;
    }
    tokens
}

/// `lambda x, i: body` as `(x, i) -> (body)`, for each lambda that starts
/// an argument.
fn rewrite_lambda_keywords(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        if !(is_word(&tokens[i].token, "lambda") && starts_argument(&tokens, i)) {
            i += 1;
            continue;
        }
        let Some(colon) = lambda_colon(&tokens, i) else {
            i += 1;
            continue;
        };
        let end = expression_end(&tokens, colon + 1, &[]);
        let close = token_like(Token::RParen, &tokens[end.min(tokens.len() - 1)]);
        tokens.insert(end, close);
        let at = tokens[colon].clone();
        let arrow = [Token::RParen, Token::Arrow, Token::LParen]
            .into_iter()
            .map(|t| token_like(t, &at));
        tokens.splice(colon..=colon, arrow);
        tokens[i].token = Token::LParen;
        i = colon + 3;
    }
    tokens
}

/// The `:` ending the parameters of the lambda whose `lambda` keyword is
/// at `i`: names separated by commas.
fn lambda_colon(tokens: &[TokenWithSpan], i: usize) -> Option<usize> {
    names_until(tokens, i, &Token::Colon)
}

/// When names separated by commas and then `end` follow `i`: the index of
/// that `end`.
fn names_until(tokens: &[TokenWithSpan], i: usize, end: &Token) -> Option<usize> {
    let mut j = i;
    loop {
        let name = next_significant(tokens, j)?;
        if !matches!(&tokens[name].token, Token::Word(w) if plain_name(w)) {
            return None;
        }
        j = next_significant(tokens, name)?;
        match &tokens[j].token {
            Token::Comma => continue,
            t if t == end => return Some(j),
            _ => return None,
        }
    }
}

/// `[expr FOR x IN list IF condition]` as nested `list_transform` and
/// `list_filter` calls.
fn rewrite_comprehensions(mut tokens: Vec<TokenWithSpan>) -> Vec<TokenWithSpan> {
    let mut i = 0;
    while i < tokens.len() {
        if tokens[i].token != Token::LBracket {
            i += 1;
            continue;
        }
        let Some(parts) = comprehension_at(&tokens, i) else {
            i += 1;
            continue;
        };
        let at = &tokens[i];
        let word = |s: &str| token_like(Token::make_word(s, None), at);
        let punct = |t: Token| token_like(t, at);
        let piece = |from: usize, to: usize| tokens[from..to].to_vec();
        let parameter = |tokens: &mut Vec<TokenWithSpan>| {
            tokens.push(punct(Token::LParen));
            tokens.push(parts.variable.clone());
            tokens.push(punct(Token::RParen));
            tokens.push(punct(Token::Arrow));
        };
        let mut out = vec![word("list_transform"), punct(Token::LParen)];
        let list = piece(parts.list.0, parts.list.1);
        match parts.condition {
            Some((from, to)) => {
                out.extend([word("list_filter"), punct(Token::LParen)]);
                out.extend(list);
                out.push(punct(Token::Comma));
                parameter(&mut out);
                out.push(punct(Token::LParen));
                out.extend(piece(from, to));
                out.extend([punct(Token::RParen), punct(Token::RParen)]);
            }
            None => {
                out.push(punct(Token::LParen));
                out.extend(list);
                out.push(punct(Token::RParen));
            }
        }
        out.push(punct(Token::Comma));
        parameter(&mut out);
        out.push(punct(Token::LParen));
        out.extend(piece(parts.expr.0, parts.expr.1));
        out.extend([punct(Token::RParen), punct(Token::RParen)]);
        tokens.splice(i..=parts.close, out);
        i += 1;
    }
    tokens
}

/// The parts of a list comprehension: token ranges (end exclusive).
struct Comprehension {
    expr: (usize, usize),
    variable: TokenWithSpan,
    list: (usize, usize),
    condition: Option<(usize, usize)>,
    close: usize,
}

/// The list comprehension whose `[` is at `open`, if that is one.
fn comprehension_at(tokens: &[TokenWithSpan], open: usize) -> Option<Comprehension> {
    let for_at = expression_end(tokens, open + 1, &["FOR"]);
    if !tokens.get(for_at).is_some_and(|t| is_word(&t.token, "FOR")) {
        return None;
    }
    let variable = next_significant(tokens, for_at)?;
    if !matches!(&tokens[variable].token, Token::Word(w) if plain_name(w)) {
        return None;
    }
    let in_at = next_significant(tokens, variable)?;
    if !is_word(&tokens[in_at].token, "IN") {
        return None;
    }
    let list_end = expression_end(tokens, in_at + 1, &["IF"]);
    let (condition, close) = if tokens
        .get(list_end)
        .is_some_and(|t| is_word(&t.token, "IF"))
    {
        let end = expression_end(tokens, list_end + 1, &[]);
        (Some((list_end + 1, end)), end)
    } else {
        (None, list_end)
    };
    if tokens.get(close).map(|t| &t.token) != Some(&Token::RBracket) {
        return None;
    }
    Some(Comprehension {
        expr: (open + 1, for_at),
        variable: tokens[variable].clone(),
        list: (in_at + 1, list_end),
        condition,
        close,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::frame_exclusion::rewritten_text;

    fn rewritten(sql: &str) -> String {
        rewritten_text(sql, rewrite_lambdas)
    }

    #[test]
    fn lambda_keyword_becomes_an_arrow_with_a_parenthesized_body() {
        assert_eq!(
            rewritten("SELECT f(l, lambda x, i: x > 1 AND i < 3, 5)"),
            "SELECT f(l, ( x, i)->( x > 1 AND i < 3), 5)"
        );
        assert_eq!(
            rewritten("SELECT f(l, lambda x: g(x, 1))"),
            "SELECT f(l, ( x)->( g(x, 1)))"
        );
    }

    #[test]
    fn arrow_lambdas_get_their_body_parenthesized() {
        assert_eq!(
            rewritten("SELECT f(l, x -> x > 1 OR x IS NULL)"),
            "SELECT f(l, x ->( x > 1 OR x IS NULL))"
        );
        assert_eq!(
            rewritten("SELECT f(l, (a, b) -> a + b)"),
            "SELECT f(l, (a, b) ->( a + b))"
        );
    }

    #[test]
    fn json_arrows_inside_expressions_are_left_alone() {
        let sql = "SELECT j -> 'a', upper(j ->> 'b'), 1 + j -> 'c'";
        assert_eq!(rewritten(sql), sql);
        let items = "SELECT (SELECT a, j -> 'x' FROM t), x IN (SELECT b, j -> 'y' FROM u)";
        assert_eq!(rewritten(items), items);
    }

    #[test]
    fn comprehensions_become_transform_and_filter() {
        assert_eq!(
            rewritten("SELECT [x * 2 FOR x IN l IF x > 1]"),
            "SELECT list_transform(list_filter( l ,(x)->( x > 1)),(x)->(x * 2 ))"
        );
        assert_eq!(
            rewritten("SELECT [x FOR x IN [1, 2]]"),
            "SELECT list_transform(( [1, 2]),(x)->(x ))"
        );
        let list = "SELECT [1, 2], [a, b]";
        assert_eq!(rewritten(list), list);
    }
}

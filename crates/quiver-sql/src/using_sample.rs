//! DuckDB's `USING SAMPLE` clause, which sqlparser does not parse:
//! `SELECT … FROM t [WHERE …] USING SAMPLE 10% | 10 PERCENT | 50 ROWS |
//! 50 [(method [, seed])] | method(10%) [REPEATABLE (seed)]`. DuckDB samples
//! the rows of the FROM clause before WHERE, which for a FROM clause of one
//! table is the table's `TABLESAMPLE`: before parsing, the clause moves to
//! the end of the FROM clause as one. A percentage samples by `SYSTEM` and
//! a count of rows by reservoir unless a method is named, as in DuckDB. A
//! FROM clause of several tables or joins is an error (DuckDB samples the
//! joined rows).

use quiver_expr::{QuiverError, Result};
use sqlparser::dialect::GenericDialect;
use sqlparser::tokenizer::{Token, TokenWithSpan, Tokenizer, Whitespace};

use crate::frame_exclusion::{is_word, next_significant};

/// Words that end a FROM clause at its own depth.
const AFTER_FROM: &[&str] = &["WHERE", "GROUP", "HAVING", "QUALIFY", "WINDOW", "USING"];

/// Words that end a USING SAMPLE clause at its own depth.
const AFTER_SAMPLE: &[&str] = &["ORDER", "LIMIT", "OFFSET", "UNION", "EXCEPT", "INTERSECT"];

/// `tokens` with every `USING SAMPLE` clause moved into its FROM clause
/// as a `TABLESAMPLE`.
pub(crate) fn move_using_samples(mut tokens: Vec<TokenWithSpan>) -> Result<Vec<TokenWithSpan>> {
    let mut i = 0;
    while i < tokens.len() {
        let is_clause = is_word(&tokens[i].token, "USING")
            && next_significant(&tokens, i).is_some_and(|j| is_word(&tokens[j].token, "SAMPLE"));
        if !is_clause {
            i += 1;
            continue;
        }
        let depths = depths(&tokens);
        let depth = depths[i];
        let sample_start = next_significant(&tokens, i).map_or(i, |j| j + 1);
        let end = clause_end(&tokens, sample_start);
        let spec: Vec<Token> = tokens[sample_start..end]
            .iter()
            .map(|t| t.token.clone())
            .filter(|t| !matches!(t, Token::Whitespace(_)))
            .collect();
        let clause = table_sample(&spec)?;
        let from = (0..i)
            .rev()
            .find(|&j| depths[j] == depth && is_word(&tokens[j].token, "FROM"))
            .ok_or_else(|| QuiverError::Parse("USING SAMPLE needs a FROM clause".into()))?;
        let from_end = (from + 1..i)
            .find(|&j| {
                depths[j] == depth && AFTER_FROM.iter().any(|w| is_word(&tokens[j].token, w))
            })
            .unwrap_or(i);
        let several = (from + 1..from_end).any(|j| {
            depths[j] == depth
                && (tokens[j].token == Token::Comma || is_word(&tokens[j].token, "JOIN"))
        });
        if several {
            return Err(QuiverError::NotImplemented(
                "USING SAMPLE over several tables or a join; put TABLESAMPLE after the table \
                 to sample"
                    .into(),
            ));
        }
        let span = tokens[i].span;
        for token in &mut tokens[i..end] {
            token.token = Token::Whitespace(Whitespace::Space);
        }
        let inserted: Vec<TokenWithSpan> =
            Tokenizer::new(&GenericDialect {}, &format!(" {clause} "))
                .tokenize()
                .map_err(|e| QuiverError::Internal(format!("USING SAMPLE: {e}")))?
                .into_iter()
                .map(|token| TokenWithSpan { token, span })
                .collect();
        let count = inserted.len();
        tokens.splice(from_end..from_end, inserted);
        i = end + count;
    }
    Ok(tokens)
}

/// Where the USING SAMPLE clause whose specification starts at `start`
/// ends: at a `)` that closes an enclosing parenthesis, a `;`, or a word
/// that follows it, outside its own parentheses.
fn clause_end(tokens: &[TokenWithSpan], start: usize) -> usize {
    let mut open = 0usize;
    for (j, t) in tokens.iter().enumerate().skip(start) {
        match &t.token {
            Token::LParen => open += 1,
            Token::RParen if open == 0 => return j,
            Token::RParen => open -= 1,
            Token::SemiColon if open == 0 => return j,
            token if open == 0 && AFTER_SAMPLE.iter().any(|w| is_word(token, w)) => return j,
            _ => {}
        }
    }
    tokens.len()
}

/// The parenthesis depth at each token.
fn depths(tokens: &[TokenWithSpan]) -> Vec<usize> {
    let mut depth = 0usize;
    tokens
        .iter()
        .map(|t| {
            if t.token == Token::RParen {
                depth = depth.saturating_sub(1);
            }
            let at = depth;
            if t.token == Token::LParen {
                depth += 1;
            }
            at
        })
        .collect()
}

/// How much a sample keeps.
enum Size {
    Percent(String),
    Rows(String),
}

/// The TABLESAMPLE clause for the USING SAMPLE specification `spec`.
fn table_sample(spec: &[Token]) -> Result<String> {
    let bad = || {
        let written: String = spec.iter().map(|t| format!("{t} ")).collect();
        QuiverError::Parse(format!(
            "USING SAMPLE {}: expected a size (10%, 10 PERCENT, 50 ROWS), optionally \
             (method [, seed]) or method(size), then REPEATABLE (seed)",
            written.trim_end()
        ))
    };
    let mut rest = spec;
    let mut method = None;
    let mut seed = None;
    let size = match rest {
        [Token::Word(w), Token::LParen, ..] => {
            method = Some(w.value.to_uppercase());
            let close = rest
                .iter()
                .position(|t| *t == Token::RParen)
                .ok_or_else(bad)?;
            let (size, after) = size(&rest[2..close]).ok_or_else(bad)?;
            if !after.is_empty() {
                return Err(bad());
            }
            rest = &rest[close + 1..];
            size
        }
        _ => {
            let (size, after) = size(rest).ok_or_else(bad)?;
            rest = after;
            if let [Token::LParen, Token::Word(w), more @ ..] = rest {
                method = Some(w.value.to_uppercase());
                rest = match more {
                    [Token::RParen, after @ ..] => after,
                    [Token::Comma, Token::Number(n, _), Token::RParen, after @ ..] => {
                        seed = Some(n.clone());
                        after
                    }
                    _ => return Err(bad()),
                };
            }
            size
        }
    };
    if let [Token::Word(w), Token::LParen, Token::Number(n, _), Token::RParen, after @ ..] = rest {
        if w.value.eq_ignore_ascii_case("REPEATABLE") && seed.is_none() {
            seed = Some(n.clone());
            rest = after;
        }
    }
    if !rest.is_empty() {
        return Err(bad());
    }
    let repeatable = seed.map_or(String::new(), |s| format!(" REPEATABLE ({s})"));
    Ok(match (size, method.as_deref()) {
        (Size::Rows(n), None | Some("RESERVOIR")) => format!("TABLESAMPLE ({n} ROWS){repeatable}"),
        (Size::Percent(p), None) => format!("TABLESAMPLE SYSTEM ({p}){repeatable}"),
        (Size::Percent(p), Some(method @ ("SYSTEM" | "BERNOULLI"))) => {
            format!("TABLESAMPLE {method} ({p}){repeatable}")
        }
        (Size::Percent(_), Some("RESERVOIR")) => {
            return Err(QuiverError::NotImplemented(
                "USING SAMPLE reservoir(n%): a reservoir of a share of the rows; \
                 use a count of rows or bernoulli"
                    .into(),
            ))
        }
        (Size::Rows(_), Some(method @ ("SYSTEM" | "BERNOULLI"))) => {
            return Err(QuiverError::Plan(format!(
                "USING SAMPLE {}: a count of rows needs the reservoir method",
                method.to_lowercase()
            )))
        }
        (_, Some(other)) => {
            return Err(QuiverError::Plan(format!(
                "unknown sample method {}; use system, bernoulli or reservoir",
                other.to_lowercase()
            )))
        }
    })
}

/// A size at the start of `tokens` and the tokens after it: `n%`,
/// `n PERCENT`, `n ROWS` or a bare `n` (rows).
fn size(tokens: &[Token]) -> Option<(Size, &[Token])> {
    match tokens {
        [Token::Number(n, _), Token::Mod, rest @ ..] => Some((Size::Percent(n.clone()), rest)),
        [Token::Number(n, _), Token::Word(w), rest @ ..]
            if w.value.eq_ignore_ascii_case("PERCENT") =>
        {
            Some((Size::Percent(n.clone()), rest))
        }
        [Token::Number(n, _), Token::Word(w), rest @ ..]
            if w.value.eq_ignore_ascii_case("ROWS") =>
        {
            Some((Size::Rows(n.clone()), rest))
        }
        [Token::Number(n, _), rest @ ..] => Some((Size::Rows(n.clone()), rest)),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn moved(sql: &str) -> Result<String> {
        let tokens = Tokenizer::new(&GenericDialect {}, sql)
            .tokenize_with_location()
            .expect("the test's SQL tokenizes");
        let text: String = move_using_samples(tokens)?
            .iter()
            .map(|t| t.token.to_string())
            .collect();
        Ok(text.split_whitespace().collect::<Vec<_>>().join(" "))
    }

    #[test]
    fn the_clause_moves_to_the_table() {
        assert_eq!(
            moved("SELECT * FROM t AS x WHERE a > 1 USING SAMPLE 10% ORDER BY a").unwrap(),
            "SELECT * FROM t AS x TABLESAMPLE SYSTEM (10) WHERE a > 1 ORDER BY a"
        );
        assert_eq!(
            moved("SELECT * FROM t USING SAMPLE 50 ROWS").unwrap(),
            "SELECT * FROM t TABLESAMPLE (50 ROWS)"
        );
        assert_eq!(
            moved("SELECT * FROM t USING SAMPLE 10 PERCENT (bernoulli, 7)").unwrap(),
            "SELECT * FROM t TABLESAMPLE BERNOULLI (10) REPEATABLE (7)"
        );
        assert_eq!(
            moved(
                "SELECT * FROM (SELECT * FROM t USING SAMPLE reservoir(5 ROWS) REPEATABLE (3)) s"
            )
            .unwrap(),
            "SELECT * FROM (SELECT * FROM t TABLESAMPLE (5 ROWS) REPEATABLE (3) ) s"
        );
    }

    #[test]
    fn joins_and_bad_specifications_are_errors() {
        assert!(moved("SELECT * FROM a, b USING SAMPLE 5").is_err());
        assert!(moved("SELECT * FROM a JOIN b ON true USING SAMPLE 5").is_err());
        assert!(moved("SELECT * FROM a USING SAMPLE lots").is_err());
        assert!(moved("SELECT * FROM a USING SAMPLE 5 ROWS (bernoulli)").is_err());
        assert!(moved("SELECT * FROM a USING SAMPLE 5 (zigzag)").is_err());
    }

    #[test]
    fn joins_with_using_are_not_samples() {
        assert_eq!(
            moved("SELECT * FROM a JOIN b USING (k)").unwrap(),
            "SELECT * FROM a JOIN b USING (k)"
        );
    }
}

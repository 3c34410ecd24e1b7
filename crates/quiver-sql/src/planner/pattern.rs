//! Binds pattern matches: `[NOT] LIKE` / `ILIKE` with `ESCAPE`, `SIMILAR
//! TO` (a whole-string regular expression, as in DuckDB), the regular-expression operators `~`, `~*`, `!~`, `!~*` (and `RLIKE`
//! / `REGEXP`), the LIKE operators `~~`, `~~*`, `!~~`, `!~~*`, and `^@`
//! (starts with). Regular expressions become calls of `regexp_matches` and
//! `regexp_full_match`.

use arrow::datatypes::DataType;
use quiver_expr::types::{is_string, sql_type_name};
use quiver_expr::{not_impl_err, Expr, LikeKind, QSchema, QuiverError, Result, ScalarValue};
use sqlparser::ast::{self, BinaryOperator as B, Value};

use super::expr::{cast_expr, literal_as};
use super::SqlPlanner;

/// Whether `op` is one of the pattern operators this module binds.
pub(crate) fn is_pattern_operator(op: &B) -> bool {
    matches!(
        op,
        B::PGRegexMatch
            | B::PGRegexIMatch
            | B::PGRegexNotMatch
            | B::PGRegexNotIMatch
            | B::PGLikeMatch
            | B::PGILikeMatch
            | B::PGNotLikeMatch
            | B::PGNotILikeMatch
            | B::PGStartsWith
    )
}

/// The character of an `ESCAPE '<c>'` clause: one character, or none for
/// an empty string.
pub(crate) fn escape_character(value: Option<&ast::ValueWithSpan>) -> Result<Option<char>> {
    let Some(v) = value else {
        return Ok(None);
    };
    let text = match &v.value {
        Value::SingleQuotedString(s) => s,
        other => {
            return Err(QuiverError::Plan(format!(
                "the ESCAPE character must be a string of one character, not {other}"
            )))
        }
    };
    let mut chars = text.chars();
    match (chars.next(), chars.next()) {
        (None, _) => Ok(None),
        (Some(c), None) => Ok(Some(c)),
        _ => Err(QuiverError::Plan(format!(
            "the ESCAPE string '{text}' must be empty or one character"
        ))),
    }
}

impl SqlPlanner<'_> {
    /// `x [NOT] [I]LIKE pattern [ESCAPE c]`.
    pub(crate) fn like(
        &self,
        x: Expr,
        pattern: Expr,
        kind: LikeKind,
        schema: &QSchema,
    ) -> Result<Expr> {
        let x = self.string_operand(x, "LIKE", schema)?;
        let target = x.data_type(schema)?;
        let pattern = match (&pattern, pattern.data_type(schema)?) {
            (Expr::Literal(v), _) => Expr::Literal(literal_as(v, &target).ok_or_else(|| {
                QuiverError::Schema(format!("LIKE pattern {pattern} is not a string"))
            })?),
            (_, pt) if is_string(&pt) => cast_expr(pattern, &target, schema)?,
            (_, pt) => {
                return Err(QuiverError::Schema(format!(
                    "LIKE pattern {pattern} is {}, not a string",
                    sql_type_name(&pt)
                )))
            }
        };
        Ok(Expr::Like {
            negated: kind.negated,
            case_insensitive: kind.case_insensitive,
            expr: Box::new(x),
            pattern: Box::new(pattern),
            escape: kind.escape,
        })
    }

    /// `x` checked to be a string (NULL becomes a NULL string).
    fn string_operand(&self, x: Expr, operator: &str, schema: &QSchema) -> Result<Expr> {
        match x.data_type(schema)? {
            t if is_string(&t) => Ok(x),
            DataType::Null => cast_expr(x, &DataType::Utf8, schema),
            other => Err(QuiverError::Schema(format!(
                "{operator} needs a string, but {x} is {}; CAST it to VARCHAR first",
                sql_type_name(&other)
            ))),
        }
    }

    /// `x [NOT] SIMILAR TO pattern`: as in DuckDB, the pattern is a regular
    /// expression that must match the whole string (PostgreSQL reads `%`
    /// and `_` in it as LIKE's wildcards).
    pub(crate) fn similar_to(
        &self,
        x: Expr,
        pattern: Expr,
        negated: bool,
        schema: &QSchema,
    ) -> Result<Expr> {
        let x = self.string_operand(x, "SIMILAR TO", schema)?;
        let matched = self.call_scalar("regexp_full_match", vec![x, pattern], schema)?;
        Ok(negate_if(matched, negated))
    }

    /// `x ~ pattern` and its negated and case-insensitive forms.
    pub(crate) fn regex_match(
        &self,
        x: Expr,
        pattern: Expr,
        negated: bool,
        case_insensitive: bool,
        schema: &QSchema,
    ) -> Result<Expr> {
        let x = self.string_operand(x, "a regular expression match", schema)?;
        let mut args = vec![x, pattern];
        if case_insensitive {
            args.push(Expr::Literal(ScalarValue::Utf8(Some("i".into()))));
        }
        let matched = self.call_scalar("regexp_matches", args, schema)?;
        Ok(negate_if(matched, negated))
    }

    /// A binary pattern operator ([`is_pattern_operator`]).
    pub(crate) fn pattern_operator(
        &self,
        x: Expr,
        op: &B,
        pattern: Expr,
        schema: &QSchema,
    ) -> Result<Expr> {
        let like = |negated, case_insensitive| LikeKind {
            negated,
            case_insensitive,
            escape: None,
        };
        match op {
            B::PGRegexMatch => self.regex_match(x, pattern, false, false, schema),
            B::PGRegexIMatch => self.regex_match(x, pattern, false, true, schema),
            B::PGRegexNotMatch => self.regex_match(x, pattern, true, false, schema),
            B::PGRegexNotIMatch => self.regex_match(x, pattern, true, true, schema),
            B::PGLikeMatch => self.like(x, pattern, like(false, false), schema),
            B::PGILikeMatch => self.like(x, pattern, like(false, true), schema),
            B::PGNotLikeMatch => self.like(x, pattern, like(true, false), schema),
            B::PGNotILikeMatch => self.like(x, pattern, like(true, true), schema),
            B::PGStartsWith => self.call_scalar("starts_with", vec![x, pattern], schema),
            other => not_impl_err!("operator {other} is not supported"),
        }
    }
}

fn negate_if(e: Expr, negated: bool) -> Expr {
    if negated {
        Expr::Not(Box::new(e))
    } else {
        e
    }
}

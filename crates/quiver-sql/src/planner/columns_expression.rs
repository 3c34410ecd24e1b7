//! DuckDB's `COLUMNS(*)` and `COLUMNS('regex')` in the select list: the
//! item is repeated once per column of the FROM clause (every one, or those
//! whose name the regular expression finds a match in), with each
//! `COLUMNS(…)` in it standing for that column: `max(COLUMNS(*))` is
//! `max(a), max(b), …`. Each item is named after its column (or the alias,
//! for all of them), as in DuckDB.

use std::ops::ControlFlow;

use quiver_expr::{not_impl_err, Expr, QSchema, QuiverError, Result};
use regex::Regex;
use sqlparser::ast::{
    self, visit_expressions, visit_expressions_mut, FunctionArg, FunctionArgExpr,
};

use super::SqlPlanner;

/// Which columns a `COLUMNS(…)` stands for.
#[derive(Debug, Clone, PartialEq)]
enum Pattern {
    /// `COLUMNS(*)`.
    Every,
    /// `COLUMNS('regex')`.
    Matching(String),
}

/// Whether `e` is a `COLUMNS(…)` call, and its pattern.
fn columns_call(e: &ast::Expr) -> Option<Result<Pattern>> {
    let ast::Expr::Function(f) = e else {
        return None;
    };
    if !f.name.to_string().eq_ignore_ascii_case("columns") {
        return None;
    }
    let ast::FunctionArguments::List(list) = &f.args else {
        return Some(not_impl_err!("COLUMNS needs * or a regular expression"));
    };
    Some(match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] => Ok(Pattern::Every),
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(ast::Expr::Value(v)))] => match &v.value {
            ast::Value::SingleQuotedString(s) => Ok(Pattern::Matching(s.clone())),
            other => {
                not_impl_err!("COLUMNS({other}) is not supported; give * or a regular expression")
            }
        },
        _ => not_impl_err!(
            "COLUMNS({}) is not supported; give * or a regular expression",
            list
        ),
    })
}

impl SqlPlanner<'_> {
    /// The select items of `expr` (with `alias`, if given) when it holds
    /// `COLUMNS(…)`; `None` when it does not.
    pub(super) fn columns_expression(
        &self,
        expr: &ast::Expr,
        alias: Option<&ast::Ident>,
        schema: &QSchema,
    ) -> Result<Option<Vec<(Expr, String)>>> {
        let mut patterns: Vec<Result<Pattern>> = vec![];
        let _ = visit_expressions(expr, |e| {
            if let Some(p) = columns_call(e) {
                patterns.push(p);
            }
            ControlFlow::<()>::Continue(())
        });
        let Some(first) = patterns.first() else {
            return Ok(None);
        };
        let pattern = match first {
            Ok(p) => p.clone(),
            Err(e) => return Err(e.copy_for_sharing()),
        };
        if patterns.iter().any(|p| p.as_ref().ok() != Some(&pattern)) {
            return not_impl_err!(
                "COLUMNS with different patterns in one expression is not supported"
            );
        }
        let fields: Vec<_> = match &pattern {
            Pattern::Every => schema.fields().iter().filter(|f| !f.hidden).collect(),
            Pattern::Matching(re) => {
                let regex = Regex::new(re).map_err(|e| {
                    QuiverError::Plan(format!("COLUMNS: invalid regular expression '{re}': {e}"))
                })?;
                schema
                    .fields()
                    .iter()
                    .filter(|f| !f.hidden && regex.is_match(f.name()))
                    .collect()
            }
        };
        if fields.is_empty() {
            return Err(QuiverError::Plan(match pattern {
                Pattern::Every => "COLUMNS(*) needs a FROM clause with columns".to_string(),
                Pattern::Matching(re) => {
                    format!("no column matches the regular expression '{re}' of COLUMNS")
                }
            }));
        }
        let mut items = vec![];
        for field in fields {
            let reference = match &field.qualifier {
                Some(q) => ast::Expr::CompoundIdentifier(vec![
                    ast::Ident::with_quote('"', q),
                    ast::Ident::with_quote('"', field.name()),
                ]),
                None => ast::Expr::Identifier(ast::Ident::with_quote('"', field.name())),
            };
            let mut one = expr.clone();
            let _ = visit_expressions_mut(&mut one, |e| {
                if columns_call(e).is_some() {
                    *e = reference.clone();
                }
                ControlFlow::<()>::Continue(())
            });
            let name = alias.map_or_else(|| field.name().to_string(), |a| a.value.clone());
            items.push((self.sql_to_expr(&one, schema)?, name));
        }
        Ok(Some(items))
    }
}

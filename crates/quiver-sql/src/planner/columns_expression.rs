//! DuckDB's `COLUMNS(…)` in the select list: the item is repeated once per
//! column it selects, with each `COLUMNS(…)` in it standing for that
//! column: `max(COLUMNS(*))` is `max(a), max(b), …`. It selects
//!
//! - `COLUMNS(*)`: every column of the FROM clause, or those a star's
//!   modifiers leave (`COLUMNS(* EXCLUDE (a))`, `REPLACE`, `RENAME`);
//! - `COLUMNS('regex')`: those whose name the regular expression finds a
//!   match in;
//! - `COLUMNS(['a', 'b'])`: those named, in that order;
//! - `COLUMNS(lambda c: …)`: those whose name the lambda is true of.
//!
//! Each item is named after its column (or the alias, for all of them), as
//! in DuckDB.

use std::ops::ControlFlow;

use arrow::array::AsArray;
use quiver_expr::{not_impl_err, Expr, QField, QSchema, QuiverError, Result};
use regex::Regex;
use sqlparser::ast::{
    self, visit_expressions, visit_expressions_mut, FunctionArg, FunctionArgExpr,
    WildcardAdditionalOptions,
};

use super::lambda::lambda_parts;
use super::star::star_columns;
use super::SqlPlanner;

/// Which columns a `COLUMNS(…)` stands for.
#[derive(Debug, Clone, PartialEq)]
enum Pattern {
    /// `COLUMNS(*)`, with the star's modifiers.
    Star(WildcardAdditionalOptions),
    /// `COLUMNS('regex')`.
    Matching(String),
    /// `COLUMNS(['a', 'b'])`.
    Named(Vec<String>),
    /// `COLUMNS(lambda c: …)`: its parameters and body.
    Chosen(Vec<String>, ast::Expr),
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
    fn unsupported<T>(list: &ast::FunctionArgumentList) -> Result<T> {
        not_impl_err!(
            "COLUMNS({list}) is not supported; give *, a regular expression, a list of names \
             or a lambda"
        )
    }
    Some(match list.args.as_slice() {
        [FunctionArg::Unnamed(FunctionArgExpr::Wildcard)] => {
            Ok(Pattern::Star(WildcardAdditionalOptions::default()))
        }
        [FunctionArg::Unnamed(FunctionArgExpr::WildcardWithOptions(options))] => {
            Ok(Pattern::Star(options.clone()))
        }
        [FunctionArg::Unnamed(FunctionArgExpr::Expr(arg))] => match arg {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::SingleQuotedString(s) => Ok(Pattern::Matching(s.clone())),
                _ => unsupported(list),
            },
            ast::Expr::Array(array) => array
                .elem
                .iter()
                .map(|e| match e {
                    ast::Expr::Value(v) => match &v.value {
                        ast::Value::SingleQuotedString(s) => Ok(s.clone()),
                        _ => unsupported(list),
                    },
                    _ => unsupported(list),
                })
                .collect::<Result<_>>()
                .map(Pattern::Named),
            lambda => match lambda_parts(lambda) {
                Some((params, body)) => Ok(Pattern::Chosen(params, body.clone())),
                None => unsupported(list),
            },
        },
        _ => unsupported(list),
    })
}

/// A column as the expression that names it.
fn reference(field: &QField) -> ast::Expr {
    match &field.qualifier {
        Some(q) => ast::Expr::CompoundIdentifier(vec![
            ast::Ident::with_quote('"', q),
            ast::Ident::with_quote('"', field.name()),
        ]),
        None => ast::Expr::Identifier(ast::Ident::with_quote('"', field.name())),
    }
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
        let selected = self.selected_columns(&pattern, schema)?;
        let mut items = vec![];
        for (stand_in, column_name) in selected {
            let mut one = expr.clone();
            let _ = visit_expressions_mut(&mut one, |e| {
                if columns_call(e).is_some() {
                    *e = stand_in.clone();
                }
                ControlFlow::<()>::Continue(())
            });
            let name = alias.map_or(column_name, |a| a.value.clone());
            items.push((self.sql_to_expr(&one, schema)?, name));
        }
        Ok(Some(items))
    }

    /// The columns of `schema` that `pattern` selects: what stands for each
    /// in the expression, and its name.
    fn selected_columns(
        &self,
        pattern: &Pattern,
        schema: &QSchema,
    ) -> Result<Vec<(ast::Expr, String)>> {
        let visible = || schema.fields().iter().filter(|f| !f.hidden);
        let named = |fields: Vec<&QField>| -> Vec<(ast::Expr, String)> {
            fields
                .into_iter()
                .map(|f| (reference(f), f.name().to_string()))
                .collect()
        };
        let selected = match pattern {
            Pattern::Star(options) => {
                if visible().next().is_none() {
                    return Err(QuiverError::Plan(
                        "COLUMNS(*) needs a FROM clause with columns".into(),
                    ));
                }
                star_columns(visible().collect(), options)?
                    .into_iter()
                    .map(|c| {
                        let stand_in = match c.replacement {
                            Some(e) => ast::Expr::Nested(Box::new(e.clone())),
                            None => reference(c.field),
                        };
                        (stand_in, c.name)
                    })
                    .collect()
            }
            Pattern::Matching(re) => {
                let regex = Regex::new(re).map_err(|e| {
                    QuiverError::Plan(format!("COLUMNS: invalid regular expression '{re}': {e}"))
                })?;
                let matching = named(visible().filter(|f| regex.is_match(f.name())).collect());
                if matching.is_empty() {
                    return Err(QuiverError::Plan(format!(
                        "no column matches the regular expression '{re}' of COLUMNS"
                    )));
                }
                matching
            }
            Pattern::Named(names) => {
                if let Some(missing) = names
                    .iter()
                    .find(|n| !visible().any(|f| f.name().eq_ignore_ascii_case(n)))
                {
                    return Err(QuiverError::Plan(format!(
                        "column \"{missing}\" was selected by COLUMNS but is not in the FROM \
                         clause"
                    )));
                }
                named(
                    visible()
                        .filter(|f| names.iter().any(|n| f.name().eq_ignore_ascii_case(n)))
                        .collect(),
                )
            }
            Pattern::Chosen(params, body) => {
                let chosen = self.chosen_by_lambda(params, body, visible().collect())?;
                if chosen.is_empty() {
                    return Err(QuiverError::Plan(format!(
                        "the lambda of COLUMNS selects no column: {body}"
                    )));
                }
                named(chosen)
            }
        };
        Ok(selected)
    }

    /// Those of `fields` whose name `lambda` is true of, found by a query
    /// over their names.
    fn chosen_by_lambda<'f>(
        &self,
        params: &[String],
        body: &ast::Expr,
        fields: Vec<&'f QField>,
    ) -> Result<Vec<&'f QField>> {
        let [parameter] = params else {
            return Err(QuiverError::Plan(format!(
                "the lambda of COLUMNS takes one parameter (a column's name), not {}",
                params.len()
            )));
        };
        if fields.is_empty() {
            return Ok(vec![]);
        }
        let names: Vec<String> = fields
            .iter()
            .enumerate()
            .map(|(i, f)| {
                let name = ast::Value::SingleQuotedString(f.name().to_string());
                format!("({i}, {name})")
            })
            .collect();
        let sql = format!(
            "SELECT __column FROM (VALUES {}) AS __columns(__column, {}) WHERE {} \
             ORDER BY __column",
            names.join(", "),
            ast::Ident::with_quote('"', parameter),
            body
        );
        let plan = self.nested(|| self.plan_query(&super::parse_query(&sql)?))?;
        let mut chosen = vec![];
        for batch in self.provider.run_query(plan)? {
            let positions =
                arrow::compute::cast(batch.column(0), &arrow::datatypes::DataType::Int64)?;
            let positions = positions.as_primitive::<arrow::datatypes::Int64Type>();
            chosen.extend(
                positions
                    .iter()
                    .flatten()
                    .filter_map(|i| fields.get(i as usize).copied()),
            );
        }
        Ok(chosen)
    }
}

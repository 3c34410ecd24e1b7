//! `ARRAY(subquery)`: the subquery's one column as a list, in the order of
//! the subquery's ORDER BY, `[]` when it gives no rows; correlated like any
//! scalar subquery. Planned as DuckDB plans it: the subquery, its ORDER BY
//! keys added as columns, is aggregated by `list(value ORDER BY keys)` in a
//! scalar subquery, with `[]` in place of the NULL of no rows.

use quiver_expr::{Expr, QSchema, QuiverError, Result};
use sqlparser::ast::{self, OrderByKind, SelectItem, SetExpr, TableFactor};

use super::{parse_query, SqlPlanner};

/// The subquery's value column, as the aggregate sees it.
const VALUE: &str = "__array_value";

impl SqlPlanner<'_> {
    /// Plans `ARRAY(q)`.
    pub(crate) fn array_subquery(&self, q: &ast::Query, schema: &QSchema) -> Result<Expr> {
        let mut inner = q.clone();
        let output = output_name(&inner)?;
        if !plainly_one_column(&inner) {
            // `SELECT *` or a set operation: the width is known once planned.
            let width = self
                .in_scope_of(schema, || self.plan_query(q))?
                .schema()
                .len();
            if width != 1 {
                return Err(one_column_error(width));
            }
        }
        let mut columns = vec![VALUE.to_string()];
        let mut keys = vec![];
        let order = match &inner.order_by {
            Some(order_by) => match &order_by.kind {
                OrderByKind::Expressions(exprs) => exprs.clone(),
                OrderByKind::All(options) => vec![ast::OrderByExpr {
                    expr: ast::Expr::value(ast::Value::Number("1".into(), false)),
                    options: *options,
                    with_fill: None,
                }],
            },
            None => vec![],
        };
        for (i, key) in order.iter().enumerate() {
            let options = key.options.to_string();
            if refers_to_output(&key.expr, output.as_deref()) {
                keys.push(format!("{VALUE} {options}"));
                continue;
            }
            let SetExpr::Select(select) = inner.body.as_mut() else {
                return Err(QuiverError::NotImplemented(
                    "ARRAY(subquery) ordered by something other than its column, \
                     below a set operation"
                        .into(),
                ));
            };
            if select.distinct.is_some() {
                return Err(QuiverError::Plan(format!(
                    "ORDER BY {} of a SELECT DISTINCT must be a selected column",
                    key.expr
                )));
            }
            let column = format!("__array_key_{}", i + 1);
            select
                .projection
                .push(SelectItem::UnnamedExpr(key.expr.clone()));
            keys.push(format!("{column} {options}"));
            columns.push(column);
        }
        let order = match keys.is_empty() {
            true => String::new(),
            false => format!(" ORDER BY {}", keys.join(", ")),
        };
        let mut outer = parse_query(&format!(
            "SELECT coalesce(list({VALUE}{order}), []) FROM (SELECT 1) AS __array({})",
            columns.join(", ")
        ))?;
        let SetExpr::Select(select) = outer.body.as_mut() else {
            return Err(QuiverError::Internal(
                "ARRAY(subquery): not a SELECT".into(),
            ));
        };
        match select.from.first_mut().map(|from| &mut from.relation) {
            Some(TableFactor::Derived { subquery, .. }) => **subquery = inner,
            _ => {
                return Err(QuiverError::Internal(
                    "ARRAY(subquery): no derived table".into(),
                ))
            }
        }
        self.scalar_subquery(&outer, schema)
    }
}

/// The name of the subquery's one column when it has one (a column or an
/// alias); an error when it plainly has several.
fn output_name(q: &ast::Query) -> Result<Option<String>> {
    let SetExpr::Select(select) = q.body.as_ref() else {
        return Ok(None);
    };
    let wildcards = select.projection.iter().any(|item| {
        matches!(
            item,
            SelectItem::Wildcard(_) | SelectItem::QualifiedWildcard(..)
        )
    });
    if !wildcards && select.projection.len() != 1 {
        return Err(one_column_error(select.projection.len()));
    }
    Ok(match select.projection.as_slice() {
        [SelectItem::ExprWithAlias { alias, .. }] => Some(alias.value.clone()),
        [SelectItem::UnnamedExpr(ast::Expr::Identifier(name))] => Some(name.value.clone()),
        [SelectItem::UnnamedExpr(ast::Expr::CompoundIdentifier(names))] => {
            names.last().map(|n| n.value.clone())
        }
        _ => None,
    })
}

/// Whether the subquery is a SELECT of one item that is not a wildcard.
fn plainly_one_column(q: &ast::Query) -> bool {
    match q.body.as_ref() {
        SetExpr::Select(select) => matches!(
            select.projection.as_slice(),
            [SelectItem::UnnamedExpr(_) | SelectItem::ExprWithAlias { .. }]
        ),
        _ => false,
    }
}

fn one_column_error(width: usize) -> QuiverError {
    QuiverError::Plan(format!(
        "ARRAY(subquery) needs a subquery of one column, not {width}"
    ))
}

/// Whether an ORDER BY key is the subquery's output column: its position
/// (1) or its name.
fn refers_to_output(key: &ast::Expr, output: Option<&str>) -> bool {
    match key {
        ast::Expr::Value(v) => matches!(&v.value, ast::Value::Number(n, _) if n == "1"),
        ast::Expr::Identifier(name) => {
            output.is_some_and(|output| output.eq_ignore_ascii_case(&name.value))
        }
        _ => false,
    }
}

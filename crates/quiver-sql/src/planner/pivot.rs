//! `PIVOT` and `UNPIVOT` in FROM (the SQL-standard forms, as DuckDB takes
//! them), written as the queries they stand for and planned as those:
//!
//! - `t UNPIVOT [INCLUDE | EXCLUDE NULLS] (v FOR n IN (a, b AS bb))`: the
//!   other columns of `t`, then `n` (the column's name, or its alias) and
//!   `v` (its value), one row per row of `t` and listed column, as
//!   `unnest(['a', 'bb'])` beside `unnest([a, b])`; rows whose value is
//!   NULL are left out unless `INCLUDE NULLS`.
//! - `t PIVOT (agg(x) [AS s], … FOR c IN (v1 [AS n1], …))`: grouped by the
//!   columns of `t` that neither `c` nor the aggregates read, one column
//!   per value (and aggregate: `v1_s`), each the aggregate `FILTER (WHERE
//!   c IS NOT DISTINCT FROM v1)`.

use std::collections::HashSet;
use std::ops::ControlFlow;

use quiver_expr::{not_impl_err, LogicalPlan, QuiverError, Result};
use sqlparser::ast::{
    self, visit_expressions, ExprWithAlias, Ident, NullInclusion, PivotValueSource, TableAlias,
    TableFactor,
};

use super::SqlPlanner;

impl SqlPlanner<'_> {
    /// `table UNPIVOT (value FOR name IN (columns))`.
    pub(crate) fn unpivot(
        &self,
        table: &TableFactor,
        value: &ast::Expr,
        name: &Ident,
        columns: &[ExprWithAlias],
        null_inclusion: Option<&NullInclusion>,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        let ast::Expr::Identifier(value) = value else {
            return not_impl_err!("UNPIVOT value {value} is not supported; give a column name");
        };
        let source = self.plan_table_factor(table, None)?;
        let mut unpivoted = HashSet::new();
        let (mut names, mut values) = (vec![], vec![]);
        for c in columns {
            let ast::Expr::Identifier(column) = &c.expr else {
                return not_impl_err!("UNPIVOT of {} is not supported; list columns", c.expr);
            };
            unpivoted.insert(column.value.to_lowercase());
            let label = c.alias.as_ref().unwrap_or(column).value.clone();
            names.push(ast::Value::SingleQuotedString(label).to_string());
            values.push(column.to_string());
        }
        let mut items = kept_columns(&source, |c| !unpivoted.contains(&c.to_lowercase()));
        items.push(format!("unnest([{}]) AS {name}", names.join(", ")));
        items.push(format!("unnest([{}]) AS {value}", values.join(", ")));
        let mut sql = format!("SELECT {} FROM {table}", items.join(", "));
        if !matches!(null_inclusion, Some(NullInclusion::IncludeNulls)) {
            sql = format!("SELECT * FROM ({sql}) AS __unpivot WHERE {value} IS NOT NULL");
        }
        self.planned_as(&sql, alias)
    }

    /// `table PIVOT (aggregates FOR column IN (values))`.
    pub(crate) fn pivot(
        &self,
        table: &TableFactor,
        aggregates: &[ExprWithAlias],
        value_column: &[ast::Expr],
        value_source: &PivotValueSource,
        default_on_null: Option<&ast::Expr>,
        alias: Option<&TableAlias>,
    ) -> Result<LogicalPlan> {
        if default_on_null.is_some() {
            return not_impl_err!("PIVOT … DEFAULT ON NULL is not supported");
        }
        let [ast::Expr::Identifier(column)] = value_column else {
            return not_impl_err!("PIVOT over several columns or an expression is not supported");
        };
        let PivotValueSource::List(pivot_values) = value_source else {
            return not_impl_err!("PIVOT … IN (ANY | subquery) is not supported; list the values");
        };
        if pivot_values.is_empty() || aggregates.is_empty() {
            return Err(QuiverError::Plan(
                "PIVOT needs an aggregate and values".into(),
            ));
        }
        let source = self.plan_table_factor(table, None)?;
        // Columns read by the aggregates, or pivoted, are not group keys.
        let mut read = HashSet::from([column.value.to_lowercase()]);
        for a in aggregates {
            let _ = visit_expressions(&a.expr, |e| {
                match e {
                    ast::Expr::Identifier(i) => read.insert(i.value.to_lowercase()),
                    ast::Expr::CompoundIdentifier(parts) => parts
                        .last()
                        .is_some_and(|i| read.insert(i.value.to_lowercase())),
                    _ => false,
                };
                ControlFlow::<()>::Continue(())
            });
        }
        let groups = kept_columns(&source, |c| !read.contains(&c.to_lowercase()));
        let mut items = groups.clone();
        for v in pivot_values {
            let value_name = v
                .alias
                .as_ref()
                .map_or_else(|| literal_text(&v.expr), |a| a.value.clone());
            for a in aggregates {
                let ast::Expr::Function(call) = &a.expr else {
                    return not_impl_err!(
                        "PIVOT of {} is not supported; give aggregate calls",
                        a.expr
                    );
                };
                let mut call = call.clone();
                let condition = format!("{column} IS NOT DISTINCT FROM {}", v.expr);
                call.filter = Some(Box::new(super::parse_expression(&condition)?));
                let name = match (aggregates.len(), &a.alias) {
                    (1, _) => value_name.clone(),
                    (_, Some(alias)) => format!("{value_name}_{}", alias.value),
                    (_, None) => format!("{value_name}_{}", a.expr),
                };
                items.push(format!("{call} AS {}", Ident::with_quote('"', name)));
            }
        }
        let mut sql = format!("SELECT {} FROM {table}", items.join(", "));
        if !groups.is_empty() {
            sql.push_str(&format!(" GROUP BY {}", groups.join(", ")));
        }
        self.planned_as(&sql, alias)
    }

    /// The query `sql` (written here), planned as a FROM item under
    /// `alias`.
    fn planned_as(&self, sql: &str, alias: Option<&TableAlias>) -> Result<LogicalPlan> {
        let query = super::parse_query(sql)?;
        let plan = self.nested(|| self.plan_query(&query))?;
        match alias {
            Some(a) => self.apply_alias(plan, a),
            None => Ok(plan),
        }
    }
}

/// The columns of `plan` that `keep` accepts, as quoted names.
fn kept_columns(plan: &LogicalPlan, keep: impl Fn(&str) -> bool) -> Vec<String> {
    plan.schema()
        .fields()
        .iter()
        .filter(|f| !f.hidden && keep(f.name()))
        .map(|f| Ident::with_quote('"', f.name()).to_string())
        .collect()
}

/// A PIVOT value as a column name: a string's text without quotes, other
/// values as written.
fn literal_text(e: &ast::Expr) -> String {
    match e {
        ast::Expr::Value(v) => match &v.value {
            ast::Value::SingleQuotedString(s) | ast::Value::DoubleQuotedString(s) => s.clone(),
            other => other.to_string(),
        },
        other => other.to_string(),
    }
}

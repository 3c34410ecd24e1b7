//! Plans `UPDATE` and `DELETE` on tables made with `CREATE TABLE`: every
//! current row of the table (for an UPDATE, with its new values) and a flag
//! saying whether the statement changes it; for a DELETE without RETURNING,
//! just the rows that stay. The session replaces the table's rows with the
//! result at once, so a statement that fails changes nothing; `RETURNING`
//! reads the flagged rows.
//!
//! `UPDATE t SET .. FROM u WHERE ..` and `DELETE FROM t USING u WHERE ..`
//! read the other tables through correlated subqueries: a row of `t` is
//! changed when `EXISTS (SELECT 1 FROM u WHERE ..)`, and takes the value
//! `(SELECT expr FROM u WHERE ..)`, which is an error when two rows of `u`
//! match one row of `t` (DuckDB and PostgreSQL take either one).

use std::sync::Arc;

use quiver_expr::logical_plan::{Ddl, Filter, Projection, Returning};
use quiver_expr::{
    not_impl_err, Expr, LogicalPlan, Operator, QSchema, QuiverError, Result, ScalarValue,
};
use sqlparser::ast;

use super::expr::cast_expr;
use super::{parse_expression, SqlPlanner};

/// The name of the flag column that marks the rows a statement changes.
const CHANGED_COLUMN: &str = "__changed";

/// Every row of `rows`, its columns replaced where `new_values` has one
/// (by position), and a last column: `changed`, the flag.
fn flagged(rows: LogicalPlan, new_values: Vec<Option<Expr>>, changed: Expr) -> Result<LogicalPlan> {
    let mut exprs: Vec<Expr> = rows
        .schema()
        .fields()
        .iter()
        .enumerate()
        .map(|(i, f)| {
            new_values
                .get(i)
                .cloned()
                .flatten()
                .unwrap_or_else(|| Expr::Column(f.column()))
        })
        .collect();
    exprs.push(changed.alias(CHANGED_COLUMN));
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(rows),
    )?))
}

impl SqlPlanner<'_> {
    /// `DELETE FROM t [USING ..] [WHERE ..]`.
    pub(crate) fn delete(&self, d: &ast::Delete) -> Result<LogicalPlan> {
        let unsupported = [
            (!d.tables.is_empty(), "DELETE of several tables"),
            (d.output.is_some(), "DELETE … OUTPUT"),
            (!d.order_by.is_empty(), "DELETE … ORDER BY"),
            (d.limit.is_some(), "DELETE … LIMIT"),
        ];
        super::reject_unsupported(&unsupported)?;
        let (ast::FromTable::WithFromKeyword(from) | ast::FromTable::WithoutKeyword(from)) =
            &d.from;
        let [target] = from.as_slice() else {
            return not_impl_err!("DELETE from several tables is not supported");
        };
        let (table, rows) = self.target_rows(target, "DELETE")?;
        let schema = rows.schema().clone();
        let changed = self.changed(&schema, d.using.as_deref(), d.selection.as_ref())?;
        let returning = self.returning(d.returning.as_deref(), &schema)?;
        // Without RETURNING only the rows that stay are needed: a filter,
        // which runs in parallel and skips the flag.
        let input = match returning {
            Some(_) => flagged(rows, vec![], changed)?,
            None => LogicalPlan::Filter(Filter::try_new(
                Expr::Not(Box::new(changed)),
                Arc::new(rows),
            )?),
        };
        Ok(LogicalPlan::Ddl(Ddl::ChangeRows {
            table,
            input: Arc::new(input),
            delete: true,
            returning,
        }))
    }

    /// `UPDATE t SET col = expr, .. [FROM ..] [WHERE ..]`.
    pub(crate) fn update(&self, u: &ast::Update) -> Result<LogicalPlan> {
        let unsupported = [
            (u.output.is_some(), "UPDATE … OUTPUT"),
            (u.or.is_some(), "UPDATE OR …"),
            (!u.order_by.is_empty(), "UPDATE … ORDER BY"),
            (u.limit.is_some(), "UPDATE … LIMIT"),
        ];
        super::reject_unsupported(&unsupported)?;
        let from = match &u.from {
            None => None,
            Some(
                ast::UpdateTableFromKind::AfterSet(f) | ast::UpdateTableFromKind::BeforeSet(f),
            ) => Some(f.as_slice()),
        };
        let (table, rows) = self.target_rows(&u.table, "UPDATE")?;
        let schema = rows.schema().clone();
        let changed = self.changed(&schema, from, u.selection.as_ref())?;
        // The new value of each assigned column.
        let mut values: Vec<Option<Expr>> = vec![None; schema.len()];
        for assignment in &u.assignments {
            let ast::AssignmentTarget::ColumnName(name) = &assignment.target else {
                return not_impl_err!("UPDATE … SET (a, b) = … is not supported");
            };
            let column = name
                .0
                .last()
                .and_then(|p| p.as_ident())
                .map(|i| i.value.clone())
                .unwrap_or_default();
            let Some(i) = schema
                .fields()
                .iter()
                .position(|f| f.name().eq_ignore_ascii_case(&column))
            else {
                return Err(QuiverError::Plan(format!(
                    "table {table} has no column \"{column}\" to SET"
                )));
            };
            if values[i].is_some() {
                return Err(QuiverError::Plan(format!(
                    "UPDATE sets column \"{column}\" twice"
                )));
            }
            let value = self.value_from(&schema, from, u.selection.as_ref(), &assignment.value)?;
            let field = schema.field(i);
            values[i] = Some(cast_expr(value, field.field.data_type(), &schema)?);
        }
        let new_values = values
            .into_iter()
            .zip(schema.fields())
            .map(|(value, f)| {
                value.map(|new| {
                    Expr::Case {
                        operand: None,
                        when_then: vec![(changed.clone(), new)],
                        else_expr: Some(Box::new(Expr::Column(f.column()))),
                    }
                    .alias(f.name())
                })
            })
            .collect();
        let returning = self.returning(u.returning.as_deref(), &schema)?;
        Ok(LogicalPlan::Ddl(Ddl::ChangeRows {
            table,
            input: Arc::new(flagged(rows, new_values, changed)?),
            delete: false,
            returning,
        }))
    }

    /// `RETURNING items` over the target's columns (`schema`, under the
    /// table's name or alias).
    pub(crate) fn returning(
        &self,
        items: Option<&[ast::SelectItem]>,
        schema: &QSchema,
    ) -> Result<Option<Returning>> {
        let Some(items) = items else {
            return Ok(None);
        };
        let qualifier = schema
            .fields()
            .first()
            .and_then(|f| f.qualifier.clone())
            .unwrap_or_default();
        let exprs = self
            .select_items(items, schema)?
            .into_iter()
            .map(|(expr, name)| {
                if expr.contains_aggregate() || expr.contains_window() || expr.contains_subquery() {
                    return not_impl_err!(
                        "aggregates, window functions and subqueries in RETURNING ({expr})"
                    );
                }
                Ok(expr.alias(name))
            })
            .collect::<Result<Vec<_>>>()?;
        Ok(Some(Returning { qualifier, exprs }))
    }

    /// The table a DML statement changes, and a scan of its rows (under
    /// its alias, if any).
    fn target_rows(
        &self,
        target: &ast::TableWithJoins,
        statement: &str,
    ) -> Result<(String, LogicalPlan)> {
        let ast::TableFactor::Table { name, alias, .. } = &target.relation else {
            return not_impl_err!("{statement} of something other than a table is not supported");
        };
        if !target.joins.is_empty() {
            return not_impl_err!("{statement} of a join is not supported; use FROM or USING");
        }
        let table = self.catalog_name(name)?;
        if self.provider.get_table(&table).is_none() {
            return Err(QuiverError::Plan(format!(
                "table \"{table}\" not found; {statement} needs a table made with CREATE TABLE"
            )));
        }
        let rows = self.plan_table_name(name, alias.as_ref())?;
        Ok((table, rows))
    }

    /// Whether the statement changes a row of the target (`schema`): its
    /// WHERE condition is true, and with other tables (`from`), some row
    /// of theirs meets it.
    fn changed(
        &self,
        schema: &QSchema,
        from: Option<&[ast::TableWithJoins]>,
        selection: Option<&ast::Expr>,
    ) -> Result<Expr> {
        let condition = match (from, selection) {
            (None, None) => return Ok(Expr::Literal(ScalarValue::Boolean(Some(true)))),
            (None, Some(w)) => {
                let w = self.sql_to_expr(w, schema)?;
                self.boolean(w, "WHERE", schema)?
            }
            (Some(from), w) => {
                let exists = format!("EXISTS ({})", select_from("1", from, w));
                self.sql_to_expr(&parse_expression(&exists)?, schema)?
            }
        };
        // Rows where the condition is NULL are not changed.
        Ok(condition.binary(
            Operator::IsNotDistinctFrom,
            Expr::Literal(ScalarValue::Boolean(Some(true))),
        ))
    }

    /// A SET value: over the target's columns, or with other tables
    /// (`from`), the value from the one row of theirs that meets the
    /// WHERE condition.
    fn value_from(
        &self,
        schema: &QSchema,
        from: Option<&[ast::TableWithJoins]>,
        selection: Option<&ast::Expr>,
        value: &ast::Expr,
    ) -> Result<Expr> {
        match from {
            None => self.sql_to_expr(value, schema),
            Some(from) => {
                let scalar = format!("({})", select_from(&value.to_string(), from, selection));
                self.sql_to_expr(&parse_expression(&scalar)?, schema)
            }
        }
    }
}

/// `SELECT item FROM from [WHERE selection]` as SQL text.
fn select_from(item: &str, from: &[ast::TableWithJoins], selection: Option<&ast::Expr>) -> String {
    let from: Vec<String> = from.iter().map(ToString::to_string).collect();
    let mut sql = format!("SELECT {item} FROM {}", from.join(", "));
    if let Some(w) = selection {
        sql.push_str(&format!(" WHERE {w}"));
    }
    sql
}

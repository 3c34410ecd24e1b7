//! `EXECUTE name(values)`: the statement kept by `PREPARE name AS …`, with
//! its parameters (`$1`, `$2`, … by number, `?` in order) replaced by the
//! values given, cast to the types `PREPARE name(types)` declared, then
//! planned as any statement.

use std::ops::ControlFlow;

use quiver_expr::{LogicalPlan, QuiverError, Result};
use sqlparser::ast::{self, visit_expressions_mut};

use super::{parse_expression, SqlPlanner};
use crate::parser::{parse_one_statement, Statement};

impl SqlPlanner<'_> {
    /// Plans `EXECUTE name(parameters)`.
    pub(crate) fn execute_prepared(
        &self,
        name: &ast::ObjectName,
        parameters: &[ast::Expr],
    ) -> Result<LogicalPlan> {
        let key = name.to_string().to_lowercase();
        let Some((sql, types)) = self.provider.prepared_statement(&key) else {
            return Err(QuiverError::Plan(format!(
                "prepared statement \"{name}\" not found; PREPARE {name} AS … makes one"
            )));
        };
        let values = parameters
            .iter()
            .enumerate()
            .map(|(i, p)| match types.get(i) {
                Some(t) => parse_expression(&format!("CAST({p} AS {t})")),
                None => Ok(p.clone()),
            })
            .collect::<Result<Vec<_>>>()?;
        let prepared = parse_one_statement(&sql)?;
        let Statement::Sql(statement) = prepared.statement() else {
            return Err(QuiverError::Internal(format!(
                "prepared statement {name}: {sql}"
            )));
        };
        let mut statement = statement.as_ref().clone();
        let mut next = 0;
        let mut used = 0;
        let mut missing = None;
        let _ = visit_expressions_mut(&mut statement, |e| {
            let ast::Expr::Value(v) = e else {
                return ControlFlow::<()>::Continue(());
            };
            let ast::Value::Placeholder(p) = &v.value else {
                return ControlFlow::Continue(());
            };
            let index = match p.strip_prefix('$').and_then(|n| n.parse::<usize>().ok()) {
                Some(n) if n > 0 => n - 1,
                _ => {
                    next += 1;
                    next - 1
                }
            };
            match values.get(index) {
                Some(value) => {
                    used = used.max(index + 1);
                    *e = value.clone();
                }
                None => {
                    missing.get_or_insert_with(|| p.clone());
                }
            }
            ControlFlow::Continue(())
        });
        if let Some(p) = missing {
            return Err(QuiverError::Plan(format!(
                "EXECUTE {name} gives {} values, but the statement uses {p}",
                values.len()
            )));
        }
        if used < values.len() {
            return Err(QuiverError::Plan(format!(
                "EXECUTE {name} gives {} values, but the statement takes {used}",
                values.len()
            )));
        }
        self.sql_statement_to_plan(&statement)
    }
}

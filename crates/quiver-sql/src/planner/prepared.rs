//! `EXECUTE name(values)`: the statement kept by `PREPARE name AS …`, with
//! its parameters (`$1`, `$2`, … by number, `?` in order) replaced by the
//! values given, cast to the types `PREPARE name(types)` declared, then
//! planned as any statement.

use quiver_expr::{LogicalPlan, QuiverError, Result};
use sqlparser::ast;

use super::{parse_expression, SqlPlanner};
use crate::parameters::{substitute_placeholders, Substitutes};
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
        substitute_placeholders(
            &mut statement,
            &Substitutes::Positional(&values),
            &format!("EXECUTE {name}"),
        )?;
        self.sql_statement_to_plan(&statement)
    }
}

//! `WITH RECURSIVE name AS (static UNION [ALL] recursive)`: the static term
//! is planned first; inside the recursive term, `name` reads a working
//! table with the static term's columns; the recursive term's columns are
//! cast to the static term's types. A CTE of WITH RECURSIVE that does not
//! read itself is an ordinary CTE.

use std::sync::Arc;

use quiver_expr::logical_plan::{RecursiveQuery, TableScan};
use quiver_expr::work_table::WorkTable;
use quiver_expr::{LogicalPlan, QuiverError, Result};
use sqlparser::ast::{self, SetExpr, SetOperator, SetQuantifier};

use super::query::{cast_columns, rename_columns};
use super::SqlPlanner;

/// Whether `plan` reads the working table `table`.
fn reads(plan: &LogicalPlan, table: &WorkTable) -> bool {
    if let LogicalPlan::TableScan(scan) = plan {
        if let Some(w) = scan.source.as_any().downcast_ref::<WorkTable>() {
            return w.id() == table.id();
        }
    }
    plan.inputs().iter().any(|i| reads(i, table))
}

impl SqlPlanner<'_> {
    /// The plan of CTE `name` (with column names `columns`) of a WITH
    /// RECURSIVE clause when its query reads itself; `None` when it does
    /// not, to be planned as an ordinary CTE.
    pub(crate) fn recursive_cte(
        &self,
        name: &str,
        columns: &[String],
        query: &ast::Query,
    ) -> Result<Option<LogicalPlan>> {
        let SetExpr::SetOperation {
            op: SetOperator::Union,
            set_quantifier,
            left,
            right,
        } = query.body.as_ref()
        else {
            return Ok(None);
        };
        let distinct = match set_quantifier {
            SetQuantifier::All => false,
            SetQuantifier::None | SetQuantifier::Distinct => true,
            other => {
                return Err(QuiverError::NotImplemented(format!(
                    "UNION {other} in a recursive CTE is not supported"
                )))
            }
        };
        let static_term = rename_columns(self.plan_set_expr(left)?, name, columns)?;
        let work_table = Arc::new(WorkTable::new(name, static_term.schema().to_arrow()));
        let scan = TableScan::try_new(name, Arc::clone(&work_table) as _, None)?;
        let recursive_term = {
            self.ctes.borrow_mut().push(Default::default());
            self.define_cte(name, LogicalPlan::TableScan(scan));
            let planned = self.plan_set_expr(right);
            self.ctes.borrow_mut().pop();
            planned?
        };
        if !reads(&recursive_term, &work_table) {
            return Ok(None);
        }
        if query.order_by.is_some() || query.limit_clause.is_some() {
            return Err(QuiverError::NotImplemented(format!(
                "ORDER BY or LIMIT on the recursive CTE {name} itself is not supported; \
                 put them in the query that reads it"
            )));
        }
        let static_types: Vec<_> = static_term
            .schema()
            .fields()
            .iter()
            .map(|f| f.field.data_type().clone())
            .collect();
        if recursive_term.schema().len() != static_types.len() {
            return Err(QuiverError::Plan(format!(
                "the terms of the recursive CTE {name} give {} and {} columns",
                static_types.len(),
                recursive_term.schema().len()
            )));
        }
        let recursive_term = cast_columns(recursive_term, &static_types).map_err(|e| {
            QuiverError::Plan(format!(
                "the recursive term of {name} does not give the static term's column types: {e}"
            ))
        })?;
        Ok(Some(LogicalPlan::RecursiveQuery(RecursiveQuery::try_new(
            name,
            Arc::new(static_term),
            Arc::new(recursive_term),
            distinct,
            work_table,
        )?)))
    }
}

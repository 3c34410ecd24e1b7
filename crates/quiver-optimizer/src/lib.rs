//! The logical optimizer of Quiver: rewrite rules applied in order.

pub mod cardinality;
pub mod decorrelate;
pub mod join_keys;
pub mod join_order;
pub mod limit_into_sort;
pub mod prune_columns;

#[cfg(test)]
mod test_util;

use std::sync::Arc;

use quiver_expr::logical_plan::Projection;
use quiver_expr::{Expr, LogicalPlan, QSchema, Result};

/// `plan` projected to exactly the columns of `schema` (found by name), for
/// rules that add or reorder columns; `plan` itself when it has them already.
fn project_to(plan: LogicalPlan, schema: &QSchema) -> Result<LogicalPlan> {
    if plan.schema() == schema {
        return Ok(plan);
    }
    let exprs = schema
        .fields()
        .iter()
        .map(|f| Expr::Column(f.column()))
        .collect();
    Ok(LogicalPlan::Projection(Projection::try_new(
        exprs,
        Arc::new(plan),
    )?))
}

/// One logical rewrite.
pub trait OptimizerRule: Send + Sync {
    /// A short name for EXPLAIN VERBOSE and errors.
    fn name(&self) -> &str;

    /// The rewritten plan (or the same plan when the rule does not apply).
    fn rewrite(&self, plan: LogicalPlan) -> Result<LogicalPlan>;
}

/// Runs a list of rules over a plan.
pub struct Optimizer {
    rules: Vec<Box<dyn OptimizerRule>>,
}

impl Default for Optimizer {
    fn default() -> Self {
        Self {
            rules: vec![
                Box::new(decorrelate::Decorrelate),
                Box::new(join_order::JoinOrder),
                Box::new(limit_into_sort::LimitIntoSort),
                Box::new(prune_columns::PruneColumns),
            ],
        }
    }
}

impl Optimizer {
    /// Applies every rule in order.
    pub fn optimize(&self, plan: LogicalPlan) -> Result<LogicalPlan> {
        self.rules
            .iter()
            .try_fold(plan, |plan, rule| rule.rewrite(plan))
    }
}

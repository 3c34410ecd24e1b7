//! `TABLESAMPLE` after a table or subquery in FROM: `BERNOULLI (p)` or
//! `SYSTEM (p)` (also `(p PERCENT)`) keeps each row with probability p%,
//! drawn anew for every row; `(n ROWS)` keeps n rows chosen uniformly at
//! random (all of them when there are fewer). A seed (`REPEATABLE`) is not
//! supported: every run draws again.

use std::sync::Arc;

use quiver_expr::logical_plan::{Filter, Sort};
use quiver_expr::{not_impl_err, Expr, LogicalPlan, Operator, QuiverError, Result, ScalarValue};
use sqlparser::ast::{self, TableSampleKind, TableSampleUnit};

use super::SqlPlanner;

impl SqlPlanner<'_> {
    /// `plan` sampled as `sample` says.
    pub(crate) fn sampled(
        &self,
        plan: LogicalPlan,
        sample: &TableSampleKind,
    ) -> Result<LogicalPlan> {
        let (TableSampleKind::BeforeTableAlias(s) | TableSampleKind::AfterTableAlias(s)) = sample;
        if s.seed.is_some() || s.bucket.is_some() || s.offset.is_some() {
            return not_impl_err!("{s} is not supported; TABLESAMPLE takes a percentage or a number of rows, without a seed");
        }
        let Some(quantity) = &s.quantity else {
            return Err(QuiverError::Plan(format!(
                "{s} needs a percentage or a number of rows"
            )));
        };
        let amount = match &quantity.value {
            ast::Expr::Value(v) => match &v.value {
                ast::Value::Number(n, _) => n.parse::<f64>().ok(),
                _ => None,
            },
            _ => None,
        };
        let Some(amount) = amount.filter(|a| a.is_finite() && *a >= 0.0) else {
            return Err(QuiverError::Plan(format!(
                "TABLESAMPLE needs a number that is not negative, not {}",
                quantity.value
            )));
        };
        let schema = plan.schema().clone();
        let random = self.call_scalar("random", vec![], &schema)?;
        match quantity.unit {
            Some(TableSampleUnit::Rows) => {
                if amount.fract() != 0.0 {
                    return Err(QuiverError::Plan(format!(
                        "TABLESAMPLE ({amount} ROWS) needs a whole number of rows"
                    )));
                }
                // The first n rows in a random order.
                Ok(LogicalPlan::Sort(Sort {
                    exprs: vec![quiver_expr::expr::SortExpr {
                        expr: random,
                        asc: true,
                        nulls_first: false,
                    }],
                    input: Arc::new(plan),
                    fetch: Some(amount as usize),
                }))
            }
            Some(TableSampleUnit::Percent) | None => {
                if amount > 100.0 {
                    return Err(QuiverError::Plan(format!(
                        "TABLESAMPLE takes a percentage up to 100, not {amount}"
                    )));
                }
                let fraction = Expr::Literal(ScalarValue::Float64(Some(amount / 100.0)));
                let keep = random.binary(Operator::Lt, fraction);
                Ok(LogicalPlan::Filter(Filter::try_new(keep, Arc::new(plan))?))
            }
        }
    }
}

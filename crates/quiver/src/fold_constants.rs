//! Constant folding: the parts of filter and join conditions that read no
//! column (`DATE '1994-01-01' + INTERVAL '1' YEAR`, `1 + 2`) are computed
//! once during optimization, so that estimates, Parquet row-group pruning
//! and join-key extraction see plain constants. A part that fails to
//! compute (`1 / 0`) is left as written, for the rows that need it to
//! report the error.

use std::sync::Arc;

use quiver_execution::physical_expr::evaluate_constant;
use quiver_expr::logical_plan::{Filter, Join};
use quiver_expr::{Expr, LogicalPlan, Result};
use quiver_optimizer::OptimizerRule;

/// Folds constant parts of filter and join conditions.
pub struct FoldConstants;

impl OptimizerRule for FoldConstants {
    fn name(&self) -> &str {
        "fold_constants"
    }

    fn rewrite(&self, plan: LogicalPlan) -> Result<LogicalPlan> {
        let inputs = plan
            .inputs()
            .into_iter()
            .map(|i| self.rewrite(i.as_ref().clone()).map(Arc::new))
            .collect::<Result<Vec<_>>>()?;
        Ok(match plan.with_new_inputs(inputs)? {
            LogicalPlan::Filter(f) => {
                LogicalPlan::Filter(Filter::try_new(fold(f.predicate)?, f.input)?)
            }
            LogicalPlan::Join(j) if j.filter.is_some() => {
                let filter = j.filter.clone().map(fold).transpose()?;
                let mut folded = Join::try_new(
                    Arc::clone(&j.left),
                    Arc::clone(&j.right),
                    j.join_type,
                    j.on.clone(),
                    filter,
                    j.null_aware,
                )?;
                folded.subquery = j.subquery.clone();
                LogicalPlan::Join(folded)
            }
            other => other,
        })
    }
}

/// `e` with its largest column-free parts replaced by their values.
fn fold(e: Expr) -> Result<Expr> {
    e.rewrite(&mut |node| {
        let constant = !matches!(node, Expr::Literal(_))
            && node.columns().is_empty()
            && !node.contains_outer_column()
            && !node.contains_subquery()
            && !node.contains_aggregate();
        Ok(constant
            .then(|| evaluate_constant(node))
            .flatten()
            .map(Expr::Literal))
    })
}

#[cfg(test)]
mod tests {
    use arrow::datatypes::IntervalMonthDayNano;
    use quiver_expr::{Column, Operator, ScalarValue};

    use super::*;

    fn int(v: i64) -> Expr {
        Expr::Literal(ScalarValue::Int64(Some(v)))
    }

    #[test]
    fn column_free_parts_become_literals_and_failures_stay() {
        let a = Expr::Column(Column::new(Some("t"), "a"));
        let sum = int(1).binary(Operator::Plus, int(2));
        assert_eq!(
            fold(a.clone().binary(Operator::Lt, sum)).unwrap(),
            a.clone().binary(Operator::Lt, int(3))
        );
        let division = int(1).binary(Operator::Divide, int(0));
        let kept = a.clone().binary(Operator::Lt, division);
        assert_eq!(fold(kept.clone()).unwrap(), kept);
        let date = Expr::Literal(ScalarValue::Date32(Some(8766))).binary(
            Operator::Plus,
            Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(
                IntervalMonthDayNano::new(12, 0, 0),
            ))),
        );
        let folded = fold(a.clone().binary(Operator::Lt, date)).unwrap();
        let Expr::Binary(_, _, value) = &folded else {
            panic!("a comparison: {folded}")
        };
        assert!(matches!(value.as_ref(), Expr::Literal(_)), "{folded}");
    }
}

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

use crate::{map_inputs, OptimizerRule, Transformed};

/// Folds constant parts of filter and join conditions.
pub struct FoldConstants;

impl OptimizerRule for FoldConstants {
    fn name(&self) -> &'static str {
        "fold_constants"
    }

    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        fold_plan(&plan)
    }
}

fn fold_plan(plan: &LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, fold_plan)?.and_then(|plan| match plan {
        LogicalPlan::Filter(f) => {
            let Some(predicate) = fold(&f.predicate)? else {
                return Ok(Transformed::no(LogicalPlan::Filter(f)));
            };
            Ok(Transformed::yes(LogicalPlan::Filter(Filter::try_new(
                predicate, f.input,
            )?)))
        }
        LogicalPlan::Join(j) => {
            let Some(filter) = j.filter.as_ref().map(fold).transpose()?.flatten() else {
                return Ok(Transformed::no(LogicalPlan::Join(j)));
            };
            let folded = Join::try_new(
                Arc::clone(&j.left),
                Arc::clone(&j.right),
                j.join_type,
                j.on.clone(),
                Some(filter),
                j.null_aware,
            )?;
            Ok(Transformed::yes(LogicalPlan::Join(Join {
                subquery: j.subquery.clone(),
                ..folded
            })))
        }
        other => Ok(Transformed::no(other)),
    })
}

/// `e` with its largest column-free parts replaced by their values; `None`
/// when nothing in it could be folded.
fn fold(e: &Expr) -> Result<Option<Expr>> {
    let mut folded = false;
    let rewritten = e.clone().rewrite(&mut |node| {
        let constant = !matches!(node, Expr::Literal(_))
            && node.columns().is_empty()
            && !node.contains_outer_column()
            && !node.contains_subquery()
            && !node.contains_aggregate()
            && !node.is_volatile();
        let value = constant
            .then(|| evaluate_constant(node))
            .flatten()
            .map(Expr::Literal);
        folded |= value.is_some();
        Ok(value)
    })?;
    Ok(folded.then_some(rewritten))
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
            fold(&a.clone().binary(Operator::Lt, sum)).unwrap(),
            Some(a.clone().binary(Operator::Lt, int(3)))
        );
        let division = int(1).binary(Operator::Divide, int(0));
        let kept = a.clone().binary(Operator::Lt, division);
        assert_eq!(fold(&kept).unwrap(), None);
        let date = Expr::Literal(ScalarValue::Date32(Some(8766))).binary(
            Operator::Plus,
            Expr::Literal(ScalarValue::IntervalMonthDayNano(Some(
                IntervalMonthDayNano::new(12, 0, 0),
            ))),
        );
        let folded = fold(&a.clone().binary(Operator::Lt, date))
            .unwrap()
            .unwrap();
        let Expr::Binary(_, _, value) = &folded else {
            panic!("a comparison: {folded}")
        };
        assert!(matches!(value.as_ref(), Expr::Literal(_)), "{folded}");
    }
}

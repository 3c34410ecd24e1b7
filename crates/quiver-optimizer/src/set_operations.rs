//! `INTERSECT` and `EXCEPT` (without `ALL`) become a DISTINCT of the left
//! input semi- or anti-joined with the right input on every column, so
//! that they run on the parallel hash join and aggregation, which spill
//! past the memory limit, instead of the single-partition set operator.
//!
//! Set operations compare NULLs as equal, and join keys never match a
//! NULL, so each nullable column `c` is joined on two keys: `c IS NULL`,
//! and `CASE WHEN c IS NULL THEN <zero> ELSE c END` (`<zero>` being the
//! type's default value). Two rows then have equal keys exactly when each
//! column is equal or NULL on both sides. A column of a type without a
//! default value leaves the set operation as it is.

use std::sync::Arc;

use quiver_expr::logical_plan::{Aggregate, Join, JoinType, SetOperation, SetOperator};
use quiver_expr::{Expr, LogicalPlan, QSchema, Result, ScalarValue};

use crate::{map_inputs, OptimizerRule, Transformed};

/// Rewrites INTERSECT and EXCEPT as semi and anti joins.
pub struct SetOperationsToJoins;

impl OptimizerRule for SetOperationsToJoins {
    fn name(&self) -> &'static str {
        "set_operations_to_joins"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite(&plan)
    }
}

fn rewrite(plan: &LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, rewrite)?.and_then(|plan| match plan {
        LogicalPlan::SetOperation(s) if !s.all => Ok(match as_join(&s)? {
            Some(join) => Transformed::yes(join),
            None => Transformed::no(LogicalPlan::SetOperation(s)),
        }),
        other => Ok(Transformed::no(other)),
    })
}

/// `s` as `DISTINCT left` semi- (INTERSECT) or anti-joined (EXCEPT) with
/// `right` on null-safe keys; `None` when a column's type has no default
/// value to stand in for NULL.
fn as_join(s: &SetOperation) -> Result<Option<LogicalPlan>> {
    let columns = |schema: &QSchema| -> Vec<Expr> {
        schema
            .fields()
            .iter()
            .map(|f| Expr::Column(f.column()))
            .collect()
    };
    let (left_schema, right_schema) = (s.left.schema(), s.right.schema());
    let mut on = vec![];
    for ((l, r), field) in columns(left_schema)
        .into_iter()
        .zip(columns(right_schema))
        .zip(left_schema.fields().iter().zip(right_schema.fields()))
    {
        let nullable = field.0.field.is_nullable() || field.1.field.is_nullable();
        if !nullable {
            on.push((l, r));
            continue;
        }
        let Ok(zero) = ScalarValue::new_default(field.0.field.data_type()) else {
            return Ok(None);
        };
        on.push((
            Expr::IsNull(Box::new(l.clone())),
            Expr::IsNull(Box::new(r.clone())),
        ));
        on.push((null_as(l, &zero), null_as(r, &zero)));
    }
    let distinct = Aggregate::try_new(Arc::clone(&s.left), columns(left_schema), vec![])?;
    let join_type = match s.op {
        SetOperator::Intersect => JoinType::LeftSemi,
        SetOperator::Except => JoinType::LeftAnti,
    };
    let join = Join::try_new(
        Arc::new(LogicalPlan::Aggregate(distinct)),
        Arc::clone(&s.right),
        join_type,
        on,
        None,
        false,
    )?;
    Ok(Some(LogicalPlan::Join(join)))
}

/// `column`, with NULL replaced by `zero`.
fn null_as(column: Expr, zero: &ScalarValue) -> Expr {
    Expr::Case {
        operand: None,
        when_then: vec![(
            Expr::IsNull(Box::new(column.clone())),
            Expr::Literal(zero.clone()),
        )],
        else_expr: Some(Box::new(column)),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::{rewritten, scan_as};

    fn set_operation(op: SetOperator, all: bool) -> LogicalPlan {
        let (left, right) = (scan_as("t"), scan_as("u"));
        LogicalPlan::SetOperation(SetOperation::try_new(left, right, op, all).unwrap())
    }

    #[test]
    fn except_becomes_an_anti_join_of_the_distinct_left_rows_on_null_safe_keys() {
        let plan = rewritten(
            &SetOperationsToJoins,
            &set_operation(SetOperator::Except, false),
        );
        insta::assert_snapshot!(plan.display_indent());
    }

    #[test]
    fn intersect_becomes_a_semi_join() {
        let plan = rewritten(
            &SetOperationsToJoins,
            &set_operation(SetOperator::Intersect, false),
        );
        assert!(matches!(&plan, LogicalPlan::Join(j) if j.join_type == JoinType::LeftSemi));
    }

    #[test]
    fn the_all_variants_keep_the_set_operator() {
        let plan = rewritten(
            &SetOperationsToJoins,
            &set_operation(SetOperator::Except, true),
        );
        assert!(matches!(plan, LogicalPlan::SetOperation(_)));
    }
}

//! Outer joins that a condition above them turns into inner joins.
//!
//! `a LEFT JOIN b ON .. WHERE b.x > 0` keeps no row whose `b` columns were
//! padded with NULLs, because `NULL > 0` is not true: the join is an inner
//! join, which the join-order rule may then reorder and whose smaller side
//! may be built. A condition *rejects NULLs* of a side when it is NULL or
//! false whenever every column of that side is NULL; for a full join,
//! rejecting the right side's NULLs drops the left input's unmatched rows
//! and leaves a right join (and the other way round).
//!
//! Conditions come from filters and from the conditions of the joins they
//! pass through: a filter applies to both inputs of an inner join and to the
//! preserved input of an outer, semi or anti join; the condition of a join
//! applies to the input whose rows only count when they match (the right
//! input of a left join, both inputs of an inner join). Anything else
//! (projections, aggregates, NULL-aware anti joins) starts afresh.

use std::sync::Arc;

use quiver_expr::expr::split_conjunction;
use quiver_expr::logical_plan::{Join, JoinType};
use quiver_expr::{Expr, LogicalPlan, Operator, QSchema, Result};

use crate::{map_inputs, OptimizerRule, Transformed};

/// Turns outer joins into inner (or one-sided) joins where conditions above
/// them reject the NULL rows they would add.
pub struct OuterToInner;

impl OptimizerRule for OuterToInner {
    fn name(&self) -> &'static str {
        "outer_to_inner"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        let rewritten = rewrite(&plan, &[])?;
        Ok(Transformed::compared(&plan, rewritten))
    }
}

/// `plan` with its outer joins converted, given the conditions that hold on
/// every row of its output that reaches the result.
fn rewrite(plan: &LogicalPlan, conditions: &[Expr]) -> Result<LogicalPlan> {
    match plan {
        LogicalPlan::Filter(f) => {
            let mut below = conditions.to_vec();
            below.extend(split_conjunction(&f.predicate).into_iter().cloned());
            let input = rewrite(&f.input, &below)?;
            plan.with_new_inputs(vec![Arc::new(input)])
        }
        LogicalPlan::Join(j) => rewrite_join(j, conditions),
        _ => Ok(map_inputs(plan, |i| rewrite(i, &[]).map(Transformed::yes))?.data),
    }
}

fn rewrite_join(j: &Join, conditions: &[Expr]) -> Result<LogicalPlan> {
    let rejects = |schema: &QSchema| conditions.iter().any(|c| rejects_nulls(c, schema));
    let join_type = match j.join_type {
        JoinType::Left if rejects(j.right.schema()) => JoinType::Inner,
        JoinType::Right if rejects(j.left.schema()) => JoinType::Inner,
        JoinType::Full => match (rejects(j.left.schema()), rejects(j.right.schema())) {
            (true, true) => JoinType::Inner,
            // Rows padded on the left are the right input's outer rows.
            (true, false) => JoinType::Left,
            (false, true) => JoinType::Right,
            (false, false) => JoinType::Full,
        },
        other => other,
    };
    let own: Vec<Expr> =
        j.on.iter()
            .map(|(l, r)| l.clone().binary(Operator::Eq, r.clone()))
            .chain(
                j.filter
                    .iter()
                    .flat_map(|f| split_conjunction(f).into_iter().cloned()),
            )
            .collect();
    let above_and_own = [conditions, own.as_slice()].concat();
    let (left_conditions, right_conditions): (&[Expr], &[Expr]) = match join_type {
        JoinType::Inner => (&above_and_own, &above_and_own),
        JoinType::Left
        | JoinType::LeftSemi
        | JoinType::LeftAnti
        | JoinType::LeftMark
        | JoinType::LeftSingle => (conditions, if j.null_aware { &[] } else { &own }),
        JoinType::Right | JoinType::RightSemi | JoinType::RightAnti => {
            (if j.null_aware { &[] } else { &own }, conditions)
        }
        JoinType::Full => (&[], &[]),
    };
    let left = rewrite(&j.left, left_conditions)?;
    let right = rewrite(&j.right, right_conditions)?;
    let mut join = Join::try_new(
        Arc::new(left),
        Arc::new(right),
        join_type,
        j.on.clone(),
        j.filter.clone(),
        j.null_aware,
    )?;
    join.subquery = j.subquery.clone();
    Ok(LogicalPlan::Join(join))
}

/// Whether `condition` is NULL or false on every row whose columns of
/// `side` are all NULL (and refers to at least one of them).
fn rejects_nulls(condition: &Expr, side: &QSchema) -> bool {
    match condition {
        Expr::Binary(l, Operator::And, r) => rejects_nulls(l, side) || rejects_nulls(r, side),
        Expr::Binary(l, Operator::Or, r) => rejects_nulls(l, side) && rejects_nulls(r, side),
        Expr::IsNotNull(e) => null_when_side_null(e, side),
        Expr::Not(e) => match e.as_ref() {
            Expr::IsNull(inner) => null_when_side_null(inner, side),
            _ => null_when_side_null(condition, side),
        },
        other => null_when_side_null(other, side),
    }
}

/// Whether `e` is certainly NULL when every column of `side` is NULL:
/// a column of `side`, or an operator that is NULL when an input is NULL
/// applied to such an expression.
fn null_when_side_null(e: &Expr, side: &QSchema) -> bool {
    match e {
        Expr::Column(c) => matches!(side.find(c), Ok(Some(_))),
        Expr::Alias(e, _) | Expr::Negative(e) | Expr::Not(e) | Expr::Cast(e, _) => {
            null_when_side_null(e, side)
        }
        Expr::Binary(l, op, r) if op.propagates_null() => {
            null_when_side_null(l, side) || null_when_side_null(r, side)
        }
        Expr::Like { expr, pattern, .. } => {
            null_when_side_null(expr, side) || null_when_side_null(pattern, side)
        }
        Expr::InList { expr, .. } => null_when_side_null(expr, side),
        _ => false,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::ScalarValue;

    fn join(kind: JoinType, condition: Option<Expr>) -> Arc<LogicalPlan> {
        let on = vec![(qcol("a", "a"), qcol("b", "a"))];
        Arc::new(LogicalPlan::Join(
            Join::try_new(scan_as("a"), scan_as("b"), kind, on, condition, false).unwrap(),
        ))
    }

    fn converted(plan: Arc<LogicalPlan>) -> String {
        rewritten_text(&OuterToInner, plan)
    }

    /// The join types of `plan`'s joins, top down.
    fn join_types(plan: &str) -> Vec<&str> {
        plan.lines()
            .filter_map(|l| l.trim_start().strip_prefix("Join: "))
            .map(|rest| rest.split(' ').next().unwrap_or(rest))
            .collect()
    }

    fn first_join_line(plan: &str) -> &str {
        join_types(plan)[0]
    }

    #[test]
    fn a_comparison_on_the_padded_side_makes_a_left_join_inner() {
        let before = filter(gt(qcol("b", "b"), lit(0)), join(JoinType::Left, None));
        assert!(first_join_line(&before.display_indent()) == "Left");
        let after = converted(before);
        assert!(first_join_line(&after) == "Inner", "{after}");
        assert!(after.starts_with("Filter: (b.b > 0)"), "{after}");
    }

    #[test]
    fn conditions_on_the_preserved_side_or_that_accept_nulls_keep_the_outer_join() {
        let keeps = [
            gt(qcol("a", "b"), lit(0)),
            Expr::IsNull(Box::new(qcol("b", "b"))),
            gt(qcol("b", "b"), lit(0)).or(gt(qcol("a", "b"), lit(0))),
        ];
        for condition in keeps {
            let after = converted(filter(condition.clone(), join(JoinType::Left, None)));
            assert!(first_join_line(&after) == "Left", "{condition}: {after}");
        }
    }

    #[test]
    fn is_not_null_and_disjunctions_that_all_reject_convert() {
        let rejecting = [
            Expr::IsNotNull(Box::new(qcol("b", "c"))),
            gt(qcol("b", "b"), lit(0)).or(eq(qcol("b", "c"), lit(1))),
            eq(
                qcol("b", "b").binary(Operator::Plus, qcol("a", "b")),
                lit(3),
            ),
            Expr::InList {
                expr: Box::new(qcol("b", "c")),
                list: vec![lit(1), lit(2)],
                negated: true,
            },
        ];
        for condition in rejecting {
            let after = converted(filter(condition.clone(), join(JoinType::Left, None)));
            assert!(first_join_line(&after) == "Inner", "{condition}: {after}");
        }
    }

    #[test]
    fn a_full_join_loses_the_outer_rows_of_each_rejected_side() {
        let right_rejected = converted(filter(
            gt(qcol("b", "b"), lit(0)),
            join(JoinType::Full, None),
        ));
        assert!(
            first_join_line(&right_rejected) == "Right",
            "{right_rejected}"
        );
        let left_rejected = converted(filter(
            gt(qcol("a", "b"), lit(0)),
            join(JoinType::Full, None),
        ));
        assert!(first_join_line(&left_rejected) == "Left", "{left_rejected}");
        let both = converted(filter(
            gt(qcol("a", "b"), qcol("b", "b")),
            join(JoinType::Full, None),
        ));
        assert!(first_join_line(&both) == "Inner", "{both}");
    }

    #[test]
    fn an_inner_join_condition_converts_a_left_join_below_it() {
        // (a LEFT JOIN b) JOIN c ON b.c = c.c: rows with b padded never match c.
        let inner = Join::try_new(
            join(JoinType::Left, None),
            scan_as("c"),
            JoinType::Inner,
            vec![(qcol("b", "c"), qcol("c", "c"))],
            None,
            false,
        )
        .unwrap();
        let after = converted(Arc::new(LogicalPlan::Join(inner)));
        assert_eq!(join_types(&after), ["Inner", "Inner"], "{after}");
    }

    #[test]
    fn a_projection_stops_the_conditions() {
        let projected = project(vec![qcol("b", "b").alias("x")], join(JoinType::Left, None));
        let plan = filter(
            gt(
                Expr::Column(quiver_expr::Column::new(None::<&str>, "x")),
                lit(0),
            ),
            projected,
        );
        let after = converted(plan);
        assert!(first_join_line(&after) == "Left", "{after}");
    }

    #[test]
    fn null_aware_anti_joins_pass_nothing_to_their_right_side() {
        let right = filter(
            Expr::Literal(ScalarValue::Boolean(Some(true))),
            join(JoinType::Left, None),
        );
        let anti = Join::try_new(
            scan_as("c"),
            right,
            JoinType::LeftAnti,
            vec![(qcol("c", "a"), qcol("b", "b"))],
            None,
            true,
        )
        .unwrap();
        let after = converted(Arc::new(LogicalPlan::Join(anti)));
        assert_eq!(join_types(&after), ["LeftAnti", "Left"], "{after}");
    }
}

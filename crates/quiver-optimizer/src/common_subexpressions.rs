//! A subexpression that several aggregate arguments share is computed once.
//! TPC-H Q1 sums `l_extendedprice * (1 - l_discount)` and
//! `l_extendedprice * (1 - l_discount) * (1 + l_tax)`: the product is
//! computed in a projection below the aggregate, as a column `__cse_N`, and
//! both arguments read it. A projection above restores the aggregate's
//! output names, so nothing above sees a difference.
//!
//! Only subexpressions that are always evaluated are shared: nothing inside
//! a CASE is taken out (computing `y / x` for rows a `WHEN x <> 0` skips
//! would raise errors the query does not have). Columns and constants are
//! never worth sharing.

use std::collections::HashMap;
use std::sync::Arc;

use quiver_expr::logical_plan::{Aggregate, Projection};
use quiver_expr::{Column, Expr, LogicalPlan, Result};

use crate::{map_inputs, with_names_of, OptimizerRule};

/// Computes subexpressions shared by aggregate arguments once, below the
/// aggregate.
pub struct CommonSubexpressions;

impl OptimizerRule for CommonSubexpressions {
    fn name(&self) -> &str {
        "common_subexpressions"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<LogicalPlan> {
        rewrite(&plan)
    }
}

/// The prefix of the columns that hold shared subexpressions.
const CSE_PREFIX: &str = "__cse_";

fn rewrite(plan: &LogicalPlan) -> Result<LogicalPlan> {
    match map_inputs(plan, rewrite)? {
        LogicalPlan::Aggregate(a) => Ok(shared_below(&a)?.unwrap_or(LogicalPlan::Aggregate(a))),
        other => Ok(other),
    }
}

/// `a` with the subexpressions its arguments share computed below it, or
/// `None` when they share none.
fn shared_below(a: &Aggregate) -> Result<Option<LogicalPlan>> {
    let mut counts: HashMap<&Expr, usize> = HashMap::new();
    for aggregate in &a.aggr_exprs {
        if let Expr::Aggregate(call) = aggregate {
            for arg in &call.args {
                count_subexpressions(arg, &mut counts);
            }
        }
    }
    // The largest shared ones, in first-seen order so that column numbers
    // are stable.
    let mut shared: Vec<Expr> = vec![];
    for aggregate in &a.aggr_exprs {
        pick_largest_shared(aggregate, &counts, &mut shared);
    }
    if shared.is_empty() {
        return Ok(None);
    }
    let names: Vec<String> = (1..=shared.len())
        .map(|i| format!("{CSE_PREFIX}{i}"))
        .collect();
    let input_schema = a.input.schema();
    let mut below: Vec<Expr> = input_schema
        .fields()
        .iter()
        .map(|f| Expr::Column(f.column()))
        .collect();
    below.extend(shared.iter().zip(&names).map(|(e, n)| e.clone().alias(n)));
    let projected = Arc::new(LogicalPlan::Projection(Projection::try_new(
        below,
        Arc::clone(&a.input),
    )?));
    let aggr_exprs = a
        .aggr_exprs
        .iter()
        .map(|e| {
            e.clone().rewrite(&mut |sub| {
                Ok(shared
                    .iter()
                    .position(|s| s == sub)
                    .map(|i| Expr::Column(Column::new(None::<&str>, names[i].clone()))))
            })
        })
        .collect::<Result<Vec<_>>>()?;
    let aggregate = Aggregate::try_new(projected, a.group_exprs.clone(), aggr_exprs)?;
    with_names_of(LogicalPlan::Aggregate(aggregate), &a.schema).map(Some)
}

/// Adds to `shared` the outermost subexpressions of `e` used more than once
/// (their own parts are not taken apart further).
fn pick_largest_shared(e: &Expr, counts: &HashMap<&Expr, usize>, shared: &mut Vec<Expr>) {
    if counts.get(e).is_some_and(|&n| n > 1) {
        if !shared.contains(e) {
            shared.push(e.clone());
        }
        return;
    }
    for child in e.children() {
        pick_largest_shared(child, counts, shared);
    }
}

/// Counts each subexpression of `e` worth sharing: not a column or a
/// constant, not inside a CASE. A subexpression is counted once per place it
/// appears.
fn count_subexpressions<'a>(e: &'a Expr, counts: &mut HashMap<&'a Expr, usize>) {
    match e {
        Expr::Column(_) | Expr::Literal(_) | Expr::Case { .. } => {}
        Expr::Alias(inner, _) => count_subexpressions(inner, counts),
        _ => {
            *counts.entry(e).or_default() += 1;
            for child in e.children() {
                count_subexpressions(child, counts);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::Operator;

    #[test]
    fn a_product_two_sums_share_is_computed_once_below_them() {
        let product = col("a").binary(Operator::Multiply, col("b"));
        let taxed = product.clone().binary(Operator::Multiply, col("c"));
        let plan = Aggregate::try_new(scan(), vec![col("s")], vec![sum_of(product), sum_of(taxed)])
            .unwrap();
        let out = CommonSubexpressions
            .rewrite(LogicalPlan::Aggregate(plan.clone()))
            .unwrap();
        assert_eq!(out.schema(), plan.schema.as_ref());
        let text = out.display_indent();
        assert!(text.contains("(t.a * t.b) AS __cse_1"), "{text}");
        assert!(!text.contains("__cse_2"), "{text}");
        assert!(text.contains("sum(__cse_1)"), "{text}");
        assert!(text.contains("sum((__cse_1 * t.c))"), "{text}");
        // Nothing left to share: a second run changes nothing.
        let again = CommonSubexpressions.rewrite(out.clone()).unwrap();
        assert_eq!(again.display_indent(), text);
    }

    #[test]
    fn subexpressions_inside_case_are_not_shared() {
        let ratio = col("a").binary(Operator::Divide, col("b"));
        let guarded = Expr::Case {
            operand: None,
            when_then: vec![(gt(col("b"), lit(0)), ratio.clone())],
            else_expr: None,
        };
        let plan = Aggregate::try_new(
            scan(),
            vec![],
            vec![sum_of(guarded.clone()), sum_of(guarded)],
        )
        .unwrap();
        let out = CommonSubexpressions
            .rewrite(LogicalPlan::Aggregate(plan))
            .unwrap();
        assert!(!out.display_indent().contains(CSE_PREFIX));
    }
}

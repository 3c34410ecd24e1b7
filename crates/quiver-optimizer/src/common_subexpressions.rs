//! A subexpression that a projection's columns or an aggregate's arguments
//! share is computed once. TPC-H Q1 sums `l_extendedprice * (1 -
//! l_discount)` and `l_extendedprice * (1 - l_discount) * (1 + l_tax)`: the
//! product is computed in a projection below the aggregate, as a column
//! `__cse_N`, and both arguments read it. `SELECT a * b AS x, a * b + 1 AS y`
//! likewise becomes a projection of `a * b` and one above that reads it
//! twice. The outer node keeps its output names, so nothing above sees a
//! difference.
//!
//! Only subexpressions that are always evaluated are shared: nothing inside
//! a CASE is taken out (computing `y / x` for rows a `WHEN x <> 0` skips
//! would raise errors the query does not have). Columns and constants are
//! never worth sharing.

use std::collections::HashMap;
use std::sync::Arc;

use quiver_expr::logical_plan::{Aggregate, Projection};
use quiver_expr::{Column, Expr, LogicalPlan, Result};

use crate::{map_inputs, with_names_of, OptimizerRule, Transformed};

/// Computes subexpressions shared by a projection's columns or an
/// aggregate's arguments once, below them.
pub struct CommonSubexpressions;

impl OptimizerRule for CommonSubexpressions {
    fn name(&self) -> &'static str {
        "common_subexpressions"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite(&plan)
    }
}

/// The prefix of the columns that hold shared subexpressions.
const CSE_PREFIX: &str = "__cse_";

fn rewrite(plan: &LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, rewrite)?.and_then(|plan| {
        let shared = match &plan {
            LogicalPlan::Aggregate(a) => aggregate_shared_below(a)?,
            LogicalPlan::Projection(p) => projection_shared_below(p)?,
            _ => None,
        };
        Ok(match shared {
            Some(rewritten) => Transformed::yes(rewritten),
            None => Transformed::no(plan),
        })
    })
}

/// `a` with the subexpressions its arguments share computed below it, or
/// `None` when they share none.
fn aggregate_shared_below(a: &Aggregate) -> Result<Option<LogicalPlan>> {
    let arguments: Vec<&Expr> = a
        .aggr_exprs
        .iter()
        .filter_map(|e| match e {
            Expr::Aggregate(call) => Some(call.args.iter()),
            _ => None,
        })
        .flatten()
        .collect();
    let Some(below) = SharedBelow::find(&arguments, &a.input)? else {
        return Ok(None);
    };
    let aggr_exprs = a
        .aggr_exprs
        .iter()
        .map(|e| below.reading_shared(e))
        .collect::<Result<Vec<_>>>()?;
    let aggregate = Aggregate::try_new(below.plan, a.group_exprs.clone(), aggr_exprs)?;
    with_names_of(LogicalPlan::Aggregate(aggregate), &a.schema).map(Some)
}

/// `p` reading the subexpressions its columns share from a projection below
/// it, or `None` when they share none.
fn projection_shared_below(p: &Projection) -> Result<Option<LogicalPlan>> {
    let columns: Vec<&Expr> = p.exprs.iter().collect();
    let Some(below) = SharedBelow::find(&columns, &p.input)? else {
        return Ok(None);
    };
    let exprs = p
        .exprs
        .iter()
        .zip(p.schema.fields())
        .map(|(e, field)| {
            let rewritten = below.reading_shared(e)?;
            let keeps_its_name = rewritten == *e || matches!(rewritten, Expr::Alias(..));
            Ok(if keeps_its_name {
                rewritten
            } else {
                rewritten.alias(field.field.name())
            })
        })
        .collect::<Result<Vec<_>>>()?;
    Ok(Some(LogicalPlan::Projection(Projection::try_new(
        exprs, below.plan,
    )?)))
}

/// The shared subexpressions of some expressions, computed as named columns
/// by a projection over their input.
struct SharedBelow {
    shared: Vec<Expr>,
    names: Vec<String>,
    /// The input's columns, then the shared subexpressions.
    plan: Arc<LogicalPlan>,
}

impl SharedBelow {
    /// The subexpressions of `exprs` worth computing once, over `input`;
    /// `None` when they share none.
    fn find(exprs: &[&Expr], input: &Arc<LogicalPlan>) -> Result<Option<Self>> {
        let mut counts: HashMap<&Expr, usize> = HashMap::new();
        for e in exprs {
            count_subexpressions(e, &mut counts);
        }
        // The largest shared ones, in first-seen order so that column
        // numbers are stable.
        let mut shared: Vec<Expr> = vec![];
        for e in exprs {
            pick_largest_shared(e, &counts, &mut shared);
        }
        if shared.is_empty() {
            return Ok(None);
        }
        let input_schema = input.schema();
        let taken = |name: &str| input_schema.fields().iter().any(|f| f.field.name() == name);
        let names: Vec<String> = (1..)
            .map(|i| format!("{CSE_PREFIX}{i}"))
            .filter(|name| !taken(name))
            .take(shared.len())
            .collect();
        let mut columns: Vec<Expr> = input_schema
            .fields()
            .iter()
            .map(|f| Expr::Column(f.column()))
            .collect();
        columns.extend(shared.iter().zip(&names).map(|(e, n)| e.clone().alias(n)));
        let plan = Arc::new(LogicalPlan::Projection(Projection::try_new(
            columns,
            Arc::clone(input),
        )?));
        Ok(Some(Self {
            shared,
            names,
            plan,
        }))
    }

    /// `e` with each shared subexpression replaced by its column.
    fn reading_shared(&self, e: &Expr) -> Result<Expr> {
        e.clone().rewrite(&mut |sub| {
            Ok(self
                .shared
                .iter()
                .position(|s| s == sub)
                .map(|i| Expr::Column(Column::new(None::<&str>, self.names[i].clone()))))
        })
    }
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
    for child in always_evaluated_children(e) {
        pick_largest_shared(child, counts, shared);
    }
}

/// Counts each subexpression of `e` worth sharing: not a column or a
/// constant, and always evaluated. A subexpression is counted once per
/// place it appears.
fn count_subexpressions<'a>(e: &'a Expr, counts: &mut HashMap<&'a Expr, usize>) {
    match e {
        Expr::Column(_) | Expr::Literal(_) => {}
        Expr::Alias(inner, _) => count_subexpressions(inner, counts),
        _ => {
            // Two calls of a volatile function are two values.
            if !e.is_volatile() {
                *counts.entry(e).or_default() += 1;
            }
            for child in always_evaluated_children(e) {
                count_subexpressions(child, counts);
            }
        }
    }
}

/// The parts of `e` that are evaluated for every row `e` is: none of a
/// CASE's (a branch runs only for the rows that reach it), all of anything
/// else's.
fn always_evaluated_children(e: &Expr) -> Vec<&Expr> {
    match e {
        Expr::Case { .. } => vec![],
        _ => e.children(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::Operator;

    /// `plan` after the rule, as text; checks that its columns did not
    /// change and that a second run finds nothing left to share.
    fn shared(plan: LogicalPlan) -> String {
        let out = rewritten(&CommonSubexpressions, &plan);
        assert_eq!(out.schema(), plan.schema());
        let text = out.display_indent();
        let again = rewritten(&CommonSubexpressions, &out);
        assert_eq!(again.display_indent(), text);
        text
    }

    #[test]
    fn a_product_two_sums_share_is_computed_once_below_them() {
        let product = col("a").binary(Operator::Multiply, col("b"));
        let taxed = product.clone().binary(Operator::Multiply, col("c"));
        let plan = Aggregate::try_new(scan(), vec![col("s")], vec![sum_of(product), sum_of(taxed)])
            .unwrap();
        insta::assert_snapshot!(shared(LogicalPlan::Aggregate(plan)));
    }

    #[test]
    fn subexpressions_inside_case_are_not_shared() {
        let ratio = || col("a").binary(Operator::Divide, col("b"));
        let guarded = |limit: i64| Expr::Case {
            operand: None,
            when_then: vec![(gt(col("b"), lit(0)), ratio())],
            else_expr: Some(Box::new(lit(limit))),
        };
        let plan = Aggregate::try_new(scan(), vec![], vec![sum_of(guarded(1)), sum_of(guarded(2))])
            .unwrap();
        let plan = LogicalPlan::Aggregate(plan);
        assert_eq!(rewritten(&CommonSubexpressions, &plan), plan);
    }

    #[test]
    fn a_product_two_columns_share_is_computed_once_and_names_are_kept() {
        let product = || col("a").binary(Operator::Multiply, col("b"));
        let plan = Projection::try_new(
            vec![
                col("s"),
                product(),
                product().binary(Operator::Plus, lit(1)).alias("next"),
                product().alias("p"),
            ],
            scan(),
        )
        .unwrap();
        insta::assert_snapshot!(shared(LogicalPlan::Projection(plan)));
    }

    #[test]
    fn shared_columns_are_named_apart_from_the_inputs() {
        let product = || col("a").binary(Operator::Multiply, col("b"));
        let taken =
            Projection::try_new(vec![col("a"), col("b"), col("c").alias("__cse_1")], scan())
                .unwrap();
        let plan = Projection::try_new(
            vec![product(), product().alias("p")],
            Arc::new(LogicalPlan::Projection(taken)),
        )
        .unwrap();
        insta::assert_snapshot!(shared(LogicalPlan::Projection(plan)));
    }
}

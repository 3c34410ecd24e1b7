//! Aggregates whose calls are all DISTINCT over one and the same argument
//! become two plain aggregations: first group by the keys and the argument
//! (which makes the argument's values distinct within each group), then
//! aggregate that without DISTINCT. `count(DISTINCT x) ... GROUP BY k`
//! becomes `count(x)` over `GROUP BY k, x`.
//!
//! A DISTINCT aggregate runs in one phase and remembers every (group, value)
//! pair it has seen, row by row; plain aggregations run in two phases across
//! partitions with vectorized group tables, and can spill. TPC-H Q16 counts
//! distinct suppliers per part group this way.
//!
//! A DISTINCT aggregate is by definition the aggregate of the distinct
//! values, so every function whose result does not depend on the order of
//! its input is rewritten (not `string_agg`, whose order the first
//! grouping would lose), and only when the argument is not itself a
//! grouping key.

use std::sync::Arc;

use quiver_expr::logical_plan::Aggregate;
use quiver_expr::{AggregateCall, Expr, LogicalPlan, Result};

use crate::{map_inputs, with_names_of, OptimizerRule, Transformed};

/// Rewrites aggregates that are all DISTINCT over one argument into two
/// plain aggregations.
pub struct DistinctAggregates;

impl OptimizerRule for DistinctAggregates {
    fn name(&self) -> &'static str {
        "distinct_aggregates"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite(&plan)
    }
}

fn rewrite(plan: &LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, rewrite)?.and_then(|plan| match plan {
        LogicalPlan::Aggregate(a) => match distinct_argument(&a) {
            Some(argument) => two_aggregations(&a, argument).map(Transformed::yes),
            None => Ok(Transformed::no(LogicalPlan::Aggregate(a))),
        },
        other => Ok(Transformed::no(other)),
    })
}

/// The one argument every call of `a` takes DISTINCT, if `a` qualifies.
fn distinct_argument(a: &Aggregate) -> Option<Expr> {
    let mut argument: Option<&Expr> = None;
    for aggregate in &a.aggr_exprs {
        let Expr::Aggregate(call) = aggregate else {
            return None;
        };
        let [arg] = call.args.as_slice() else {
            return None;
        };
        if !call.distinct
            || call.func.0.depends_on_input_order()
            || !call.order_by.is_empty()
            || call.filter.is_some()
        {
            return None;
        }
        if argument.is_some_and(|seen| seen != arg) {
            return None;
        }
        argument = Some(arg);
    }
    argument.filter(|arg| !a.group_exprs.contains(arg)).cloned()
}

/// `a` as a grouping by its keys and `argument`, aggregated again by its
/// keys without DISTINCT.
fn two_aggregations(a: &Aggregate, argument: Expr) -> Result<LogicalPlan> {
    let mut inner_keys = a.group_exprs.clone();
    inner_keys.push(argument);
    let inner = Aggregate::try_new(Arc::clone(&a.input), inner_keys, vec![])?;
    let columns: Vec<Expr> = inner
        .schema
        .fields()
        .iter()
        .map(|f| Expr::Column(f.column()))
        .collect();
    let (keys, distinct_values) = columns.split_at(a.group_exprs.len());
    let calls = a
        .aggr_exprs
        .iter()
        .filter_map(|e| match e {
            Expr::Aggregate(call) => Some(Expr::Aggregate(AggregateCall {
                func: call.func.clone(),
                args: distinct_values.to_vec(),
                distinct: false,
                order_by: vec![],
                filter: None,
            })),
            _ => None,
        })
        .collect();
    let outer = Aggregate::try_new(
        Arc::new(LogicalPlan::Aggregate(inner)),
        keys.to_vec(),
        calls,
    )?;
    with_names_of(LogicalPlan::Aggregate(outer), &a.schema)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn aggregate(keys: Vec<Expr>, calls: Vec<Expr>) -> Arc<LogicalPlan> {
        Arc::new(LogicalPlan::Aggregate(
            Aggregate::try_new(scan(), keys, calls).unwrap(),
        ))
    }

    #[test]
    fn a_distinct_aggregate_becomes_a_grouping_then_a_plain_aggregate() {
        let plan = aggregate(vec![col("a")], vec![distinct(sum_of(col("b")))]);
        assert_eq!(
            rewritten_text(&DistinctAggregates, plan),
            "Projection: t.a, sum(t.b) AS sum(DISTINCT t.b)\n\
             \x20 Aggregate: groupBy=[t.a], aggr=[sum(t.b)]\n\
             \x20   Aggregate: groupBy=[t.a, t.b], aggr=[]\n\
             \x20     TableScan: t projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn mixed_or_differing_or_key_arguments_stay() {
        let cases = [
            vec![distinct(sum_of(col("b"))), sum_of(col("b"))],
            vec![distinct(sum_of(col("b"))), distinct(sum_of(col("c")))],
        ];
        for calls in cases {
            let plan = aggregate(vec![col("a")], calls);
            let text = rewritten_text(&DistinctAggregates, plan);
            assert_eq!(text.matches("Aggregate:").count(), 1, "{text}");
        }
        let on_key = aggregate(vec![col("a")], vec![distinct(sum_of(col("a")))]);
        let text = rewritten_text(&DistinctAggregates, on_key);
        assert_eq!(text.matches("Aggregate:").count(), 1, "{text}");
    }
}

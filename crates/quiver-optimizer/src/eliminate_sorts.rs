//! An ORDER BY whose order nothing above can observe is dropped: a sort
//! (without a fetch) under a join, a union, an INTERSECT/EXCEPT, another
//! sort, or an aggregate or window operator whose functions ignore row order, possibly through
//! filters, projections and aliases, which keep rows in order. `FROM
//! (SELECT … ORDER BY …)` and `IN (SELECT … ORDER BY …)` then cost nothing.
//! A sort that feeds a LIMIT, the query result, a write (COPY, CREATE TABLE
//! AS, INSERT) or an order-sensitive aggregate (`string_agg`) stays, as
//! does every top-k (a sort with a fetch chooses which rows remain).

use quiver_expr::{Expr, LogicalPlan, Result, WindowKind};

use crate::{map_inputs, OptimizerRule, Transformed};

/// Removes sorts whose order is not observed.
pub struct EliminateSorts;

impl OptimizerRule for EliminateSorts {
    fn name(&self) -> &'static str {
        "eliminate_sorts"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite(&plan, true)
    }
}

/// `plan` without the sorts whose order is unobserved; `order_matters`
/// says whether what consumes `plan` observes the order of its rows.
fn rewrite(plan: &LogicalPlan, order_matters: bool) -> Result<Transformed<LogicalPlan>> {
    if let LogicalPlan::Sort(s) = plan {
        if s.fetch.is_none() && !order_matters {
            return Ok(Transformed::yes(rewrite(&s.input, false)?.data));
        }
    }
    let inputs_order_matters = match plan {
        LogicalPlan::Filter(_) | LogicalPlan::Projection(_) | LogicalPlan::SubqueryAlias(_) => {
            order_matters
        }
        LogicalPlan::Sort(_)
        | LogicalPlan::Join(_)
        | LogicalPlan::Union(_)
        | LogicalPlan::SetOperation(_) => false,
        LogicalPlan::Aggregate(a) => a.aggr_exprs.iter().any(depends_on_order),
        // A window operator sorts its input by its own keys.
        LogicalPlan::Window(w) => w.window_exprs.iter().any(depends_on_order),
        _ => true,
    };
    map_inputs(plan, |i| rewrite(i, inputs_order_matters))
}

fn depends_on_order(e: &Expr) -> bool {
    e.any(&mut |sub| match sub {
        Expr::Aggregate(a) => a.func.0.depends_on_input_order(),
        Expr::Window(w) => match &w.kind {
            WindowKind::Aggregate(f) => f.0.depends_on_input_order(),
            WindowKind::Function(_) => false,
        },
        _ => false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::logical_plan::{Join, JoinType};
    use std::sync::Arc;

    fn eliminated(plan: Arc<LogicalPlan>) -> String {
        rewritten_text(&EliminateSorts, plan)
    }

    #[test]
    fn sorts_below_joins_aggregates_and_sorts_are_dropped() {
        let sorted = project(vec![col("a")], sort(col("b"), scan()));
        let grouped = aggregate_by(col("a"), sorted);
        insta::assert_snapshot!("sort_below_aggregate", eliminated(grouped));

        let joined = Arc::new(LogicalPlan::Join(
            Join::try_new(
                sort(col("a"), scan()),
                scan_as("u"),
                JoinType::Inner,
                vec![(col("a"), qcol("u", "a"))],
                None,
                false,
            )
            .unwrap(),
        ));
        let top = sort(col("b"), joined);
        insta::assert_snapshot!("sort_below_join", eliminated(top));
    }

    #[test]
    fn the_result_order_limits_and_top_k_keep_their_sorts() {
        let result = project(vec![col("a")], sort(col("b"), scan()));
        insta::assert_snapshot!("sort_of_the_result", eliminated(result));
        let limited = Arc::new(limit(0, 3, sort(col("b"), scan())));
        let top_k = eliminated(aggregate_by(col("a"), limited));
        insta::assert_snapshot!("sort_under_limit", top_k);
    }
}

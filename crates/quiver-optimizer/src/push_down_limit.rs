//! A LIMIT tells what is below it how many rows are needed: `ORDER BY ..
//! LIMIT k` becomes a sort that keeps only k rows (a top-k), and a LIMIT
//! over a bare table scan lets the scan stop after k rows. Both work
//! through projections and aliases, which keep rows one for one; anything
//! that may drop or add rows (a filter, a join, an aggregate) stops it.

use std::sync::Arc;

use quiver_expr::logical_plan::{Limit, Sort, TableScan};
use quiver_expr::{LogicalPlan, Result};

use crate::{map_inputs, OptimizerRule, Transformed};

/// Gives a Sort or a TableScan under a Limit the number of rows it needs.
pub struct PushDownLimit;

fn with_fetch(plan: &LogicalPlan, fetch: usize) -> Result<Option<LogicalPlan>> {
    Ok(match plan {
        LogicalPlan::Sort(s) => Some(LogicalPlan::Sort(Sort {
            exprs: s.exprs.clone(),
            input: Arc::clone(&s.input),
            fetch: Some(s.fetch.map_or(fetch, |f| f.min(fetch))),
        })),
        LogicalPlan::TableScan(s) => Some(LogicalPlan::TableScan(TableScan {
            fetch: Some(s.fetch.map_or(fetch, |f| f.min(fetch))),
            ..s.clone()
        })),
        LogicalPlan::Projection(_) | LogicalPlan::SubqueryAlias(_) => {
            match with_fetch(plan.inputs()[0], fetch)? {
                Some(sorted) => Some(plan.with_new_inputs(vec![Arc::new(sorted)])?),
                None => None,
            }
        }
        _ => None,
    })
}

fn rewrite(plan: &LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, rewrite)?.and_then(|plan| {
        if let LogicalPlan::Limit(Limit {
            skip,
            fetch: Some(fetch),
            input,
        }) = &plan
        {
            if let Some(limited) = with_fetch(input, skip + fetch)? {
                return Ok(Transformed::compared(
                    &plan,
                    LogicalPlan::Limit(Limit {
                        skip: *skip,
                        fetch: Some(*fetch),
                        input: Arc::new(limited),
                    }),
                ));
            }
        }
        Ok(Transformed::no(plan))
    })
}

impl OptimizerRule for PushDownLimit {
    fn name(&self) -> &'static str {
        "push_down_limit"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite(&plan)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    #[test]
    fn limit_gives_the_sort_its_fetch_through_a_projection() {
        let plan = limit(2, 3, project(vec![col("a")], sort(col("b"), scan())));
        assert_eq!(
            rewritten(&PushDownLimit, &plan).display_indent(),
            "Limit: skip=2, fetch=3\n  Projection: t.a\n    Sort: t.b ASC NULLS LAST fetch=5\n      TableScan: t projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn limit_gives_a_bare_scan_its_fetch() {
        let plan = limit(2, 3, project(vec![col("a")], scan()));
        assert_eq!(
            rewritten(&PushDownLimit, &plan).display_indent(),
            "Limit: skip=2, fetch=3\n  Projection: t.a\n    TableScan: t projection=[a, b, c, s] fetch=5\n"
        );
        let filtered = limit(0, 3, filter(gt(col("a"), lit(0)), scan()));
        let out = rewritten(&PushDownLimit, &filtered).display_indent();
        assert!(
            out.ends_with("projection=[a, b, c, s]\n"),
            "a filter keeps the scan whole: {out}"
        );
    }

    #[test]
    fn a_filter_between_limit_and_sort_blocks_the_rewrite() {
        let plan = limit(0, 3, filter(gt(col("a"), lit(0)), sort(col("b"), scan())));
        insta::assert_snapshot!(rewritten(&PushDownLimit, &plan).display_indent());
    }
}

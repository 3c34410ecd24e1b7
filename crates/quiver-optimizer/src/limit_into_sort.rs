//! `ORDER BY .. LIMIT k` becomes a sort that keeps only k rows (a top-k),
//! also through the projection that drops hidden sort columns.

use std::sync::Arc;

use quiver_expr::logical_plan::{Limit, Sort};
use quiver_expr::{LogicalPlan, Result};

use crate::OptimizerRule;

/// Gives a Sort under a Limit the number of rows it needs to keep.
pub struct LimitIntoSort;

fn with_fetch(plan: &LogicalPlan, fetch: usize) -> Result<Option<LogicalPlan>> {
    Ok(match plan {
        LogicalPlan::Sort(s) => Some(LogicalPlan::Sort(Sort {
            exprs: s.exprs.clone(),
            input: Arc::clone(&s.input),
            fetch: Some(s.fetch.map_or(fetch, |f| f.min(fetch))),
        })),
        LogicalPlan::Projection(p) => match with_fetch(&p.input, fetch)? {
            Some(sorted) => Some(plan.with_new_inputs(vec![Arc::new(sorted)])?),
            None => None,
        },
        _ => None,
    })
}

fn rewrite(plan: &LogicalPlan) -> Result<LogicalPlan> {
    let inputs = plan
        .inputs()
        .into_iter()
        .map(|i| rewrite(i).map(Arc::new))
        .collect::<Result<Vec<_>>>()?;
    let plan = if inputs.is_empty() {
        plan.clone()
    } else {
        plan.with_new_inputs(inputs)?
    };
    if let LogicalPlan::Limit(Limit {
        skip,
        fetch: Some(fetch),
        input,
    }) = &plan
    {
        if let Some(sorted) = with_fetch(input, skip + fetch)? {
            return Ok(LogicalPlan::Limit(Limit {
                skip: *skip,
                fetch: Some(*fetch),
                input: Arc::new(sorted),
            }));
        }
    }
    Ok(plan)
}

impl OptimizerRule for LimitIntoSort {
    fn name(&self) -> &str {
        "limit_into_sort"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<LogicalPlan> {
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
            LimitIntoSort.rewrite(plan).unwrap().display_indent(),
            "Limit: skip=2, fetch=3\n  Projection: t.a\n    Sort: t.b ASC NULLS LAST fetch=5\n      TableScan: t projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn a_filter_between_limit_and_sort_blocks_the_rewrite() {
        let plan = limit(0, 3, filter(gt(col("a"), lit(0)), sort(col("b"), scan())));
        let out = LimitIntoSort.rewrite(plan).unwrap().display_indent();
        assert!(!out.contains("fetch=3\n      "), "{out}");
        assert!(out.contains("Sort: t.b ASC NULLS LAST\n"), "{out}");
    }
}

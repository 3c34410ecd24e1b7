//! A grouping that cannot merge any rows is removed: one without aggregate
//! functions (a DISTINCT) whose input is already unique on some of its
//! grouping columns, as in `SELECT DISTINCT k, n FROM (SELECT k, count(*)
//! AS n FROM t GROUP BY k)` or a DISTINCT over a global aggregate's single
//! row. Each input row is then its own group, so the grouping becomes a
//! projection of its columns.
//!
//! An input is unique on the grouping columns of an aggregate (on no
//! columns at all when it has none: it yields one row), and stays unique on
//! them through filters, sorts, limits, aliases and projections that pass
//! them on.

use std::sync::Arc;

use quiver_expr::logical_plan::{Aggregate, Projection};
use quiver_expr::{Column, Expr, LogicalPlan, Result};

use crate::{map_inputs, OptimizerRule, Transformed};

/// Removes DISTINCTs and groupings over inputs already unique on them.
pub struct EliminateAggregates;

impl OptimizerRule for EliminateAggregates {
    fn name(&self) -> &'static str {
        "eliminate_aggregates"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite(&plan)
    }
}

fn rewrite(plan: &LogicalPlan) -> Result<Transformed<LogicalPlan>> {
    map_inputs(plan, rewrite)?.and_then(|plan| match plan {
        LogicalPlan::Aggregate(a) => Ok(match as_projection(&a)? {
            Some(projection) => Transformed::yes(projection),
            None => Transformed::no(LogicalPlan::Aggregate(a)),
        }),
        other => Ok(Transformed::no(other)),
    })
}

/// `a` as a projection of its grouping columns, when it has no aggregate
/// functions and its input is unique on some of those columns; `None`
/// otherwise, or when the projection would not produce exactly `a`'s
/// columns.
fn as_projection(a: &Aggregate) -> Result<Option<LogicalPlan>> {
    if !a.aggr_exprs.is_empty() {
        return Ok(None);
    }
    let Some(grouped_by) = a
        .group_exprs
        .iter()
        .map(|e| match e {
            Expr::Column(c) => Some(c),
            _ => None,
        })
        .collect::<Option<Vec<&Column>>>()
    else {
        return Ok(None);
    };
    let Some(unique) = unique_columns(&a.input) else {
        return Ok(None);
    };
    let position = |c: &Column| a.input.schema().find(c).ok().flatten();
    let covered = unique.iter().all(|u| {
        let u = position(u);
        u.is_some() && grouped_by.iter().any(|c| position(c) == u)
    });
    if !covered {
        return Ok(None);
    }
    let projection = Projection::try_new(a.group_exprs.clone(), Arc::clone(&a.input))?;
    Ok((projection.schema == a.schema).then_some(LogicalPlan::Projection(projection)))
}

/// Columns of `plan` on which its rows are unique (no two rows agree on
/// all of them; none at all for at most one row), when known.
fn unique_columns(plan: &LogicalPlan) -> Option<Vec<Column>> {
    match plan {
        LogicalPlan::Aggregate(a) => Some(
            a.schema.fields()[..a.group_exprs.len()]
                .iter()
                .map(|f| f.column())
                .collect(),
        ),
        LogicalPlan::Filter(f) => unique_columns(&f.input),
        LogicalPlan::Sort(s) => unique_columns(&s.input),
        LogicalPlan::Limit(l) => unique_columns(&l.input),
        LogicalPlan::SubqueryAlias(s) => {
            let input_schema = s.input.schema();
            unique_columns(&s.input)?
                .iter()
                .map(|c| {
                    let position = input_schema.find(c).ok()??;
                    Some(s.schema.field(position).column())
                })
                .collect()
        }
        LogicalPlan::Projection(p) => unique_columns(&p.input)?
            .iter()
            .map(|c| {
                let passed_on = p
                    .exprs
                    .iter()
                    .position(|e| matches!(e.unalias(), Expr::Column(input) if input == c))?;
                Some(p.schema.field(passed_on).column())
            })
            .collect(),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn distinct(input: Arc<LogicalPlan>, keys: Vec<Expr>) -> LogicalPlan {
        LogicalPlan::Aggregate(Aggregate::try_new(input, keys, vec![]).unwrap())
    }

    /// The plan after the rule, as text.
    fn eliminated(plan: LogicalPlan) -> String {
        rewritten(&EliminateAggregates, &plan).display_indent()
    }

    fn bare(name: &str) -> Expr {
        Expr::Column(Column::new(None::<&str>, name))
    }

    fn grouped(keys: &[&str]) -> Arc<LogicalPlan> {
        let keys = keys.iter().map(|c| col(c)).collect();
        Arc::new(LogicalPlan::Aggregate(
            Aggregate::try_new(scan(), keys, vec![sum_of(col("c"))]).unwrap(),
        ))
    }

    #[test]
    fn a_distinct_over_a_grouping_by_some_of_its_columns_is_a_projection() {
        let plan = distinct(grouped(&["a"]), vec![col("a"), bare("sum(t.c)")]);
        let out = rewritten(&EliminateAggregates, &plan);
        assert_eq!(out.schema(), plan.schema());
        let text = out.display_indent();
        assert!(text.starts_with("Projection: t.a, sum(t.c)"), "{text}");
        assert_eq!(text.matches("Aggregate").count(), 1, "{text}");
    }

    #[test]
    fn a_distinct_over_fewer_columns_than_the_grouping_stays() {
        let text = eliminated(distinct(grouped(&["a", "b"]), vec![col("a")]));
        assert_eq!(text.matches("Aggregate").count(), 2, "{text}");
        // Nor does a DISTINCT over a table, unique on nothing known.
        let text = eliminated(distinct(scan(), vec![col("a")]));
        assert!(text.starts_with("Aggregate"), "{text}");
    }

    #[test]
    fn uniqueness_is_followed_through_projections_and_filters() {
        let filtered = Arc::new(LogicalPlan::Filter(
            quiver_expr::logical_plan::Filter::try_new(gt(col("a"), lit(1)), grouped(&["a"]))
                .unwrap(),
        ));
        let renamed = Arc::new(LogicalPlan::Projection(
            Projection::try_new(vec![col("a").alias("k")], filtered).unwrap(),
        ));
        let text = eliminated(distinct(renamed, vec![bare("k")]));
        assert!(text.starts_with("Projection: k"), "{text}");

        // A projection that computes its column from the key does not pass
        // the uniqueness on.
        let computed = Arc::new(LogicalPlan::Projection(
            Projection::try_new(
                vec![col("a")
                    .binary(quiver_expr::Operator::Modulo, lit(2))
                    .alias("k")],
                grouped(&["a"]),
            )
            .unwrap(),
        ));
        let text = eliminated(distinct(computed, vec![bare("k")]));
        assert!(text.starts_with("Aggregate"), "{text}");
    }

    #[test]
    fn a_distinct_over_one_row_is_a_projection() {
        let global = Arc::new(LogicalPlan::Aggregate(
            Aggregate::try_new(scan(), vec![], vec![sum_of(col("c"))]).unwrap(),
        ));
        let text = eliminated(distinct(global, vec![bare("sum(t.c)")]));
        assert!(text.starts_with("Projection"), "{text}");
    }
}

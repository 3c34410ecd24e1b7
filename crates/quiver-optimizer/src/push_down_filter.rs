//! Filters move down the plan, as close to the data as they can go, so that
//! fewer rows flow through the operators above and the scan at the bottom
//! can use them (row-group, page and bloom-filter pruning, decoding only
//! the rows that pass).
//!
//! A filter's conjuncts pass through
//! - another filter (they merge),
//! - a projection or an alias, with each column replaced by the expression
//!   that computes it,
//! - an aggregate, when they read only grouping keys (a conjunct on an
//!   aggregate's result must stay above it),
//! - a sort without a fetch (a top-k keeps the k first rows *before*
//!   filtering, so a filter cannot move below it),
//! - a window operator, when they read only columns that every window call
//!   partitions by (any other filter would change the rows the windows
//!   see),
//! - a union, intersect or except, into every input (columns matched by
//!   position).
//!
//! Conjuncts without columns stay where they are (below a global aggregate
//! `WHERE false` would turn its one row of zeros into no row), as do those
//! with subqueries or aggregates. Joins are left to the join-order rule,
//! which places conditions on the join inputs. The rule runs before and after
//! join ordering, so filters placed onto join inputs travel further down.

use std::sync::Arc;

use quiver_expr::expr::split_conjunction;
use quiver_expr::{Column, Expr, LogicalPlan, Result};

use crate::{map_inputs, with_filter, OptimizerRule, Transformed};

/// Moves filter conjuncts below projections, aliases, aggregates (on
/// grouping keys), sorts and set operations.
pub struct PushDownFilter;

impl OptimizerRule for PushDownFilter {
    fn name(&self) -> &'static str {
        "push_down_filter"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        let rewritten = push_down(&plan)?;
        Ok(Transformed::compared(&plan, rewritten))
    }
}

fn push_down(plan: &LogicalPlan) -> Result<LogicalPlan> {
    if let LogicalPlan::Filter(f) = plan {
        let conjuncts = split_conjunction(&f.predicate)
            .into_iter()
            .cloned()
            .collect();
        return filtered(&f.input, conjuncts);
    }
    Ok(map_inputs(plan, |i| push_down(i).map(Transformed::yes))?.data)
}

/// `input` filtered by `conjuncts`, with as many of them as can go moved
/// below it.
fn filtered(input: &LogicalPlan, conjuncts: Vec<Expr>) -> Result<LogicalPlan> {
    match input {
        LogicalPlan::Filter(f) => {
            let mut all = conjuncts;
            all.extend(split_conjunction(&f.predicate).into_iter().cloned());
            filtered(&f.input, all)
        }
        LogicalPlan::Projection(p) => {
            let below = |position: usize| Some(p.exprs[position].unalias().clone());
            through(input, &p.input, conjuncts, &below)
        }
        LogicalPlan::SubqueryAlias(a) => {
            through(input, &a.input, conjuncts, &|p| column_at(&a.input, p))
        }
        LogicalPlan::AsofJoin(j) => {
            // A conjunct over left columns keeps or drops left rows, each of
            // which finds its match alone: it goes into the left input. One
            // over right columns would change which right row is nearest.
            let width = j.left.schema().len();
            let left_column = |p: usize| (p < width).then(|| column_at(&j.left, p)).flatten();
            let (mut down, mut stay) = (vec![], vec![]);
            for conjunct in conjuncts {
                match translate(&conjunct, input, &left_column).filter(|_| can_move(&conjunct)) {
                    Some(moved) if !moved.is_volatile() => down.push(moved),
                    _ => stay.push(conjunct),
                }
            }
            let left = filtered(&j.left, down)?;
            let right = push_down(&j.right)?;
            let join = LogicalPlan::AsofJoin(j.with_inputs(Arc::new(left), Arc::new(right))?);
            with_filter(join, stay)
        }
        LogicalPlan::Aggregate(a) => {
            let below = |position: usize| a.group_exprs.get(position).map(|g| g.unalias().clone());
            through(input, &a.input, conjuncts, &below)
        }
        LogicalPlan::Window(w) => {
            // Only conjuncts over PARTITION BY keys: they keep or drop whole
            // window partitions, so the rows that stay see the same windows.
            let keys = partition_key_columns(w);
            let below = |position: usize| {
                let c = w.input.schema().fields().get(position)?.column();
                keys.contains(&c).then_some(Expr::Column(c))
            };
            through(input, &w.input, conjuncts, &below)
        }
        LogicalPlan::Unnest(u) => {
            // Only conjuncts over the columns passed through, not over the
            // elements: they keep or drop whole input rows.
            let unnested = u.positions();
            let below = |position: usize| {
                let c = u.input.schema().fields().get(position)?.column();
                (!unnested.contains(&position)).then_some(Expr::Column(c))
            };
            through(input, &u.input, conjuncts, &below)
        }
        LogicalPlan::Sort(s) if s.fetch.is_none() => {
            let sorted = filtered(&s.input, conjuncts)?;
            input.with_new_inputs(vec![Arc::new(sorted)])
        }
        LogicalPlan::Union(_) | LogicalPlan::SetOperation(_) => {
            // A conjunct moves when it can be written over every input.
            let branches = input.inputs();
            let mut down: Vec<Vec<Expr>> = vec![vec![]; branches.len()];
            let mut stay = vec![];
            for conjunct in conjuncts {
                let translated = branches
                    .iter()
                    .map(|b| translate(&conjunct, input, &|p| column_at(b, p)))
                    .collect::<Option<Vec<_>>>()
                    .filter(|_| can_move(&conjunct));
                match translated {
                    Some(per_branch) => {
                        for (d, t) in down.iter_mut().zip(per_branch) {
                            d.push(t);
                        }
                    }
                    None => stay.push(conjunct),
                }
            }
            let inputs = branches
                .into_iter()
                .zip(down)
                .map(|(branch, conjuncts)| filtered(branch, conjuncts).map(Arc::new))
                .collect::<Result<Vec<_>>>()?;
            with_filter(input.with_new_inputs(inputs)?, stay)
        }
        other => with_filter(push_down(other)?, conjuncts),
    }
}

/// The input columns that every call of `w` partitions by.
fn partition_key_columns(w: &quiver_expr::logical_plan::Window) -> Vec<Column> {
    let keys_of = |e: &Expr| match e {
        Expr::Window(call) => call
            .partition_by
            .iter()
            .filter_map(|k| match k {
                Expr::Column(c) => Some(c.clone()),
                _ => None,
            })
            .collect(),
        _ => vec![],
    };
    let mut calls = w.window_exprs.iter();
    let mut keys: Vec<Column> = calls.next().map(keys_of).unwrap_or_default();
    for call in calls {
        let theirs = keys_of(call);
        keys.retain(|k| theirs.contains(k));
    }
    keys
}

/// `node` (with the single input `below_input`) filtered by `conjuncts`:
/// those whose every column `below` maps (by its position in `node`'s
/// output) to an expression over the input move below `node`.
fn through(
    node: &LogicalPlan,
    below_input: &LogicalPlan,
    conjuncts: Vec<Expr>,
    below: &dyn Fn(usize) -> Option<Expr>,
) -> Result<LogicalPlan> {
    let mut down = vec![];
    let mut stay = vec![];
    for conjunct in conjuncts {
        // The replacement must not bring a subquery or an aggregate below,
        // nor a volatile call that would be drawn again for the filter.
        let moved = translate(&conjunct, node, below).filter(|t| {
            can_move(&conjunct)
                && !t.contains_subquery()
                && !t.contains_aggregate()
                && !t.contains_window()
                && !t.is_volatile()
        });
        match moved {
            Some(moved) => down.push(moved),
            None => stay.push(conjunct),
        }
    }
    let input = filtered(below_input, down)?;
    with_filter(node.with_new_inputs(vec![Arc::new(input)])?, stay)
}

/// Whether a conjunct may move at all: it reads a column and holds no
/// subquery, outer reference or aggregate.
fn can_move(conjunct: &Expr) -> bool {
    !conjunct.columns().is_empty()
        && !conjunct.contains_subquery()
        && !conjunct.contains_outer_column()
        && !conjunct.contains_aggregate()
}

/// `conjunct`, over `node`'s output, rewritten over what is below it: each
/// column replaced by `below(its position)`. `None` when a column has no
/// replacement.
fn translate(
    conjunct: &Expr,
    node: &LogicalPlan,
    below: &dyn Fn(usize) -> Option<Expr>,
) -> Option<Expr> {
    let mut missing = false;
    let rewritten = conjunct
        .clone()
        .rewrite(&mut |e| {
            let Expr::Column(c) = e else {
                return Ok(None);
            };
            match position_of(node, c).and_then(below) {
                Some(replacement) => Ok(Some(replacement)),
                None => {
                    missing = true;
                    Ok(Some(e.clone()))
                }
            }
        })
        .ok()?;
    (!missing).then_some(rewritten)
}

/// The column at `position` of `plan`'s output, as a reference.
fn column_at(plan: &LogicalPlan, position: usize) -> Option<Expr> {
    (position < plan.schema().len()).then(|| Expr::Column(plan.schema().field(position).column()))
}

fn position_of(node: &LogicalPlan, column: &Column) -> Option<usize> {
    node.schema().find(column).ok().flatten()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;
    use quiver_expr::logical_plan::{SubqueryAlias, Union};

    fn pushed(plan: Arc<LogicalPlan>) -> String {
        rewritten_text(&PushDownFilter, plan)
    }

    #[test]
    fn a_filter_moves_below_a_projection_onto_the_computing_expression() {
        let plus = col("a").binary(quiver_expr::Operator::Plus, lit(1));
        let projected = project(vec![plus.alias("x"), col("b")], scan());
        let x = Expr::Column(Column::new(None::<&str>, "x"));
        let plan = filter(gt(x, lit(5)).and(eq(col("b"), lit(2))), projected);
        assert_eq!(
            pushed(plan),
            "Projection: (t.a + 1) AS x, t.b\n  \
             Filter: (((t.a + 1) > 5) AND (t.b = 2))\n    \
             TableScan: t projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn only_conjuncts_on_partition_keys_pass_a_window() {
        let window = windowed(vec![sum_over(col("b"), vec![col("a")])], scan());
        let plan = filter(eq(col("a"), lit(1)).and(gt(col("b"), lit(2))), window);
        assert_eq!(
            pushed(plan),
            "Filter: (t.b > 2)\n  \
             Window: sum(t.b) OVER (PARTITION BY t.a)\n    \
             Filter: (t.a = 1)\n      \
             TableScan: t projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn only_conjuncts_on_grouping_keys_pass_an_aggregate() {
        let grouped = aggregate_by(col("a"), scan());
        let on_key = eq(col("a"), lit(1));
        let constant = eq(lit(1), lit(2));
        let plan = filter(on_key.and(constant), grouped);
        assert_eq!(
            pushed(plan),
            "Filter: (1 = 2)\n  \
             Aggregate: groupBy=[t.a], aggr=[]\n    \
             Filter: (t.a = 1)\n      \
             TableScan: t projection=[a, b, c, s]\n"
        );
    }

    #[test]
    fn filters_pass_aliases_and_sorts_but_not_a_top_k() {
        let aliased = Arc::new(LogicalPlan::SubqueryAlias(
            SubqueryAlias::try_new(sort(col("b"), scan()), "v", &[]).unwrap(),
        ));
        let plan = filter(eq(qcol("v", "a"), lit(3)), aliased);
        assert_eq!(
            pushed(plan),
            "SubqueryAlias: v\n  \
             Sort: t.b ASC NULLS LAST\n    \
             Filter: (t.a = 3)\n      \
             TableScan: t projection=[a, b, c, s]\n"
        );
        let mut top_k = sort(col("b"), scan()).as_ref().clone();
        if let LogicalPlan::Sort(s) = &mut top_k {
            s.fetch = Some(2);
        }
        let top_k = Arc::new(top_k);
        let plan = filter(eq(col("a"), lit(3)), top_k);
        assert!(pushed(plan).starts_with("Filter: (t.a = 3)\n  Sort"));
    }

    #[test]
    fn a_filter_goes_into_every_union_input_by_position() {
        let first = project(vec![col("a")], scan());
        let second = project(vec![qcol("u", "b")], scan_as("u"));
        let union = Arc::new(LogicalPlan::Union(
            Union::try_new(vec![first, second]).unwrap(),
        ));
        let plan = filter(gt(col("a"), lit(0)), union);
        assert_eq!(
            pushed(plan),
            "Union\n  \
             Projection: t.a\n    \
             Filter: (t.a > 0)\n      \
             TableScan: t projection=[a, b, c, s]\n  \
             Projection: u.b\n    \
             Filter: (u.b > 0)\n      \
             TableScan: u projection=[a, b, c, s]\n"
        );
    }
}

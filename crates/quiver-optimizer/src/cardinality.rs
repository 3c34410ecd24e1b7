//! Row-count estimates for logical plans, from table sizes and fixed
//! selectivities. Good enough to order joins and pick build sides until
//! column statistics exist.

use quiver_expr::expr::split_conjunction;
use quiver_expr::logical_plan::JoinType;
use quiver_expr::{Expr, LogicalPlan, Operator};

/// Rows assumed for a table whose size is unknown.
const UNKNOWN_TABLE_ROWS: f64 = 100_000.0;

/// The estimated number of rows `plan` produces.
pub fn estimate_rows(plan: &LogicalPlan) -> f64 {
    match plan {
        LogicalPlan::TableScan(s) => s
            .source
            .estimated_rows()
            .map_or(UNKNOWN_TABLE_ROWS, |n| n as f64),
        LogicalPlan::Filter(f) => estimate_rows(&f.input) * selectivity(&f.predicate),
        LogicalPlan::Projection(p) => estimate_rows(&p.input),
        LogicalPlan::SubqueryAlias(a) => estimate_rows(&a.input),
        LogicalPlan::Sort(s) => {
            let rows = estimate_rows(&s.input);
            s.fetch.map_or(rows, |f| rows.min(f as f64))
        }
        LogicalPlan::Limit(l) => {
            let rows = (estimate_rows(&l.input) - l.skip as f64).max(0.0);
            l.fetch.map_or(rows, |f| rows.min(f as f64))
        }
        LogicalPlan::Aggregate(a) => {
            if a.group_exprs.is_empty() {
                1.0
            } else {
                (estimate_rows(&a.input) * 0.1).max(1.0)
            }
        }
        LogicalPlan::Join(j) => {
            let (l, r) = (estimate_rows(&j.left), estimate_rows(&j.right));
            let inner = if j.on.is_empty() {
                l * r * j.filter.as_ref().map_or(1.0, selectivity)
            } else {
                let distinct = base_rows(&j.left).min(base_rows(&j.right)).max(1.0);
                l * r / distinct * j.filter.as_ref().map_or(1.0, selectivity)
            };
            match j.join_type {
                JoinType::Inner => inner,
                JoinType::Left | JoinType::LeftSingle => inner.max(l),
                JoinType::Right => inner.max(r),
                JoinType::Full => inner.max(l).max(r),
                JoinType::LeftSemi | JoinType::LeftAnti => l * 0.5,
                JoinType::RightSemi | JoinType::RightAnti => r * 0.5,
                JoinType::LeftMark => l,
            }
        }
        LogicalPlan::Union(u) => u.inputs.iter().map(|i| estimate_rows(i)).sum(),
        LogicalPlan::SetOperation(s) => estimate_rows(&s.left),
        LogicalPlan::Values(v) => v.rows.len() as f64,
        LogicalPlan::EmptyRelation(e) => f64::from(u8::from(e.produce_one_row)),
        LogicalPlan::Explain(_) | LogicalPlan::Ddl(_) => 1.0,
    }
}

/// Rows of `plan` before the filters at its top: the size of the key domain
/// when it is joined on a key.
pub fn base_rows(plan: &LogicalPlan) -> f64 {
    match plan {
        LogicalPlan::Filter(f) => base_rows(&f.input),
        LogicalPlan::Projection(p) => base_rows(&p.input),
        LogicalPlan::SubqueryAlias(a) => base_rows(&a.input),
        other => estimate_rows(other),
    }
}

/// The estimated fraction of rows a predicate keeps: a fixed guess per
/// conjunct (equality 0.1, range 0.33, LIKE 0.25, IN 0.1 per value up to
/// 0.5, anything else 0.5), multiplied over conjuncts. A second bound on the
/// same expression (`x >= a AND x < b`) narrows the first to 0.25 in all
/// rather than multiplying.
pub fn selectivity(predicate: &Expr) -> f64 {
    let mut bounded: Vec<&Expr> = vec![];
    split_conjunction(predicate)
        .into_iter()
        .map(|c| match c {
            Expr::Binary(_, Operator::Eq, _) => 0.1,
            Expr::Binary(l, op, _) if op.is_comparison() => {
                if bounded.contains(&l.as_ref()) {
                    0.75
                } else {
                    bounded.push(l);
                    0.33
                }
            }
            Expr::Like { negated: false, .. } => 0.25,
            Expr::InList {
                list,
                negated: false,
                ..
            } => (0.1 * list.len() as f64).min(0.5),
            Expr::IsNull(_) => 0.1,
            _ => 0.5,
        })
        .product()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    #[test]
    fn two_bounds_on_one_column_are_one_range() {
        let range = gt(col("a"), lit(1)).and(col("a").binary(Operator::Lt, lit(9)));
        assert!((selectivity(&range) - 0.33 * 0.75).abs() < 1e-9);
        let two_columns = gt(col("a"), lit(1)).and(gt(col("b"), lit(1)));
        assert!((selectivity(&two_columns) - 0.33 * 0.33).abs() < 1e-9);
        assert!((selectivity(&eq(col("a"), lit(1))) - 0.1).abs() < 1e-9);
    }
}

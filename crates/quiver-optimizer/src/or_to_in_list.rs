//! `x = 1 OR x = 2 OR x IN (3, 4)` becomes `x IN (1, 2, 3, 4)`: one test
//! per row instead of a chain of comparisons and ORs, and a form that scans
//! can use to skip data (row-group min/max, pages, bloom filters), which a
//! disjunction is not. Only disjunctions whose every branch compares the
//! same column with constants of one type are rewritten; duplicates are
//! dropped.

use quiver_expr::expr::split_disjunction;
use quiver_expr::{Column, Expr, LogicalPlan, Operator, Result, ScalarValue};

use crate::{rewrite_filter_predicates, OptimizerRule, Transformed};

/// Rewrites disjunctions of equalities on one column in filters as IN lists.
pub struct OrToInList;

impl OptimizerRule for OrToInList {
    fn name(&self) -> &'static str {
        "or_to_in_list"
    }
    fn rewrite(&self, plan: LogicalPlan) -> Result<Transformed<LogicalPlan>> {
        rewrite_filter_predicates(&plan, &|e, _| as_in_list(e))
    }
}

/// `e` as one IN list, when it is a disjunction of equalities of one
/// column with constants of one type.
fn as_in_list(e: &Expr) -> Option<Expr> {
    let Expr::Binary(_, Operator::Or, _) = e else {
        return None;
    };
    let branches = split_disjunction(e);
    let mut column: Option<&Column> = None;
    let mut values: Vec<ScalarValue> = vec![];
    for branch in branches {
        let (c, constants) = branch.column_equal_to_constants()?;
        if column.is_some_and(|seen| seen != c) {
            return None;
        }
        column = Some(c);
        for v in constants {
            if values
                .first()
                .is_some_and(|first| first.data_type() != v.data_type())
            {
                return None;
            }
            if !values.contains(v) {
                values.push(v.clone());
            }
        }
    }
    Some(Expr::InList {
        expr: Box::new(Expr::Column(column?.clone())),
        list: values.into_iter().map(Expr::Literal).collect(),
        negated: false,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn rewritten(predicate: Expr) -> String {
        filter_line_after(&OrToInList, predicate)
    }

    #[test]
    fn equalities_on_one_column_become_one_in_list() {
        let predicate = eq(col("a"), lit(1))
            .or(eq(lit(2), col("a")))
            .or(Expr::InList {
                expr: Box::new(col("a")),
                list: vec![lit(3), lit(1)],
                negated: false,
            });
        assert_eq!(rewritten(predicate), "Filter: (t.a IN (1, 2, 3))");
    }

    #[test]
    fn other_disjunctions_stay_but_their_parts_are_rewritten() {
        let two_columns = eq(col("a"), lit(1)).or(eq(col("b"), lit(2)));
        assert_eq!(rewritten(two_columns), "Filter: ((t.a = 1) OR (t.b = 2))");
        let nested = eq(col("b"), lit(0)).and(eq(col("a"), lit(1)).or(eq(col("a"), lit(2))));
        assert_eq!(rewritten(nested), "Filter: ((t.b = 0) AND (t.a IN (1, 2)))");
        let not_constant = eq(col("a"), col("b")).or(eq(col("a"), lit(2)));
        assert_eq!(
            rewritten(not_constant),
            "Filter: ((t.a = t.b) OR (t.a = 2))"
        );
    }
}

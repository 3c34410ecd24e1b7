//! Plan text for EXPLAIN: the logical plan with each operator's estimated
//! output rows.

use std::fmt::Write;

use quiver_expr::LogicalPlan;

use crate::cardinality::estimate_rows;

/// `plan` as an indented tree, one operator per line, each followed by its
/// estimated rows (`rows≈N`).
pub fn display_with_estimates(plan: &LogicalPlan) -> String {
    fn walk(plan: &LogicalPlan, depth: usize, out: &mut String) {
        let rows = estimate_rows(plan).round();
        let _ = writeln!(
            out,
            "{}{} rows≈{rows}",
            "  ".repeat(depth),
            plan.describe_node()
        );
        for input in plan.inputs() {
            walk(input, depth + 1, out);
        }
    }
    let mut out = String::new();
    walk(plan, 0, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    #[test]
    fn every_line_carries_its_estimate() {
        let plan = filter(eq(col("a"), lit(7)), stats_scan("t", 5000, 1, 100, 0));
        assert_eq!(
            display_with_estimates(&plan),
            "Filter: (t.a = 7) rows≈50\n  TableScan: t projection=[a, b, c, s] rows≈5000\n"
        );
    }
}

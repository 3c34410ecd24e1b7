//! Row-count estimates for logical plans, from table statistics (row
//! counts; per column min, max, NULL count and distinct count where the
//! table knows them) and predicate selectivities. They order joins, pick
//! build sides and are shown by EXPLAIN.
//!
//! Selectivities, per conjunct of a filter (conjuncts multiply):
//! - `col = constant`: 1 / distinct(col); 0.1 when the distinct count is unknown.
//! - `col <> constant`: 1 − 1 / distinct(col); 0.9 when unknown.
//! - ranges (`<`, `<=`, `>`, `>=`, BETWEEN) on a column with a numeric or
//!   date min/max: the fraction of [min, max] the bounds leave (all bounds
//!   on one column are combined into one interval); otherwise 0.33 for the
//!   first bound and 0.75 for each further bound on the same expression.
//! - `col IN (k values)`: k / distinct(col); else 0.1 per value up to 0.5.
//! - `col IS NULL`: NULL count / rows; 0.1 when unknown (`IS NOT NULL` the rest).
//! - `LIKE pattern`: 0.25 × 0.7^k for a constant pattern with k characters
//!   other than `%` and `_` (each fixed character narrows the match: `'%green%'`
//!   gives 0.042, TPC-H's part has 5.3%), at least 0.001; 1 for `'%'`; 0.25
//!   for a pattern that is not a constant.
//! - `NOT p`: 1 − p; `p OR q`: p + q − p·q; anything else 0.5.
//!
//! Joins: |A|·|B| divided by, for the equalities between one pair of inputs,
//! the larger of the columns' distinct counts and the distinct count of the
//! smaller side's key columns together (the product of their distinct
//! counts, capped by that side's rows): a compound key of the smaller side
//! (TPC-H partsupp's `(ps_partkey, ps_suppkey)`) matches each row of the
//! other side at most once.
//!
//! Estimating a join asks for its inputs' rows several times (for the
//! product, the key divisor and the distinct counts), so each plan node's
//! estimate is remembered for the duration of the outermost call: without
//! that, a left-deep join of n inputs took time growing as 3^n.

use std::cell::RefCell;
use std::collections::HashMap;

use quiver_expr::expr::split_conjunction;
use quiver_expr::logical_plan::JoinType;
use quiver_expr::{Column, ColumnStatistics, Expr, LogicalPlan, Operator, ScalarValue};

/// Rows assumed for a table whose size is unknown.
const UNKNOWN_TABLE_ROWS: f64 = 100_000.0;

thread_local! {
    /// The estimates made during the outermost [`estimate_rows`] call now
    /// running on this thread, by plan node address, and how deep the
    /// calls are.
    static ESTIMATES: RefCell<(usize, HashMap<usize, f64>)> = RefCell::new((0, HashMap::new()));
}

/// Clears the remembered estimates when the outermost call ends (or
/// unwinds).
struct EstimateScope;

impl EstimateScope {
    fn enter() -> Self {
        ESTIMATES.with(|e| e.borrow_mut().0 += 1);
        EstimateScope
    }
}

impl Drop for EstimateScope {
    fn drop(&mut self) {
        ESTIMATES.with(|e| {
            let mut e = e.borrow_mut();
            e.0 -= 1;
            if e.0 == 0 {
                e.1.clear();
            }
        });
    }
}

/// The estimated number of rows `plan` produces.
pub fn estimate_rows(plan: &LogicalPlan) -> f64 {
    // The node's address names it while the plan is borrowed: no plan is
    // made or dropped during an estimate.
    let key = plan as *const LogicalPlan as usize;
    let _scope = EstimateScope::enter();
    if let Some(rows) = ESTIMATES.with(|e| e.borrow().1.get(&key).copied()) {
        return rows;
    }
    let rows = compute_rows(plan);
    ESTIMATES.with(|e| e.borrow_mut().1.insert(key, rows));
    rows
}

fn compute_rows(plan: &LogicalPlan) -> f64 {
    match plan {
        LogicalPlan::TableScan(s) => {
            let rows = s
                .source
                .estimated_rows()
                .map_or(UNKNOWN_TABLE_ROWS, |n| n as f64);
            s.fetch.map_or(rows, |f| rows.min(f as f64))
        }
        LogicalPlan::Filter(f) => estimate_rows(&f.input) * selectivity(&f.predicate, &f.input),
        LogicalPlan::Projection(p) => estimate_rows(&p.input),
        LogicalPlan::Expand(e) => estimate_rows(&e.input) * e.projections.len() as f64,
        LogicalPlan::SubqueryAlias(a) => estimate_rows(&a.input),
        // At most one match per left row.
        LogicalPlan::AsofJoin(j) => estimate_rows(&j.left),
        // As many rows as the longer side.
        LogicalPlan::PositionalJoin(j) => estimate_rows(&j.left).max(estimate_rows(&j.right)),
        LogicalPlan::Sort(s) => {
            let rows = estimate_rows(&s.input);
            s.fetch.map_or(rows, |f| rows.min(f as f64))
        }
        LogicalPlan::Limit(l) => {
            let rows = (estimate_rows(&l.input) - l.skip as f64).max(0.0);
            l.fetch.map_or(rows, |f| rows.min(f as f64))
        }
        LogicalPlan::Aggregate(a) => {
            let input = estimate_rows(&a.input);
            if a.group_exprs.is_empty() {
                return 1.0;
            }
            let groups: Option<f64> = a
                .group_exprs
                .iter()
                .map(|g| distinct(&a.input, g))
                .product();
            groups.map_or(input * 0.1, |g| g.min(input)).max(1.0)
        }
        LogicalPlan::Join(j) => {
            let (l, r) = (estimate_rows(&j.left), estimate_rows(&j.right));
            let keys: Vec<Expr> =
                j.on.iter()
                    .map(|(a, b)| a.clone().binary(Operator::Eq, b.clone()))
                    .collect();
            let both = [j.left.as_ref(), j.right.as_ref()];
            let mut inner = l * r / key_divisor(&keys, &both);
            if let Some(filter) = &j.filter {
                inner *= selectivity(filter, j.left.as_ref());
            }
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
        LogicalPlan::Values(v) => v.rows.len() as f64,
        LogicalPlan::EmptyRelation(e) => f64::from(u8::from(e.produce_one_row)),
        // Any other operator is taken to keep its first input's rows (an
        // INTERSECT or EXCEPT keeps at most its left input's); one without
        // inputs (EXPLAIN, DDL) makes one row.
        other => other.inputs().first().map_or(1.0, |i| estimate_rows(i)),
    }
}

/// The selectivity of `LIKE pattern` (see the module notes).
fn like_selectivity(pattern: &Expr) -> f64 {
    let (Expr::Literal(ScalarValue::Utf8(Some(p)))
    | Expr::Literal(ScalarValue::Utf8View(Some(p)))
    | Expr::Literal(ScalarValue::LargeUtf8(Some(p)))) = pattern
    else {
        return 0.25;
    };
    if p == "%" {
        return 1.0;
    }
    let fixed = p.chars().filter(|c| *c != '%' && *c != '_').count();
    let fixed = i32::try_from(fixed).unwrap_or(i32::MAX);
    (0.25 * 0.7f64.powi(fixed)).max(0.001)
}

/// What divides |A|·|B| for a join on the equalities among `conditions`
/// between inputs found in `inputs`. The equalities between one pair of
/// inputs form a key; the pair's divisor is the largest distinct count of
/// one column (max(distinct(a), distinct(b)) per equality) or, when larger,
/// the distinct count of the smaller side's key columns together: the
/// product of their distinct counts, capped by that side's rows. A column
/// whose distinct count is unknown takes the other side's, and with neither
/// known the smaller input's rows (a key joined to a foreign key). Of
/// several pairs, the most selective counts.
pub fn key_divisor(conditions: &[Expr], inputs: &[&LogicalPlan]) -> f64 {
    let owner = |e: &Expr| {
        inputs.iter().position(|p| {
            e.columns()
                .iter()
                .all(|c| matches!(p.schema().find(c), Ok(Some(_))))
        })
    };
    // Per pair of inputs: the product of distinct counts on each side, and
    // the largest single column's.
    let mut keys: Vec<((usize, usize), f64, f64, f64)> = vec![];
    for c in conditions {
        let Expr::Binary(a, Operator::Eq, b) = c else {
            continue;
        };
        let (Some(ia), Some(ib)) = (owner(a), owner(b)) else {
            continue;
        };
        let (pa, pb) = (inputs[ia], inputs[ib]);
        let (da, db) = match (distinct(pa, a), distinct(pb, b)) {
            (Some(x), Some(y)) => (x, y),
            (Some(x), None) | (None, Some(x)) => (x, x),
            (None, None) => {
                let d = base_rows(pa).min(base_rows(pb));
                (d, d)
            }
        };
        let ((ia, ib), (da, db)) = if ia <= ib {
            ((ia, ib), (da, db))
        } else {
            ((ib, ia), (db, da))
        };
        match keys.iter_mut().find(|(pair, ..)| *pair == (ia, ib)) {
            Some((_, a, b, single)) => {
                *a *= da;
                *b *= db;
                *single = single.max(da.max(db));
            }
            None => keys.push(((ia, ib), da, db, da.max(db))),
        }
    }
    keys.iter()
        .map(|&((ia, ib), da, db, single)| {
            let (rows_a, rows_b) = (estimate_rows(inputs[ia]), estimate_rows(inputs[ib]));
            let smaller_side = if rows_a <= rows_b {
                da.min(rows_a)
            } else {
                db.min(rows_b)
            };
            single.max(smaller_side)
        })
        .fold(1.0, f64::max)
}

/// Rows of `plan` before the filters at its top: the size of the key domain
/// when it is joined on a key.
fn base_rows(plan: &LogicalPlan) -> f64 {
    match plan {
        LogicalPlan::Filter(f) => base_rows(&f.input),
        LogicalPlan::Projection(p) => base_rows(&p.input),
        LogicalPlan::SubqueryAlias(a) => base_rows(&a.input),
        other => estimate_rows(other),
    }
}

/// The estimated number of distinct values of `e` over the rows of `plan`
/// (a column, possibly under a cast), capped by the rows; `None` when the
/// table does not know.
pub fn distinct(plan: &LogicalPlan, e: &Expr) -> Option<f64> {
    let stats = expr_statistics(plan, e)?;
    let d = stats.distinct? as f64;
    Some(d.min(estimate_rows(plan)).max(1.0))
}

/// The statistics of `e` when it is a column of `plan` (or a cast of one).
fn expr_statistics(plan: &LogicalPlan, e: &Expr) -> Option<ColumnStatistics> {
    match e.unalias() {
        Expr::Column(c) => column_statistics(plan, c),
        Expr::Cast(inner, _) => expr_statistics(plan, inner),
        _ => None,
    }
}

/// The statistics of column `c` of `plan`, traced down to a table scan.
/// Filters and limits below keep the table's statistics (still true as
/// bounds).
pub fn column_statistics(plan: &LogicalPlan, c: &Column) -> Option<ColumnStatistics> {
    let index = plan.schema().find(c).ok()??;
    match plan {
        LogicalPlan::TableScan(s) => {
            let base = s.projection.as_ref().map_or(index, |p| p[index]);
            s.source.column_statistics(base)
        }
        LogicalPlan::Filter(_) | LogicalPlan::Sort(_) | LogicalPlan::Limit(_) => {
            column_statistics(plan.inputs()[0], c)
        }
        LogicalPlan::SubqueryAlias(a) => {
            column_statistics(&a.input, &a.input.schema().field(index).column())
        }
        LogicalPlan::Projection(p) => expr_statistics(&p.input, &p.exprs[index]),
        LogicalPlan::Aggregate(a) => a
            .group_exprs
            .get(index)
            .and_then(|g| expr_statistics(&a.input, g)),
        LogicalPlan::Join(j) => {
            column_statistics(&j.left, c).or_else(|| column_statistics(&j.right, c))
        }
        LogicalPlan::AsofJoin(j) => {
            column_statistics(&j.left, c).or_else(|| column_statistics(&j.right, c))
        }
        LogicalPlan::Window(w) if index < w.input.schema().len() => column_statistics(&w.input, c),
        _ => None,
    }
}

/// The estimated fraction of the rows of `input` that `predicate` keeps
/// (see the module documentation for the rules).
pub fn selectivity(predicate: &Expr, input: &LogicalPlan) -> f64 {
    let rows = estimate_rows(input).max(1.0);
    let mut ranges: HashMap<&Expr, Range> = HashMap::new();
    let mut product = 1.0;
    for conjunct in split_conjunction(predicate) {
        match range_bound(conjunct) {
            Some((subject, op, value)) => ranges.entry(subject).or_default().add(op, value),
            None => product *= conjunct_selectivity(conjunct, input, rows),
        }
    }
    for (subject, range) in ranges {
        product *= range.selectivity(expr_statistics(input, subject).as_ref());
    }
    product.clamp(0.0, 1.0)
}

/// One conjunct that is not a range bound.
fn conjunct_selectivity(e: &Expr, input: &LogicalPlan, rows: f64) -> f64 {
    let inverse_distinct = |subject: &Expr| distinct(input, subject).map(|d| 1.0 / d);
    match e {
        Expr::Binary(l, Operator::Eq, r) => match (l.as_ref(), r.as_ref()) {
            (subject, Expr::Literal(_)) | (Expr::Literal(_), subject) => {
                inverse_distinct(subject).unwrap_or(0.1)
            }
            _ => 0.1,
        },
        Expr::Binary(l, Operator::NotEq, r) => match (l.as_ref(), r.as_ref()) {
            (subject, Expr::Literal(_)) | (Expr::Literal(_), subject) => {
                1.0 - inverse_distinct(subject).unwrap_or(0.1)
            }
            _ => 0.9,
        },
        Expr::Binary(l, Operator::Or, r) => {
            let (a, b) = (selectivity(l, input), selectivity(r, input));
            a + b - a * b
        }
        Expr::Not(inner) => 1.0 - selectivity(inner, input),
        Expr::Like {
            negated, pattern, ..
        } => flip(like_selectivity(pattern), *negated),
        Expr::InList {
            expr,
            list,
            negated,
        } => {
            let n = list.len() as f64;
            let s = distinct(input, expr).map_or((0.1 * n).min(0.5), |d| (n / d).min(1.0));
            flip(s, *negated)
        }
        Expr::IsNull(inner) => null_fraction(input, inner, rows),
        Expr::IsNotNull(inner) => 1.0 - null_fraction(input, inner, rows),
        _ => 0.5,
    }
}

fn flip(s: f64, negated: bool) -> f64 {
    if negated {
        1.0 - s
    } else {
        s
    }
}

fn null_fraction(input: &LogicalPlan, e: &Expr, rows: f64) -> f64 {
    expr_statistics(input, e)
        .and_then(|s| s.null_count)
        .map_or(0.1, |n| (n as f64 / rows).min(1.0))
}

/// `subject op constant` for a range comparison, either way round.
fn range_bound(e: &Expr) -> Option<(&Expr, Operator, &ScalarValue)> {
    let Expr::Binary(l, op, r) = e else {
        return None;
    };
    let (subject, op, value) = match (l.as_ref(), r.as_ref()) {
        (Expr::Literal(v), subject) => (subject, op.swap(), v),
        (subject, Expr::Literal(v)) => (subject, *op, v),
        _ => return None,
    };
    matches!(
        op,
        Operator::Lt | Operator::LtEq | Operator::Gt | Operator::GtEq
    )
    .then_some((subject, op, value))
}

/// The bounds placed on one expression.
#[derive(Default)]
struct Range {
    /// The numeric lower and upper bounds, when every bound is numeric.
    low: Option<f64>,
    high: Option<f64>,
    count: usize,
    numeric: bool,
}

impl Range {
    fn add(&mut self, op: Operator, value: &ScalarValue) {
        self.numeric = (self.count == 0 || self.numeric) && numeric(value).is_some();
        self.count += 1;
        let Some(v) = numeric(value) else {
            return;
        };
        match op {
            Operator::Gt | Operator::GtEq => self.low = Some(self.low.map_or(v, |l| l.max(v))),
            _ => self.high = Some(self.high.map_or(v, |h| h.min(v))),
        }
    }

    /// The fraction of [min, max] inside the bounds; fixed guesses when the
    /// bounds or the statistics are not numeric.
    fn selectivity(&self, stats: Option<&ColumnStatistics>) -> f64 {
        let span = stats.and_then(|s| {
            let (min, max) = (numeric(s.min.as_ref()?)?, numeric(s.max.as_ref()?)?);
            (self.numeric && max >= min).then_some((min, max))
        });
        let Some((min, max)) = span else {
            return 0.33 * 0.75_f64.powi(self.count.saturating_sub(1) as i32);
        };
        if max == min {
            let inside = self.low.is_none_or(|l| l <= min) && self.high.is_none_or(|h| h >= max);
            return if inside { 1.0 } else { 0.0 };
        }
        let low = self.low.unwrap_or(min).max(min);
        let high = self.high.unwrap_or(max).min(max);
        ((high - low) / (max - min)).clamp(0.0, 1.0)
    }
}

/// A number or date as a point on a line, for interpolating ranges.
fn numeric(v: &ScalarValue) -> Option<f64> {
    Some(match v {
        ScalarValue::Int8(Some(x)) => f64::from(*x),
        ScalarValue::Int16(Some(x)) => f64::from(*x),
        ScalarValue::Int32(Some(x)) | ScalarValue::Date32(Some(x)) => f64::from(*x),
        ScalarValue::Int64(Some(x)) => *x as f64,
        ScalarValue::UInt8(Some(x)) => f64::from(*x),
        ScalarValue::UInt16(Some(x)) => f64::from(*x),
        ScalarValue::UInt32(Some(x)) => f64::from(*x),
        ScalarValue::UInt64(Some(x)) => *x as f64,
        ScalarValue::Float32(Some(x)) => f64::from(*x),
        ScalarValue::Float64(Some(x)) => *x,
        ScalarValue::Decimal128(Some(x), _, scale) => *x as f64 / 10f64.powi(i32::from(*scale)),
        ScalarValue::Date64(Some(x))
        | ScalarValue::TimestampSecond(Some(x), _)
        | ScalarValue::TimestampMillisecond(Some(x), _)
        | ScalarValue::TimestampMicrosecond(Some(x), _)
        | ScalarValue::TimestampNanosecond(Some(x), _) => *x as f64,
        _ => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_util::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn without_statistics_fixed_guesses_apply() {
        let input = scan();
        let range = gt(col("a"), lit(1)).and(col("a").binary(Operator::Lt, lit(9)));
        assert!(close(selectivity(&range, &input), 0.33 * 0.75));
        let two_columns = gt(col("a"), lit(1)).and(gt(col("b"), lit(1)));
        assert!(close(selectivity(&two_columns, &input), 0.33 * 0.33));
        assert!(close(selectivity(&eq(col("a"), lit(1)), &input), 0.1));
        let either = eq(col("a"), lit(1)).or(eq(col("a"), lit(2)));
        assert!(close(selectivity(&either, &input), 0.19));
    }

    #[test]
    fn statistics_give_equality_range_and_null_fractions() {
        // Column a holds 0..=999 (1000 distinct) over 10,000 rows, 100 NULLs.
        let input = stats_scan("t", 10_000, 0, 999, 100);
        assert!(close(selectivity(&eq(col("a"), lit(5)), &input), 0.001));
        let quarter = gt(lit(250), col("a")).and(col("a").binary(Operator::GtEq, lit(0)));
        assert!((selectivity(&quarter, &input) - 250.0 / 999.0).abs() < 1e-9);
        let outside = gt(col("a"), lit(5000));
        assert!(close(selectivity(&outside, &input), 0.0));
        assert!(close(
            selectivity(&Expr::IsNull(Box::new(col("a"))), &input),
            0.01
        ));
        let filtered = filter(eq(col("a"), lit(5)), input);
        assert!(close(estimate_rows(&filtered), 10.0));
    }

    #[test]
    fn joins_divide_by_the_larger_distinct_count_and_groups_by_distinct() {
        let fact = stats_scan("t", 10_000, 0, 999, 0);
        let dim = stats_scan("u", 1_000, 0, 999, 0);
        let join = join_on(fact, dim, qcol("t", "a"), qcol("u", "a"));
        assert!(close(estimate_rows(&join), 10_000.0));
        let grouped = aggregate_by(col("a"), stats_scan("t", 10_000, 0, 49, 0));
        assert!(close(estimate_rows(&grouped), 50.0));
    }

    /// A left-deep join of 40 key-joined tables: each input is estimated
    /// once per call (asked for again, as a join's estimate does, it is
    /// remembered), so this ends; without that it took 3^40 steps.
    #[test]
    fn a_deep_join_is_estimated_once_per_input() {
        let mut plan = stats_scan("t0", 1_000, 0, 999, 0);
        for i in 1..40 {
            let name = format!("t{i}");
            let next = stats_scan(&name, 1_000, 0, 999, 0);
            plan = join_on(
                plan,
                next,
                qcol(&format!("t{}", i - 1), "a"),
                qcol(&name, "a"),
            );
        }
        assert!(close(estimate_rows(&plan), 1_000.0));
        // The remembered estimates are gone once the outermost call ends.
        assert!(ESTIMATES.with(|e| e.borrow().1.is_empty()));
    }

    #[test]
    fn a_compound_key_of_the_smaller_side_matches_each_row_once() {
        // u's (a, b): a has 100 distinct values, b's are unknown (taken as
        // u's 1,000 rows); together at most u's 1,000 rows. Each of t's
        // 10,000 rows finds one match.
        let fact = stats_scan("t", 10_000, 0, 99, 0);
        let dim = stats_scan("u", 1_000, 0, 99, 0);
        let on = vec![
            (qcol("t", "a"), qcol("u", "a")),
            (qcol("t", "b"), qcol("u", "b")),
        ];
        let join = LogicalPlan::Join(
            quiver_expr::logical_plan::Join::try_new(
                fact,
                dim,
                quiver_expr::logical_plan::JoinType::Inner,
                on,
                None,
                false,
            )
            .unwrap(),
        );
        assert!(close(estimate_rows(&join), 10_000.0));
    }

    #[test]
    fn like_patterns_narrow_with_their_fixed_characters() {
        let like = |pattern: &str| Expr::Like {
            negated: false,
            case_insensitive: false,
            expr: Box::new(col("s")),
            pattern: Box::new(Expr::Literal(ScalarValue::Utf8(Some(pattern.into())))),
            escape: None,
        };
        let input = scan();
        assert!(close(selectivity(&like("%"), &input), 1.0));
        assert!(close(
            selectivity(&like("%green%"), &input),
            0.25 * 0.7f64.powi(5)
        ));
        let two_words = selectivity(&like("%special%requests%"), &input);
        assert!(close(two_words, 0.25 * 0.7f64.powi(15)));
        let long = "%a-very-long-fixed-text-of-30-chars%";
        assert!(close(selectivity(&like(long), &input), 0.001));
    }
}

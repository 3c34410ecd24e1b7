//! Evaluates a filter's conjuncts one after another, each on the rows the
//! ones before it kept, in an order learned while the filter runs.
//!
//! Conjuncts that cannot fail (see `Expr::can_fail`) go first. Every
//! [`REORDER_EVERY`] batches they are sorted by rank: the time one takes
//! per row over the share of rows it drops, so that a cheap conjunct that
//! drops many rows runs before a costly one that drops few (TPC-H Q12 tests
//! a date range before comparing ship modes). The conjuncts that can fail
//! keep their written order and run last, always on exactly the rows every
//! other conjunct kept, so whether a query fails never depends on the
//! learned order.
//!
//! After a conjunct, the batch is narrowed to the kept rows once at most
//! half of them are left; until then the next conjunct reads every row and
//! the kept rows are tracked as a mask.

use std::sync::Arc;
use std::time::Instant;

use arrow::array::{Array, BooleanArray, RecordBatch};
use arrow::buffer::BooleanBuffer;
use arrow::compute::filter_record_batch;
use quiver_expr::Result;

use crate::physical_expr::{evaluate_predicate, PhysicalExpr};

/// How many batches pass between two reorderings.
pub const REORDER_EVERY: usize = 8;

/// One conjunct of a filter's predicate.
#[derive(Debug, Clone)]
pub struct Conjunct {
    /// The condition; NULL counts as false.
    pub expr: Arc<dyn PhysicalExpr>,
    /// Whether evaluating it can raise an error.
    pub can_fail: bool,
}

/// What one conjunct has done so far.
#[derive(Debug, Default, Clone)]
struct ConjunctStats {
    /// Rows it was evaluated over, including ones already dropped.
    rows_read: u64,
    /// Rows still kept when it ran, and how many of them it kept.
    rows_in: u64,
    rows_kept: u64,
    nanos: u64,
}

impl ConjunctStats {
    /// Time per row over the share of rows dropped: lower runs earlier.
    /// A conjunct that has not run yet, or drops nothing, ranks last.
    fn rank(&self) -> f64 {
        if self.rows_in == 0 || self.rows_read == 0 {
            return f64::INFINITY;
        }
        let dropped = 1.0 - self.rows_kept as f64 / self.rows_in as f64;
        let per_row = self.nanos as f64 / self.rows_read as f64;
        if dropped <= 0.0 {
            f64::INFINITY
        } else {
            per_row / dropped
        }
    }
}

/// The conjuncts of one partition's filter, with their learned order.
#[derive(Debug)]
pub struct AdaptiveConjuncts {
    conjuncts: Vec<Conjunct>,
    /// Positions in `conjuncts`, in the order they run.
    order: Vec<usize>,
    /// How many of `order`'s first entries cannot fail (and may move).
    reorderable: usize,
    stats: Vec<ConjunctStats>,
    batches: usize,
}

impl AdaptiveConjuncts {
    /// The conjuncts, those that cannot fail first in written order.
    pub fn new(conjuncts: Vec<Conjunct>) -> Self {
        let (safe, failing): (Vec<usize>, Vec<usize>) =
            (0..conjuncts.len()).partition(|&i| !conjuncts[i].can_fail);
        let reorderable = safe.len();
        Self {
            stats: vec![ConjunctStats::default(); conjuncts.len()],
            conjuncts,
            order: safe.into_iter().chain(failing).collect(),
            reorderable,
            batches: 0,
        }
    }

    /// The rows of `batch` every conjunct keeps.
    pub fn filter(&mut self, batch: RecordBatch) -> Result<RecordBatch> {
        if self.batches > 0 && self.batches.is_multiple_of(REORDER_EVERY) {
            self.reorder();
        }
        self.batches += 1;
        let mut current = batch;
        // The rows of `current` kept so far, when not all of them.
        let mut kept: Option<BooleanBuffer> = None;
        for position in 0..self.order.len() {
            let i = self.order[position];
            if self.conjuncts[i].can_fail {
                if let Some(mask) = kept.take() {
                    current = narrowed(&current, mask)?;
                }
            }
            let rows_in = kept
                .as_ref()
                .map_or(current.num_rows(), BooleanBuffer::count_set_bits);
            let start = Instant::now();
            let result = evaluate_predicate(self.conjuncts[i].expr.as_ref(), &current)?;
            let nanos = start.elapsed().as_nanos() as u64;
            let mut now_kept = true_rows(&result);
            if let Some(mask) = &kept {
                now_kept = &now_kept & mask;
            }
            let rows_kept = now_kept.count_set_bits();
            let stats = &mut self.stats[i];
            stats.rows_read += current.num_rows() as u64;
            stats.rows_in += rows_in as u64;
            stats.rows_kept += rows_kept as u64;
            stats.nanos += nanos;
            if rows_kept == 0 {
                return Ok(current.slice(0, 0));
            }
            kept = if rows_kept == current.num_rows() {
                None
            } else if rows_kept * 2 <= current.num_rows() {
                current = narrowed(&current, now_kept)?;
                None
            } else {
                Some(now_kept)
            };
        }
        match kept {
            Some(mask) => narrowed(&current, mask),
            None => Ok(current),
        }
    }

    /// Sorts the conjuncts that cannot fail by rank.
    fn reorder(&mut self) {
        let stats = &self.stats;
        self.order[..self.reorderable]
            .sort_by(|&a, &b| stats[a].rank().total_cmp(&stats[b].rank()));
    }
}

/// The rows where `result` is true (not false, not NULL).
fn true_rows(result: &BooleanArray) -> BooleanBuffer {
    match result.nulls() {
        Some(nulls) => result.values() & nulls.inner(),
        None => result.values().clone(),
    }
}

/// The rows of `batch` that `mask` keeps.
fn narrowed(batch: &RecordBatch, mask: BooleanBuffer) -> Result<RecordBatch> {
    Ok(filter_record_batch(batch, &BooleanArray::new(mask, None))?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::physical_expr::binary::BinaryExpr;
    use crate::physical_expr::simple::{ColumnExpr, LiteralExpr};
    use arrow::array::{AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type, Schema};
    use quiver_expr::{Operator, ScalarValue};

    /// Columns x (0..n, NULL every seventh row) and y (n-1 down to 0).
    fn batch(n: i64) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("x", DataType::Int64, true),
            Field::new("y", DataType::Int64, false),
        ]));
        let x: Int64Array = (0..n).map(|v| (v % 7 != 3).then_some(v)).collect();
        let y: Int64Array = (0..n).map(|v| n - 1 - v).collect();
        RecordBatch::try_new(schema, vec![Arc::new(x), Arc::new(y)]).unwrap()
    }

    fn column(name: &str) -> Arc<dyn PhysicalExpr> {
        let index = usize::from(name == "y");
        Arc::new(ColumnExpr::new(name, index, DataType::Int64))
    }

    fn int(v: i64) -> Arc<dyn PhysicalExpr> {
        Arc::new(LiteralExpr::new(ScalarValue::Int64(Some(v))))
    }

    fn binary(
        l: Arc<dyn PhysicalExpr>,
        op: Operator,
        r: Arc<dyn PhysicalExpr>,
    ) -> Arc<dyn PhysicalExpr> {
        let data_type = if op.is_comparison() {
            DataType::Boolean
        } else {
            DataType::Int64
        };
        Arc::new(BinaryExpr::new(l, op, r, data_type))
    }

    fn conjunct(expr: Arc<dyn PhysicalExpr>, can_fail: bool) -> Conjunct {
        Conjunct { expr, can_fail }
    }

    fn xs(batch: &RecordBatch) -> Vec<Option<i64>> {
        batch.column(0).as_primitive::<Int64Type>().iter().collect()
    }

    #[test]
    fn keeps_the_rows_every_conjunct_keeps_in_any_order() {
        let n = 1000;
        let expected: Vec<Option<i64>> = (0..n)
            .filter(|v| v % 7 != 3 && *v >= 100 && v % 2 == 0 && n - 1 - v > 50)
            .map(Some)
            .collect();
        let conjuncts = vec![
            conjunct(binary(column("x"), Operator::GtEq, int(100)), false),
            conjunct(
                binary(
                    binary(column("x"), Operator::Modulo, int(2)),
                    Operator::Eq,
                    int(0),
                ),
                true,
            ),
            conjunct(binary(column("y"), Operator::Gt, int(50)), false),
        ];
        let mut filter = AdaptiveConjuncts::new(conjuncts);
        for _ in 0..3 * REORDER_EVERY {
            assert_eq!(xs(&filter.filter(batch(n)).unwrap()), expected);
        }
        // The second drops every row the first (keeping most) left.
        let most = binary(column("y"), Operator::GtEq, int(10));
        let none = binary(column("y"), Operator::Lt, int(0));
        let mut empty = AdaptiveConjuncts::new(vec![conjunct(most, false), conjunct(none, false)]);
        assert_eq!(empty.filter(batch(n)).unwrap().num_rows(), 0);
    }

    #[test]
    fn a_conjunct_that_drops_more_rows_moves_first() {
        let keeps_most = binary(column("y"), Operator::GtEq, int(10));
        let keeps_few = binary(column("x"), Operator::Lt, int(10));
        let mut filter = AdaptiveConjuncts::new(vec![
            conjunct(keeps_most, false),
            conjunct(keeps_few, false),
        ]);
        assert_eq!(filter.order, [0, 1]);
        for _ in 0..REORDER_EVERY {
            filter.filter(batch(10_000)).unwrap();
        }
        assert_eq!(filter.order, [0, 1]);
        // The next batch runs in the learned order.
        filter.filter(batch(10_000)).unwrap();
        assert_eq!(filter.order, [1, 0]);
    }

    #[test]
    fn conjuncts_that_can_fail_see_only_rows_the_others_kept() {
        // 100 / x fails where x is 0; `x > 0`, written after it, runs first.
        let ratio = binary(int(100), Operator::Divide, column("x"));
        let conjuncts = vec![
            conjunct(binary(ratio, Operator::Gt, int(1)), true),
            conjunct(binary(column("x"), Operator::Gt, int(0)), false),
        ];
        let mut filter = AdaptiveConjuncts::new(conjuncts);
        assert_eq!(filter.order, [1, 0]);
        let kept = filter.filter(batch(200)).unwrap();
        let expected: Vec<Option<i64>> = (1..=50).filter(|v| v % 7 != 3).map(Some).collect();
        assert_eq!(xs(&kept), expected);
    }
}

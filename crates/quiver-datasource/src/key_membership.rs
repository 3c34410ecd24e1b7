//! Dropping rows, as a scan reads them, whose key is not among the build
//! keys a join published in a dynamic filter (see
//! `quiver_execution::dynamic_filter`). A check is cheap (one bit per key),
//! but copying the rows that pass into new batches is not, so it pays only
//! when most rows fail: a scan measures that on its first rows and stops
//! checking a set when more than a tenth of them pass it, unless the sets
//! checked together still drop nine rows in ten (TPC-H Q5's lineitem rows
//! pass its orders set at 15% and its suppliers set at 20%, both at 3%).

use std::sync::Arc;

use arrow::array::BooleanArray;
use arrow::compute::{and, filter_record_batch};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use quiver_execution::dynamic_filter::PublishedKeys;
use quiver_execution::metrics::OperatorMetrics;
use quiver_expr::Result;

/// Rows checked before deciding whether checking is worth it.
const SAMPLE_ROWS: u64 = 1 << 16;

/// Checking stops when more than this fraction of the sampled rows pass.
/// TPC-H Q17's and Q20's lineitem rows pass at 0.1% and 1%, Q4's at 4%; at
/// SF1, stopping at a half instead of a tenth was no faster.
const MOST_PASS: f64 = 0.1;

/// One published key set's check, with what it has done so far.
struct Check {
    /// The key column's position in the scan's output.
    column: usize,
    filter: Arc<PublishedKeys>,
    /// Rows checked, how many of them passed this set, and how many passed
    /// every set checked with it.
    seen: u64,
    passed: u64,
    passed_all: u64,
    stopped: bool,
}

/// One scan partition's checks of its rows against published key sets.
/// Each filter's set is checked, and given up on, by itself: one published
/// late still gets its chance after an earlier one stopped.
pub(crate) struct KeyMembership {
    checks: Vec<Check>,
    metrics: Option<Arc<OperatorMetrics>>,
}

impl KeyMembership {
    /// The checks of `filters` on the columns of `schema` (the scan's
    /// output); `None` when no filter is on an output column.
    pub(crate) fn new(
        schema: &Schema,
        filters: &[Arc<PublishedKeys>],
        metrics: Option<Arc<OperatorMetrics>>,
    ) -> Option<Self> {
        let checks: Vec<Check> = filters
            .iter()
            .filter_map(|f| {
                Some(Check {
                    column: schema.index_of(f.column()).ok()?,
                    filter: Arc::clone(f),
                    seen: 0,
                    passed: 0,
                    passed_all: 0,
                    stopped: false,
                })
            })
            .collect();
        (!checks.is_empty()).then_some(Self { checks, metrics })
    }

    /// `batch` without the rows whose keys no published set holds.
    pub(crate) fn apply(&mut self, batch: RecordBatch) -> Result<RecordBatch> {
        let mut mask: Option<BooleanArray> = None;
        let mut checked = vec![];
        for (i, check) in self.checks.iter_mut().enumerate() {
            if check.stopped {
                continue;
            }
            let Some(members) = check.filter.members() else {
                continue;
            };
            let Some(found) = members.contains_each(batch.column(check.column)) else {
                continue;
            };
            check.seen += batch.num_rows() as u64;
            check.passed += found.true_count() as u64;
            checked.push(i);
            mask = Some(match mask {
                Some(m) => and(&m, &found)?,
                None => found,
            });
        }
        let Some(mask) = mask else {
            return Ok(batch);
        };
        let passed_all = mask.true_count() as u64;
        for &i in &checked {
            let check = &mut self.checks[i];
            check.passed_all += passed_all;
            let most = check.seen as f64 * MOST_PASS;
            if check.seen >= SAMPLE_ROWS
                && check.passed as f64 > most
                && check.passed_all as f64 > most
            {
                check.stopped = true;
            }
        }
        let kept = filter_record_batch(&batch, &mask)?;
        if let Some(m) = &self.metrics {
            m.add(
                "rows_filtered_by_dynamic_filter",
                (batch.num_rows() - kept.num_rows()) as u64,
            );
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A filter on `column` with nothing published yet.
    fn unset(column: &str) -> Arc<PublishedKeys> {
        Arc::new(PublishedKeys::unset(column))
    }
    use arrow::array::{ArrayRef, AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type};
    use quiver_execution::dynamic_filter::KeySummary;

    fn keys_batch(values: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap()
    }

    #[test]
    fn rows_outside_the_set_are_dropped_until_most_pass() {
        let filter = unset("k");
        let build: ArrayRef = Arc::new(Int64Array::from(vec![10, 20, 30]));
        let summary = KeySummary::of(&build, None, 3).unwrap().unwrap();
        filter.publish(summary);
        let batch = keys_batch((0..1000).collect());
        let mut membership = KeyMembership::new(&batch.schema(), &[filter], None).unwrap();
        let kept = membership.apply(batch).unwrap();
        let values = kept.column(0).as_primitive::<Int64Type>().values().to_vec();
        assert_eq!(values, [10, 20, 30]);
        // A stretch where more than a tenth pass ends the checks.
        let passing = keys_batch(vec![10; 1 << 17]);
        assert_eq!(membership.apply(passing).unwrap().num_rows(), 1 << 17);
        let after = membership.apply(keys_batch(vec![5, 10])).unwrap();
        assert_eq!(after.num_rows(), 2);
    }

    /// A batch of two key columns, `a` and `b`.
    fn pairs_batch(a: Vec<i64>, b: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![
            Field::new("a", DataType::Int64, false),
            Field::new("b", DataType::Int64, false),
        ]));
        let columns: Vec<ArrayRef> =
            vec![Arc::new(Int64Array::from(a)), Arc::new(Int64Array::from(b))];
        RecordBatch::try_new(schema, columns).unwrap()
    }

    /// Publishes `keys` as the build keys of `filter`.
    fn publish(filter: &PublishedKeys, keys: Vec<i64>) {
        let distinct = keys.len();
        let keys: ArrayRef = Arc::new(Int64Array::from(keys));
        filter.publish(KeySummary::of(&keys, None, distinct).unwrap().unwrap());
    }

    #[test]
    fn a_set_published_late_is_checked_after_another_gave_up() {
        let (on_a, on_b) = (unset("a"), unset("b"));
        let filters = [Arc::clone(&on_a), Arc::clone(&on_b)];
        let schema = pairs_batch(vec![], vec![]).schema();
        let mut membership = KeyMembership::new(&schema, &filters, None).unwrap();
        // Half the rows pass `a`'s set: after the sample it is given up.
        publish(&on_a, vec![0, 100]);
        let rows = 1 << 17;
        let half: Vec<i64> = (0..rows).map(|i| if i % 2 == 0 { 0 } else { 50 }).collect();
        assert_eq!(
            membership
                .apply(pairs_batch(half, vec![7; rows as usize]))
                .unwrap()
                .num_rows(),
            1 << 16
        );
        // `b`'s set, published now, still drops rows; `a`'s no longer does.
        publish(&on_b, vec![7, 1000]);
        let kept = membership
            .apply(pairs_batch(vec![50, 50, 0], vec![7, 8, 9]))
            .unwrap();
        assert_eq!(
            kept.column(1).as_primitive::<Int64Type>().values().to_vec(),
            [7]
        );
    }

    #[test]
    fn sets_that_drop_most_rows_together_are_all_kept() {
        let (on_a, on_b) = (unset("a"), unset("b"));
        for filter in [&on_a, &on_b] {
            publish(filter, vec![0, 1, 2, 50]);
        }
        let schema = pairs_batch(vec![], vec![]).schema();
        let mut membership = KeyMembership::new(&schema, &[on_a, on_b], None).unwrap();
        // Each set passes 3 rows in 10, both together 9 in 100.
        let rows: i64 = 1 << 17;
        let a: Vec<i64> = (0..rows).map(|i| i % 10).collect();
        let b: Vec<i64> = (0..rows).map(|i| (i / 10) % 10).collect();
        let kept = membership.apply(pairs_batch(a, b)).unwrap().num_rows() as i64;
        assert!((rows * 9 / 100 - kept).abs() < 100, "{kept}");
        // Both are still checked after the sample.
        let kept = membership
            .apply(pairs_batch(vec![0, 5, 0], vec![0, 0, 5]))
            .unwrap();
        assert_eq!(kept.num_rows(), 1);
    }

    #[test]
    fn nothing_is_checked_before_the_build_publishes() {
        let filter = unset("k");
        let batch = keys_batch(vec![1, 2]);
        let mut membership = KeyMembership::new(&batch.schema(), &[filter], None).unwrap();
        assert_eq!(membership.apply(batch).unwrap().num_rows(), 2);
        let other = unset("not_here");
        assert!(KeyMembership::new(&keys_batch(vec![]).schema(), &[other], None).is_none());
    }
}

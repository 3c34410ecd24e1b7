//! Dropping rows, as a scan reads them, whose key is not among the build
//! keys a join published in a dynamic filter (see
//! `quiver_execution::dynamic_filter`). A check is cheap (one bit per key),
//! but copying the rows that pass into new batches is not, so it pays only
//! when most rows fail: a scan measures that on its first rows and stops
//! checking when more than a tenth pass.

use std::sync::Arc;

use arrow::array::BooleanArray;
use arrow::compute::{and, filter_record_batch};
use arrow::datatypes::Schema;
use arrow::record_batch::RecordBatch;
use quiver_execution::dynamic_filter::DynamicFilter;
use quiver_execution::metrics::OperatorMetrics;
use quiver_expr::Result;

/// Rows checked before deciding whether checking is worth it.
const SAMPLE_ROWS: u64 = 1 << 16;

/// Checking stops when more than this fraction of the sampled rows pass.
/// TPC-H Q17's and Q20's lineitem rows pass at 0.1% and 1%, Q4's at 4%; at
/// SF1, stopping at a half instead of a tenth was no faster.
const MOST_PASS: f64 = 0.1;

/// One scan partition's checks of its rows against published key sets.
pub(crate) struct KeyMembership {
    /// (the key column's position in the scan's output, its filter).
    checks: Vec<(usize, Arc<DynamicFilter>)>,
    seen: u64,
    passed: u64,
    stopped: bool,
    metrics: Option<Arc<OperatorMetrics>>,
}

impl KeyMembership {
    /// The checks of `filters` on the columns of `schema` (the scan's
    /// output); `None` when no filter is on an output column.
    pub(crate) fn new(
        schema: &Schema,
        filters: &[Arc<DynamicFilter>],
        metrics: Option<Arc<OperatorMetrics>>,
    ) -> Option<Self> {
        let checks: Vec<(usize, Arc<DynamicFilter>)> = filters
            .iter()
            .filter_map(|f| Some((schema.index_of(f.column()).ok()?, Arc::clone(f))))
            .collect();
        (!checks.is_empty()).then_some(Self {
            checks,
            seen: 0,
            passed: 0,
            stopped: false,
            metrics,
        })
    }

    /// `batch` without the rows whose keys no published set holds.
    pub(crate) fn apply(&mut self, batch: RecordBatch) -> Result<RecordBatch> {
        if self.stopped {
            return Ok(batch);
        }
        let mut mask: Option<BooleanArray> = None;
        for (column, filter) in &self.checks {
            let Some(members) = filter.members() else {
                continue;
            };
            let Some(found) = members.contains_each(batch.column(*column)) else {
                continue;
            };
            mask = Some(match mask {
                Some(m) => and(&m, &found)?,
                None => found,
            });
        }
        let Some(mask) = mask else {
            return Ok(batch);
        };
        let kept = filter_record_batch(&batch, &mask)?;
        self.seen += batch.num_rows() as u64;
        self.passed += kept.num_rows() as u64;
        if let Some(m) = &self.metrics {
            m.add(
                "rows_filtered_by_dynamic_filter",
                (batch.num_rows() - kept.num_rows()) as u64,
            );
        }
        if self.seen >= SAMPLE_ROWS && self.passed as f64 > self.seen as f64 * MOST_PASS {
            self.stopped = true;
        }
        Ok(kept)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{ArrayRef, AsArray, Int64Array};
    use arrow::datatypes::{DataType, Field, Int64Type};
    use quiver_execution::dynamic_filter::KeySummary;

    fn keys_batch(values: Vec<i64>) -> RecordBatch {
        let schema = Arc::new(Schema::new(vec![Field::new("k", DataType::Int64, false)]));
        RecordBatch::try_new(schema, vec![Arc::new(Int64Array::from(values))]).unwrap()
    }

    #[test]
    fn rows_outside_the_set_are_dropped_until_most_pass() {
        let filter = DynamicFilter::new("k");
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

    #[test]
    fn nothing_is_checked_before_the_build_publishes() {
        let filter = DynamicFilter::new("k");
        let batch = keys_batch(vec![1, 2]);
        let mut membership = KeyMembership::new(&batch.schema(), &[filter], None).unwrap();
        assert_eq!(membership.apply(batch).unwrap().num_rows(), 2);
        let other = DynamicFilter::new("not_here");
        assert!(KeyMembership::new(&keys_batch(vec![]).schema(), &[other], None).is_none());
    }
}

//! Aggregates whose state adds up (`count`; `sum` and `avg` of integers and
//! decimals, `AggregateFunction::additive_state`) over frames of any size
//! in O(n): each row's own state is made once by the aggregate's
//! accumulator, each state field is summed into running totals (with a
//! running count of non-NULL entries), a frame's state is the difference
//! of the totals at its ends, and the aggregate's accumulator merges and
//! finishes those states, so results are exactly what it would compute.
//! A 30-day RANGE average over 6M rows merges one state per row instead of
//! dozens of segment-tree nodes.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, AsArray, Decimal128Array, Int64Array};
use arrow::buffer::NullBuffer;
use arrow::datatypes::{DataType, Decimal128Type, Int64Type};
use quiver_expr::types::sql_type_name;
use quiver_expr::window::FrameRows;
use quiver_expr::{AggregateFunctionRef, QuiverError, Result};

/// The aggregate `func` of `args` over each of `frames` (one per row).
pub(crate) fn over_frames(
    func: &AggregateFunctionRef,
    args: &[ArrayRef],
    frames: &[FrameRows],
) -> Result<ArrayRef> {
    let types: Vec<DataType> = args.iter().map(|a| a.data_type().clone()).collect();
    let rows = frames.len();
    let mut own = func.0.create_accumulator(&types)?;
    own.update_batch(args, &(0..rows).collect::<Vec<_>>(), rows)?;
    let totals = own
        .state()?
        .iter()
        .map(RunningTotals::new)
        .collect::<Result<Vec<_>>>()?;
    drop(own);
    // A block of rows at a time, so that the frames' states are never all
    // held at once.
    let mut results = vec![];
    for block in frames.chunks(BLOCK_ROWS) {
        let framed = totals
            .iter()
            .map(|t| t.over(block))
            .collect::<Result<Vec<_>>>()?;
        let groups: Vec<usize> = (0..block.len()).collect();
        let mut merged = func.0.create_accumulator(&types)?;
        merged.merge_batch(&framed, &groups, block.len())?;
        results.push(merged.evaluate()?);
    }
    let parts: Vec<&dyn Array> = results.iter().map(|a| a.as_ref()).collect();
    Ok(arrow::compute::concat(&parts)?)
}

/// Rows whose frames are merged at once.
const BLOCK_ROWS: usize = 65536;

/// The running totals of one state field: before each row, the sum of the
/// field's entries and how many of them are not NULL.
struct RunningTotals {
    data_type: DataType,
    sums: Vec<i128>,
    counts: Vec<u32>,
}

impl RunningTotals {
    fn new(field: &ArrayRef) -> Result<Self> {
        let nulls = field.logical_nulls();
        let mut sums = Vec::with_capacity(field.len() + 1);
        let mut counts = Vec::with_capacity(field.len() + 1);
        let (mut sum, mut count) = (0i128, 0u32);
        let mut add = |r: usize, v: i128| {
            sums.push(sum);
            counts.push(count);
            if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
                // Wrapping is exact for every total that fits.
                sum = sum.wrapping_add(v);
                count += 1;
            }
        };
        match field.data_type() {
            DataType::Int64 => field
                .as_primitive::<Int64Type>()
                .values()
                .iter()
                .enumerate()
                .for_each(|(r, &v)| add(r, i128::from(v))),
            DataType::Decimal128(..) => field
                .as_primitive::<Decimal128Type>()
                .values()
                .iter()
                .enumerate()
                .for_each(|(r, &v)| add(r, v)),
            other => {
                return Err(QuiverError::Internal(format!(
                    "running sums over a state of type {other}"
                )))
            }
        }
        sums.push(sum);
        counts.push(count);
        Ok(Self {
            data_type: field.data_type().clone(),
            sums,
            counts,
        })
    }

    /// The field's total over each frame: NULL where the frame holds no
    /// non-NULL entry.
    fn over(&self, frames: &[FrameRows]) -> Result<ArrayRef> {
        let mut totals = Vec::with_capacity(frames.len());
        let mut valid = Vec::with_capacity(frames.len());
        for frame in frames {
            let (mut total, mut entries) = (0i128, 0u32);
            for range in frame.ranges() {
                total =
                    total.wrapping_add(self.sums[range.end].wrapping_sub(self.sums[range.start]));
                entries += self.counts[range.end] - self.counts[range.start];
            }
            totals.push(if entries > 0 { total } else { 0 });
            valid.push(entries > 0);
        }
        let nulls = Some(NullBuffer::from(valid));
        Ok(match &self.data_type {
            DataType::Decimal128(p, s) => Arc::new(
                Decimal128Array::new(totals.into(), nulls).with_precision_and_scale(*p, *s)?,
            ),
            t => {
                let narrowed = totals
                    .into_iter()
                    .map(i64::try_from)
                    .collect::<std::result::Result<Vec<i64>, _>>()
                    .map_err(|_| {
                        QuiverError::Execution(format!(
                            "numeric overflow in sum: the total does not fit {}",
                            sql_type_name(t)
                        ))
                    })?;
                Arc::new(Int64Array::new(narrowed.into(), nulls))
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_totals_are_differences_of_running_totals() {
        let field: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(4), Some(10)]));
        let mut split = FrameRows::new(0, 1);
        split.push(3, 4);
        let frames = [
            FrameRows::new(0, 4),
            FrameRows::new(1, 2),
            split,
            FrameRows::new(2, 2),
        ];
        let totals = RunningTotals::new(&field).unwrap().over(&frames).unwrap();
        let totals = totals.as_primitive::<Int64Type>();
        let got: Vec<Option<i64>> = totals.iter().collect();
        assert_eq!(got, vec![Some(15), None, Some(11), None]);
        let big: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, 1]));
        let err = RunningTotals::new(&big)
            .unwrap()
            .over(&[FrameRows::new(0, 2)])
            .unwrap_err();
        assert!(err.to_string().contains("numeric overflow"), "{err}");
    }
}

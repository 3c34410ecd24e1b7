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
    let groups: Vec<usize> = (0..rows).collect();
    let mut own = func.0.create_accumulator(&types)?;
    own.update_batch(args, &groups, rows)?;
    let framed = own
        .state()?
        .iter()
        .map(|field| frame_totals(field, frames))
        .collect::<Result<Vec<_>>>()?;
    let mut merged = func.0.create_accumulator(&types)?;
    merged.merge_batch(&framed, &groups, rows)?;
    merged.evaluate()
}

/// Each frame's total of the state field `field` (one entry per row): NULL
/// where the frame holds no non-NULL entry.
fn frame_totals(field: &ArrayRef, frames: &[FrameRows]) -> Result<ArrayRef> {
    let values: Vec<i128> = match field.data_type() {
        DataType::Int64 => field
            .as_primitive::<Int64Type>()
            .values()
            .iter()
            .map(|&v| i128::from(v))
            .collect(),
        DataType::Decimal128(..) => field.as_primitive::<Decimal128Type>().values().to_vec(),
        other => {
            return Err(QuiverError::Internal(format!(
                "running sums over a state of type {other}"
            )))
        }
    };
    let nulls = field.logical_nulls();
    // Totals before each row; wrapping is exact for every total that fits.
    let mut sums = Vec::with_capacity(values.len() + 1);
    let mut counts = Vec::with_capacity(values.len() + 1);
    let (mut sum, mut count) = (0i128, 0usize);
    for (r, &v) in values.iter().enumerate() {
        sums.push(sum);
        counts.push(count);
        if nulls.as_ref().is_none_or(|n| n.is_valid(r)) {
            sum = sum.wrapping_add(v);
            count += 1;
        }
    }
    sums.push(sum);
    counts.push(count);
    let mut totals = Vec::with_capacity(frames.len());
    let mut valid = Vec::with_capacity(frames.len());
    for frame in frames {
        let (mut total, mut entries) = (0i128, 0usize);
        for range in frame.ranges() {
            total = total.wrapping_add(sums[range.end].wrapping_sub(sums[range.start]));
            entries += counts[range.end] - counts[range.start];
        }
        totals.push(if entries > 0 { total } else { 0 });
        valid.push(entries > 0);
    }
    let nulls = Some(NullBuffer::from(valid));
    Ok(match field.data_type() {
        DataType::Decimal128(p, s) => {
            Arc::new(Decimal128Array::new(totals.into(), nulls).with_precision_and_scale(*p, *s)?)
        }
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_totals_are_differences_of_running_sums() {
        let field: ArrayRef = Arc::new(Int64Array::from(vec![Some(1), None, Some(4), Some(10)]));
        let mut split = FrameRows::new(0, 1);
        split.push(3, 4);
        let frames = [
            FrameRows::new(0, 4),
            FrameRows::new(1, 2),
            split,
            FrameRows::new(2, 2),
        ];
        let totals = frame_totals(&field, &frames).unwrap();
        let totals = totals.as_primitive::<Int64Type>();
        let got: Vec<Option<i64>> = totals.iter().collect();
        assert_eq!(got, vec![Some(15), None, Some(11), None]);
        let big: ArrayRef = Arc::new(Int64Array::from(vec![i64::MAX, 1]));
        let err = frame_totals(&big, &[FrameRows::new(0, 2)]).unwrap_err();
        assert!(err.to_string().contains("numeric overflow"), "{err}");
    }
}

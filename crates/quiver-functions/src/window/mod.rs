//! Built-in window functions: ranking (`row_number`, `rank`, ...), offsets
//! (`lag`, `lead`) and frame values (`first_value`, `last_value`,
//! `nth_value`). Aggregates are window functions too, evaluated over frames
//! by the window operator; they are not listed here.

mod offset;
mod ranking;
mod value;

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, Int64Array};
use arrow::datatypes::DataType;
use quiver_expr::{QuiverError, Result, WindowFunction};

/// Every built-in window function.
pub fn builtins() -> Vec<Arc<dyn WindowFunction>> {
    let mut all: Vec<Arc<dyn WindowFunction>> = vec![];
    all.extend(ranking::all());
    all.extend(offset::all());
    all.extend(value::all());
    all
}

/// Checks that a window function got between `min` and `max` arguments.
fn arg_count(name: &str, arg_types: &[DataType], min: usize, max: usize) -> Result<()> {
    if arg_types.len() < min || arg_types.len() > max {
        let wanted = if min == max {
            format!("{min}")
        } else {
            format!("{min} to {max}")
        };
        return Err(QuiverError::Plan(format!(
            "window function {name} takes {wanted} argument{} but was given {}",
            if max == 1 { "" } else { "s" },
            arg_types.len()
        )));
    }
    Ok(())
}

/// The argument at `index` as BIGINTs (the binder casts it so).
fn int_arg<'a>(name: &str, args: &'a [ArrayRef], index: usize) -> Result<&'a Int64Array> {
    args[index]
        .as_any()
        .downcast_ref::<Int64Array>()
        .ok_or_else(|| QuiverError::Internal(format!("{name}: argument {index} is not BIGINT")))
}

/// Positions of the non-NULL values of `values` and, for each row, how many
/// non-NULL values come before it: the tables that `IGNORE NULLS` looks up.
struct ValidPositions {
    /// Row positions holding a value, ascending.
    positions: Vec<usize>,
    /// `before[r]`: how many of `positions` are less than `r` (one entry
    /// per row and one past the end).
    before: Vec<usize>,
}

impl ValidPositions {
    fn new(values: &dyn Array) -> Self {
        let mut positions = Vec::with_capacity(values.len() - values.null_count());
        let mut before = Vec::with_capacity(values.len() + 1);
        for r in 0..values.len() {
            before.push(positions.len());
            if values.is_valid(r) {
                positions.push(r);
            }
        }
        before.push(positions.len());
        Self { positions, before }
    }

    /// The `n`th (0-based) non-NULL row at or after `start` and before
    /// `end`.
    fn nth_in(&self, start: usize, end: usize, n: usize) -> Option<usize> {
        let index = self.before[start] + n;
        (index < self.before[end]).then(|| self.positions[index])
    }

    /// The `n`th (0-based) non-NULL row before `end` counted backwards, at
    /// or after `start`.
    fn nth_back_in(&self, start: usize, end: usize, n: usize) -> Option<usize> {
        let available = self.before[end] - self.before[start];
        (n < available).then(|| self.positions[self.before[end] - 1 - n])
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::Int32Array;

    #[test]
    fn valid_positions_skip_nulls_both_ways() {
        let v = Int32Array::from(vec![None, Some(1), None, Some(2), Some(3)]);
        let p = ValidPositions::new(&v);
        assert_eq!(p.nth_in(0, 5, 0), Some(1));
        assert_eq!(p.nth_in(2, 5, 1), Some(4));
        assert_eq!(p.nth_in(2, 4, 1), None);
        assert_eq!(p.nth_back_in(0, 4, 0), Some(3));
        assert_eq!(p.nth_back_in(0, 4, 1), Some(1));
        assert_eq!(p.nth_back_in(2, 4, 1), None);
    }
}

//! `first_value`, `last_value` and `nth_value`: a value from the current
//! row's frame.

use std::sync::Arc;

use arrow::array::{Array, ArrayRef, UInt64Array};
use arrow::compute::take;
use arrow::datatypes::DataType;
use quiver_expr::window::{FrameRows, WindowRows};
use quiver_expr::{Result, WindowFunction};

use super::{arg_count, int_arg, ValidPositions};

/// Which row of the frame a [`FrameValue`] takes.
#[derive(Debug, Clone, Copy)]
enum Which {
    First,
    Last,
    /// The row the second argument numbers (1-based).
    Nth,
}

/// `first_value(x)`, `last_value(x)` and `nth_value(x, n)`.
#[derive(Debug)]
struct FrameValue {
    name: &'static str,
    which: Which,
}

/// The frame value functions.
pub(super) fn all() -> Vec<Arc<dyn WindowFunction>> {
    [
        ("first_value", Which::First),
        ("last_value", Which::Last),
        ("nth_value", Which::Nth),
    ]
    .into_iter()
    .map(|(name, which)| Arc::new(FrameValue { name, which }) as Arc<dyn WindowFunction>)
    .collect()
}

/// The `n`th (0-based) row of `frame` holding a value, from its start or
/// (`from_end`) its end.
fn nth_valid(frame: &FrameRows, n: usize, from_end: bool, valid: &ValidPositions) -> Option<usize> {
    let mut ranges: Vec<std::ops::Range<usize>> = frame.ranges().collect();
    if from_end {
        ranges.reverse();
    }
    let mut n = n;
    for r in ranges {
        let found = if from_end {
            valid.nth_back_in(r.start, r.end, n)
        } else {
            valid.nth_in(r.start, r.end, n)
        };
        if found.is_some() {
            return found;
        }
        n -= valid.before[r.end] - valid.before[r.start];
    }
    None
}

impl WindowFunction for FrameValue {
    fn name(&self) -> &str {
        self.name
    }
    fn coerce_types(&self, arg_types: &[DataType]) -> Result<Vec<DataType>> {
        match self.which {
            Which::Nth => {
                arg_count(self.name, arg_types, 2, 2)?;
                Ok(vec![arg_types[0].clone(), DataType::Int64])
            }
            _ => {
                arg_count(self.name, arg_types, 1, 1)?;
                Ok(arg_types.to_vec())
            }
        }
    }
    fn return_type(&self, arg_types: &[DataType]) -> Result<DataType> {
        Ok(arg_types[0].clone())
    }
    fn uses_frame(&self) -> bool {
        true
    }
    fn accepts_null_treatment(&self) -> bool {
        true
    }
    fn evaluate(&self, args: &[ArrayRef], rows: &WindowRows<'_>) -> Result<ArrayRef> {
        let numbers = match self.which {
            Which::Nth => Some(int_arg(self.name, args, 1)?),
            _ => None,
        };
        let valid = rows.ignore_nulls.then(|| ValidPositions::new(&args[0]));
        let indices: Vec<Option<u64>> = rows
            .frames
            .iter()
            .enumerate()
            .map(|(row, frame)| {
                let (n, from_end) = match (self.which, numbers) {
                    (Which::First, _) => (0, false),
                    (Which::Last, _) => (0, true),
                    (Which::Nth, Some(numbers)) if numbers.is_valid(row) => {
                        match usize::try_from(numbers.value(row) - 1) {
                            Ok(n) => (n, false),
                            Err(_) => return None,
                        }
                    }
                    (Which::Nth, _) => return None,
                };
                let found = match (&valid, from_end) {
                    (Some(v), _) => nth_valid(frame, n, from_end, v),
                    (None, false) => frame.nth(n),
                    (None, true) => frame.nth_from_end(n),
                };
                found.map(|r| r as u64)
            })
            .collect();
        Ok(take(&args[0], &UInt64Array::from(indices), None)?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use arrow::array::{Int32Array, Int64Array};

    #[test]
    fn values_come_from_the_frame() {
        let x: ArrayRef = Arc::new(Int32Array::from(vec![Some(1), None, Some(3), None]));
        let mut split = FrameRows::new(0, 1);
        split.push(2, 4);
        let frames = [
            FrameRows::new(0, 2),
            FrameRows::new(1, 4),
            split,
            FrameRows::new(3, 3),
        ];
        let run = |name: &str, args: &[ArrayRef], ignore_nulls: bool| {
            let f = all().into_iter().find(|f| f.name() == name).unwrap();
            let rows = WindowRows {
                partitions: &[0, 4],
                peers: &[0, 4],
                frames: &frames,
                ignore_nulls,
            };
            let out = f.evaluate(args, &rows).unwrap();
            let out = out.as_any().downcast_ref::<Int32Array>().unwrap().clone();
            (0..out.len())
                .map(|i| out.is_valid(i).then(|| out.value(i)))
                .collect::<Vec<_>>()
        };
        assert_eq!(
            run("first_value", std::slice::from_ref(&x), false),
            vec![Some(1), None, Some(1), None]
        );
        assert_eq!(
            run("last_value", std::slice::from_ref(&x), false),
            vec![None, None, None, None]
        );
        assert_eq!(
            run("last_value", std::slice::from_ref(&x), true),
            vec![Some(1), Some(3), Some(3), None]
        );
        let two: ArrayRef = Arc::new(Int64Array::from(vec![Some(2), Some(2), Some(2), Some(0)]));
        assert_eq!(
            run("nth_value", &[x.clone(), two.clone()], false),
            vec![None, Some(3), Some(3), None]
        );
        assert_eq!(
            run("nth_value", &[x, two], true),
            vec![None, None, Some(3), None]
        );
    }
}
